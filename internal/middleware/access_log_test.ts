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
