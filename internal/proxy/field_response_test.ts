/**
 * The lean response against the real thing: for generated statuses, bodies and header lists,
 * `FieldResponse` and `new Response` with the same inputs agree on what they refuse and on every
 * member; `setResponseField` edits the list as `Headers.set` edits a `Headers`.
 */

import assert from "node:assert/strict";
import {
  FieldResponse,
  realResponse,
  responseFieldList,
  setResponseField,
} from "./field_response.ts";
import type { HeaderList } from "./headers.ts";
import { seeded } from "../../tests/_seeded.ts";

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const STATUSES = [100, 101, 103, 199, 200, 201, 204, 205, 206, 301, 304, 404, 500, 503, 599, 600];
const NAMES = [
  "content-type",
  "set-cookie",
  "cache-control",
  "x-a",
  "vary",
  "etag",
  "x-request-id",
];

/** A value as the response parser keeps it: trimmed, no control character but HTAB. */
function value(random: () => number): string {
  let text = "";
  const length = Math.floor(random() * 10);
  for (let i = 0; i < length; i++) {
    const r = random();
    text += String.fromCharCode(
      r < 0.7
        ? 0x21 + Math.floor(random() * 94)
        : r < 0.85
        ? 0x80 + Math.floor(random() * 128)
        : 32,
    );
  }
  return text.trim();
}

interface Case {
  status: number;
  statusText: string;
  body: "none" | "bytes" | "stream";
  text: string;
  fields: HeaderList;
}

function cases(count: number): Case[] {
  const random = seeded(9110);
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const fields: HeaderList = [];
    const n = Math.floor(random() * 7);
    for (let f = 0; f < n; f++) fields.push([pick(random, NAMES), value(random)]);
    out.push({
      status: pick(random, STATUSES),
      statusText: pick(random, ["", "OK", "Not Found", "caf\u00e9"]),
      body: pick(random, ["none", "bytes", "stream"] as const),
      text: "x".repeat(Math.floor(random() * 40)),
      fields,
    });
  }
  return out;
}

function bodyOf(c: Case): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null {
  const bytes = new TextEncoder().encode(c.text);
  if (c.body === "none") return null;
  return c.body === "bytes" ? bytes : new Blob([bytes]).stream();
}

/** What a constructor does with a case: the object, or the class of what it threw. */
function attempt<T>(make: () => T): T | string {
  try {
    return make();
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

function realFor(c: Case): Response | string {
  return attempt(() => {
    const response = new Response(bodyOf(c), { status: c.status, statusText: c.statusText });
    for (const [name, v] of c.fields) response.headers.append(name, v);
    return response;
  });
}

Deno.test("FieldResponse differential: refusals, status, headers, body text, bodyUsed and clone as new Response", async () => {
  let compared = 0;
  let refused = 0;
  for (const c of cases(500)) {
    const label = JSON.stringify(c);
    const real = realFor(c);
    const lean = attempt(() => new FieldResponse(bodyOf(c), c.status, c.statusText, [...c.fields]));
    if (typeof real === "string") {
      assert.equal(lean, real, label);
      refused++;
      continue;
    }
    assert.ok(lean instanceof FieldResponse, label);
    assert.equal(lean.status, real.status, label);
    assert.equal(lean.statusText, real.statusText, label);
    assert.equal(lean.ok, real.ok, label);
    assert.equal(lean.bodyUsed, false, label);
    assert.deepEqual(responseFieldList(lean), c.fields, label);
    const copy = compared % 2 === 0 ? lean.clone() : undefined;
    const realCopy = compared % 2 === 0 ? real.clone() : undefined;
    assert.deepEqual([...lean.headers], [...real.headers], label);
    assert.equal(responseFieldList(lean), undefined, "made: the Headers is the only copy now");
    assert.equal(lean.body === null, real.body === null, label);
    assert.equal(lean.type, real.type);
    assert.equal(lean.url, real.url);
    assert.equal(lean.redirected, real.redirected);
    assert.equal(await lean.text(), await real.text(), label);
    assert.equal(lean.bodyUsed, real.bodyUsed, label);
    if (copy !== undefined) {
      assert.ok(copy instanceof Response);
      assert.deepEqual([...copy.headers], [...realCopy!.headers], label);
      assert.equal(await copy.text(), await realCopy!.text(), label);
    }
    compared++;
  }
  assert.ok(compared > 200 && refused > 50, `${compared} compared, ${refused} refused`);
});

Deno.test("setResponseField: the list as Headers.set leaves a Headers, and the same errors", () => {
  const random = seeded(7230);
  const names = ["x-request-id", "X-Request-Id", "set-cookie", "x-a", "bad name", "", "vary"];
  const values = ["abc", "  padded\t", "a\r\nb", "nul\u0000", "caf\u00e9", "\u0100", "", "x, y"];
  let set = 0;
  for (let i = 0; i < 400; i++) {
    const fields: HeaderList = [];
    const n = Math.floor(random() * 6);
    for (let f = 0; f < n; f++) fields.push([pick(random, NAMES), value(random)]);
    const name = pick(random, names);
    const v = pick(random, values);
    const lean = new FieldResponse(null, 200, "", [...fields]);
    const real = new Response(null, { status: 200 });
    for (const [fieldName, fieldValue] of fields) real.headers.append(fieldName, fieldValue);
    const label = JSON.stringify({ fields, name, v });
    const leanError = attempt(() => setResponseField(lean, name, v));
    const realError = attempt(() => real.headers.set(name, v));
    assert.equal(leanError, realError, label);
    assert.ok(responseFieldList(lean) !== undefined, "set without making the Headers");
    assert.deepEqual([...lean.headers], [...real.headers], label);
    if (leanError === undefined) set++;
  }
  assert.ok(set > 150, `${set} set`);
});

Deno.test("setResponseField: replaces every line of the name in place, order of the others kept", () => {
  const lean = new FieldResponse(null, 200, "", [
    ["x-request-id", "client"],
    ["content-type", "text/plain"],
    ["x-request-id", "again"],
    ["set-cookie", "a=1"],
  ]);
  setResponseField(lean, "x-request-id", "id-1");
  assert.deepEqual(responseFieldList(lean), [
    ["content-type", "text/plain"],
    ["set-cookie", "a=1"],
    ["x-request-id", "id-1"],
  ]);
  // Once made, the Headers is edited instead.
  assert.equal(lean.headers.get("x-request-id"), "id-1");
  setResponseField(lean, "x-request-id", "id-2");
  assert.equal(lean.headers.get("x-request-id"), "id-2");
  const plain = new Response(null);
  setResponseField(plain, "x-request-id", "id-3");
  assert.equal(plain.headers.get("x-request-id"), "id-3");
});

Deno.test("FieldResponse: the body stream is the one given, read once; realResponse gives Deno.serve a Response", async () => {
  const stream = new Blob(["hello"]).stream();
  const lean = new FieldResponse(stream, 200, "OK", [["content-type", "text/plain"]]);
  assert.equal(lean.body, stream);
  assert.equal(await lean.text(), "hello");
  assert.equal(lean.bodyUsed, true);
  await assert.rejects(lean.text(), TypeError);
  const other = new FieldResponse(new TextEncoder().encode("hi"), 201, "", [["x-a", "1"]]);
  const real = realResponse(other);
  assert.ok(real instanceof Response);
  assert.equal(real.status, 201);
  assert.equal(real.headers.get("x-a"), "1");
  assert.equal(await real.text(), "hi");
  const plain = new Response(null);
  assert.equal(realResponse(plain), plain);
  assert.equal((lean as unknown) instanceof Response, false);
});

Deno.test("parseResponseHead's output is what Response and Headers accept: every byte of a value and a reason phrase, every status", async () => {
  const { parseResponseHead } = await import("./http1/response_head.ts");
  const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  let kept = 0;
  for (let byte = 0; byte < 256; byte++) {
    const b = String.fromCharCode(byte);
    for (const v of [`${b}v`, `v${b}v`, `v${b}`]) {
      const bytes = latin1(`HTTP/1.1 200 R${b}R\r\nx-v: ${v}\r\ncontent-length: 0\r\n\r\n`);
      let head;
      try {
        head = parseResponseHead(bytes, 0, bytes.length);
      } catch {
        continue;
      }
      kept++;
      const lean = new FieldResponse(null, head.status, head.statusText, head.headers);
      const real = new Response(null, { status: head.status, statusText: head.statusText });
      for (const [name, value] of head.headers) real.headers.append(name, value);
      assert.deepEqual([...lean.headers], [...real.headers], `byte ${byte}`);
      assert.equal(lean.statusText, real.statusText);
    }
  }
  assert.ok(kept > 3 * 150, `${kept} kept`);
  // Statuses the parser passes that Response refuses are refused alike (1xx but 101: the
  // transport reads past interim responses before it makes one).
  for (let status = 100; status <= 599; status++) {
    const real = attempt(() => new Response(null, { status }));
    const lean = attempt(() => new FieldResponse(null, status, "", []));
    assert.equal(typeof real === "string" ? real : "ok", typeof lean === "string" ? lean : "ok");
  }
});
