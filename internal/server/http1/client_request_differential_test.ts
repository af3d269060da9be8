/**
 * The lean request against the real thing: for generated methods, header fields and bodies,
 * `buildRequest` and `new Request` with the same inputs agree on what they refuse, the method,
 * the URL, the headers, the body's text, `bodyUsed` and a clone's content. And the claim the
 * lean request rests on: every field and method `parseHead` accepts is one `new Request`
 * and `Headers` accept (so making the `Headers` late can throw nothing).
 */

import assert from "node:assert/strict";
import { buildRequest, ClientRequest, normalizeMethod } from "./client_request.ts";
import { parseHead } from "./parse_head.ts";
import { seeded } from "../../../tests/_seeded.ts";

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const METHODS = [
  "GET",
  "get",
  "HEAD",
  "Head",
  "POST",
  "post",
  "PUT",
  "pUt",
  "DELETE",
  "delete",
  "OPTIONS",
  "options",
  "PATCH",
  "patch",
  "PROPFIND",
  "CONNECT",
  "connect",
  "TRACE",
  "Trace",
  "TRACK",
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function token(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += pick(random, [...TCHARS]);
  return text;
}

/** Bytes `parseHead` keeps in a value: visible ASCII, obs-text, inner SP and HTAB. */
function fieldValueText(random: () => number): string {
  const length = Math.floor(random() * 12);
  let text = "";
  for (let i = 0; i < length; i++) {
    const r = random();
    const code = r < 0.6
      ? 0x21 + Math.floor(random() * 94)
      : r < 0.8
      ? 0x80 + Math.floor(random() * 128)
      : pick(random, [0x20, 0x09]);
    text += String.fromCharCode(code);
  }
  return text.replace(/^[ \t]+|[ \t]+$/g, "");
}

function fields(random: () => number): [string, string][] {
  const names = ["host", "accept", "x-a", "content-type", "cookie", "set-cookie", "x-b"];
  const out: [string, string][] = [];
  const count = Math.floor(random() * 8);
  for (let i = 0; i < count; i++) {
    const name = random() < 0.6
      ? pick(random, names)
      : token(random, 1 + Math.floor(random() * 10)).toLowerCase();
    out.push([name, fieldValueText(random)]);
  }
  return out;
}

function bodyBytes(random: () => number): Uint8Array<ArrayBuffer> | null {
  if (random() < 0.3) return null;
  const bytes = new Uint8Array(Math.floor(random() * 300));
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0x20 + Math.floor(random() * 95);
  return bytes;
}

/** A stream of `bytes` in pieces, as the listener's body stream gives them. */
function stream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      const end = Math.min(bytes.length, offset + 7);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
    },
  });
}

const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

interface Case {
  method: string;
  fields: [string, string][];
  body: Uint8Array<ArrayBuffer> | null;
  target: string;
}

function cases(count: number): Case[] {
  const random = seeded(9110);
  const targets = ["/", "/a/../b?q=1 2", "/x?y=%20&z", "*", "", "/%7e/é"];
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    out.push({
      method: random() < 0.8 ? pick(random, METHODS) : token(random, 1 + Math.floor(random() * 8)),
      fields: fields(random),
      body: bodyBytes(random),
      target: pick(random, targets),
    });
  }
  return out;
}

function pathOf(target: string): string {
  return target === "*" ? "/*" : target === "" ? "/" : target;
}

/** The real request for a case, or the error `new Request` throws. */
function reference(c: Case, body: BodyInit | null, method = c.method): Request | TypeError {
  try {
    return new Request(`http://shop.example${pathOf(c.target)}`, {
      method,
      headers: c.fields,
      body,
      duplex: "half",
    } as RequestInit);
  } catch (error) {
    assert.ok(error instanceof TypeError, String(error));
    return error;
  }
}

Deno.test("ClientRequest differential: what it refuses, method, url, headers, body text and bodyUsed as new Request", async () => {
  let compared = 0;
  let refused = 0;
  for (const c of cases(600)) {
    const lean = buildRequest(
      c.method,
      "shop.example",
      c.target,
      c.fields,
      c.body === null ? null : stream(c.body),
      "localhost:1",
    );
    const forbidden = FORBIDDEN.has(c.method.toUpperCase());
    // new Request refuses a forbidden method outright; the lean request keeps it as sent, with
    // everything else as a request of GET (no body) or POST (a body) would have it.
    const real = reference(
      c,
      c.body,
      forbidden ? (c.body === null ? "GET" : "POST") : c.method,
    );
    const label = JSON.stringify(c);
    if (real instanceof TypeError) {
      assert.equal(lean, undefined, label);
      refused++;
      continue;
    }
    assert.ok(lean instanceof ClientRequest, label);
    assert.equal(lean.method, forbidden ? c.method : real.method, label);
    assert.equal(lean.url, real.url, label);
    assert.equal(lean.bodyUsed, false, label);
    assert.equal(lean.body === null, real.body === null, label);
    assert.deepEqual([...lean.headers], [...real.headers], label);
    assert.equal(lean.headers, lean.headers, label);
    assert.equal(await lean.text(), await real.text(), label);
    assert.equal(lean.bodyUsed, real.bodyUsed, label);
    assert.equal(lean.cache, real.cache);
    assert.equal(lean.mode, real.mode);
    assert.equal(lean.redirect, real.redirect);
    assert.equal(lean.keepalive, real.keepalive);
    compared++;
  }
  assert.ok(compared > 400 && refused > 20, `${compared} compared, ${refused} refused`);
});

Deno.test("ClientRequest differential: a clone has the same content as new Request's clone, and both bodies read", async () => {
  let cloned = 0;
  for (const c of cases(200)) {
    if (FORBIDDEN.has(c.method.toUpperCase())) continue;
    const real = reference(c, c.body);
    if (real instanceof TypeError) continue;
    const lean = buildRequest(
      c.method,
      "shop.example",
      c.target,
      c.fields,
      c.body === null ? null : stream(c.body),
      "localhost:1",
    )!;
    const label = JSON.stringify(c);
    const leanCopy = lean.clone();
    const realCopy = real.clone();
    assert.ok(leanCopy instanceof Request, label);
    assert.equal(leanCopy.method, realCopy.method, label);
    assert.equal(leanCopy.url, realCopy.url, label);
    assert.deepEqual([...leanCopy.headers], [...realCopy.headers], label);
    assert.equal(await leanCopy.text(), await realCopy.text(), label);
    assert.equal(await lean.text(), await real.text(), label);
    assert.equal(lean.bodyUsed, real.bodyUsed, label);
    cloned++;
  }
  assert.ok(cloned > 100, `${cloned} cloned`);
});

Deno.test("ClientRequest: the body is the listener's stream; read through body, bodyUsed follows as Request's does", async () => {
  const source = stream(new TextEncoder().encode("hello"));
  const lean = buildRequest("POST", "a.example", "/", [], source, "l:1")!;
  const real = new Request("http://a.example/", {
    method: "POST",
    body: stream(new TextEncoder().encode("hello")),
    duplex: "half",
  } as RequestInit);
  assert.equal(lean.body, source);
  assert.equal(lean.bodyUsed, false);
  const reader = lean.body!.getReader();
  const realReader = real.body!.getReader();
  assert.equal(lean.bodyUsed, real.bodyUsed, "locked, not read");
  await reader.read();
  await realReader.read();
  assert.equal(lean.bodyUsed, true);
  assert.equal(real.bodyUsed, true);
  reader.releaseLock();
  realReader.releaseLock();
  await assert.rejects(lean.text(), TypeError);
  await assert.rejects(real.text(), TypeError);
  await source.cancel();
});

Deno.test("ClientRequest: json, bytes, blob and formData as Request's, typed by the parsed Content-Type", async () => {
  const form = "a=1&b=%C3%A9";
  const make = () =>
    buildRequest(
      "POST",
      "a.example",
      "/",
      [["content-type", "application/x-www-form-urlencoded"]],
      stream(new TextEncoder().encode(form)),
      "l:1",
    )!;
  assert.deepEqual([...(await make().formData())], [["a", "1"], ["b", "é"]]);
  const blob = await make().blob();
  assert.equal(blob.type, "application/x-www-form-urlencoded");
  assert.equal(await blob.text(), form);
  assert.equal(new TextDecoder().decode(await make().bytes()), form);
  assert.equal(new TextDecoder().decode(await make().arrayBuffer()), form);
  const json = buildRequest(
    "PUT",
    "a.example",
    "/",
    [],
    stream(new TextEncoder().encode('{"a":[1]}')),
    "l:1",
  )!;
  assert.deepEqual(await json.json(), { a: [1] });
  const empty = buildRequest("GET", "a.example", "/", [], null, "l:1")!;
  assert.equal(empty.body, null);
  assert.equal(await empty.text(), "");
  assert.equal(empty.bodyUsed, false);
});

Deno.test("ClientRequest: method normalised as new Request does, forbidden methods kept as sent", () => {
  for (const method of METHODS) {
    const lean = buildRequest(method, "a.example", "/", [], null, "l:1")!;
    if (FORBIDDEN.has(method.toUpperCase())) {
      assert.equal(lean.method, method);
      assert.throws(() => new Request("http://a/", { method }), TypeError);
    } else {
      assert.equal(lean.method, new Request("http://a/", { method }).method, method);
      assert.equal(normalizeMethod(method), lean.method);
    }
  }
});

Deno.test("ClientRequest: not a Request to Deno, so fetch and new Request cannot take it for one", () => {
  const lean = buildRequest("GET", "a.example", "/", [], null, "l:1")!;
  assert.equal((lean as unknown) instanceof Request, false);
  assert.throws(() => new Request(lean), TypeError);
});

/** Every byte in a field value and every tchar: what parseHead keeps, Headers and Request take. */
Deno.test("parseHead's output is what new Request and Headers accept: every byte of a value, every token of a name and a method", () => {
  const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  let kept = 0;
  for (let byte = 0; byte < 256; byte++) {
    for (const where of ["lead", "inner", "trail"]) {
      const b = String.fromCharCode(byte);
      const value = where === "lead" ? `${b}v` : where === "inner" ? `v${b}v` : `v${b}`;
      const bytes = latin1(`GET / HTTP/1.1\r\nhost: a\r\nx-v: ${value}\r\n\r\n`);
      const head = parseHead(bytes, 0, bytes.length);
      if (!head.ok) continue;
      kept++;
      const headers = new Headers();
      for (const [name, v] of head.fields) headers.append(name, v);
      const lean = buildRequest(head.method, "a", head.target, head.fields, null, "l:1")!;
      assert.deepEqual([...lean.headers], [...headers], `byte ${byte} ${where}`);
      assert.equal(lean.headers.get("x-v"), head.fields[1]![1], `byte ${byte} ${where}`);
    }
  }
  assert.ok(kept > 3 * 150, `${kept} values kept`);
  for (const c of TCHARS) {
    const bytes = latin1(`${c}M / HTTP/1.1\r\n${c}n: v\r\n\r\n`);
    const head = parseHead(bytes, 0, bytes.length);
    assert.ok(head.ok, c);
    const lean = buildRequest(head.method, "a", head.target, head.fields, null, "l:1")!;
    assert.equal(lean.headers.get(`${c}n`), "v");
    assert.equal(lean.method, new Request("http://a/", { method: head.method }).method);
  }
});
