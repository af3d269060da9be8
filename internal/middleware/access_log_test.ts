import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { accessLog } from "./access_log.ts";
import { createContext } from "./context.ts";

async function logOne(url: string): Promise<LogRecord> {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { capture: (record) => records.push(record) },
    loggers: [
      { category: ["sluice", "access"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  try {
    const ctx = createContext(new Request(url), "10.1.2.3");
    ctx.requestId = "id-1";
    await accessLog()(ctx, () => Promise.resolve(new Response("hello\n")));
  } finally {
    await reset();
  }
  assert.equal(records.length, 1);
  return records[0]!;
}

Deno.test("access log: message and properties of one entry", async () => {
  const record = await logOne("http://lb.example/items/42?x=1");
  const message = record.message.join("");
  assert.match(message, /^GET \/items\/42\?x=1 200 \d+(\.\d+)?ms via null$/);
  assert.equal(record.properties.path, "/items/42?x=1");
  assert.equal(record.properties.status, 200);
  assert.equal(record.properties.request_id, "id-1");
  assert.equal(record.properties.bytes_out, 0);
  assert.equal(record.properties.upstream, null);
});

Deno.test("access log: braces in the path stay as sent in the message", async () => {
  const record = await logOne("http://lb.example/a{b}c?q={{x}}");
  const message = record.message.join("");
  assert.equal(record.properties.path, "/a%7Bb%7Dc?q={{x}}");
  assert.ok(message.startsWith("GET /a%7Bb%7Dc?q={{x}} 200 "), message);
  const raw = await logOne("http://lb.example/plain");
  assert.ok(raw.message.join("").startsWith("GET /plain 200 "));
});

Deno.test("access log: with a line writer, one JSON line each and no LogTape record", async () => {
  const records: LogRecord[] = [];
  await configure({
    reset: true,
    sinks: { capture: (record) => records.push(record) },
    loggers: [
      { category: ["sluice", "access"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  const lines: string[] = [];
  let writer: ((line: string) => void) | undefined = (line) => lines.push(line);
  try {
    const middleware = accessLog({ lines: () => writer });
    const ctx = createContext(new Request('http://lb.example/a"b?q={x}'), "10.1.2.3");
    ctx.requestId = "id-2";
    await middleware(ctx, () => Promise.resolve(new Response("hello\n")));
    assert.equal(records.length, 0);
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith("}\n"));
    const line = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(line), [
      "time",
      "level",
      "logger",
      "message",
      "request_id",
      "trace_id",
      "client",
      "method",
      "path",
      "status",
      "route",
      "pool",
      "upstream",
      "attempts",
      "duration_ms",
      "bytes_out",
    ]);
    assert.equal(line.logger, "sluice.access");
    assert.equal(line.request_id, "id-2");
    assert.equal(line.path, "/a%22b?q={x}");
    assert.match(line.message, /^GET \/a%22b\?q=\{x\} 200 \d+(\.\d+)?ms via null$/);
    // No writer (text format, reconfigured): back to the logger.
    writer = undefined;
    await middleware(
      createContext(new Request("http://lb.example/"), "10.1.2.3"),
      () => Promise.resolve(new Response("hello\n")),
    );
    assert.equal(lines.length, 1);
    assert.equal(records.length, 1);
  } finally {
    await reset();
  }
});

Deno.test("access log: into a line batch, encoded in place; a line with escapes as text", async () => {
  const bytes = new Uint8Array(4096);
  let used = 0;
  const text: string[] = [];
  const batch = {
    bytes,
    reserve: (maxBytes: number) => maxBytes > bytes.length - used ? -1 : used,
    commit: (end: number) => void (used = end),
    writeLine: (line: string) => void text.push(line),
  };
  const middleware = accessLog({ lines: () => batch });
  const ctx = createContext(new Request("http://lb.example/plain?q=1"), "10.1.2.3");
  ctx.requestId = "id-3";
  await middleware(ctx, () => Promise.resolve(new Response("hello\n")));
  assert.equal(text.length, 0);
  const line = JSON.parse(new TextDecoder().decode(bytes.subarray(0, used)));
  assert.equal(line.request_id, "id-3");
  assert.equal(line.path, "/plain?q=1");
  assert.equal(line.trace_id, null);
  assert.equal(line.upstream, null);
  assert.match(line.message, /^GET \/plain\?q=1 200 \d+(\.\d+)?ms via null$/);
  // A request id a client may not set but a test can: the line needs an escape.
  const odd = createContext(new Request("http://lb.example/x"), "10.1.2.3");
  odd.requestId = 'a"b';
  const before = used;
  await middleware(odd, () => Promise.resolve(new Response("hello\n")));
  assert.equal(used, before);
  assert.equal(text.length, 1);
  assert.equal(JSON.parse(text[0]!).request_id, 'a"b');
});
