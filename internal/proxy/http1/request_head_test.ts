import assert from "node:assert/strict";
import {
  encodeLatin1,
  encodeLatin1Into,
  type RequestFraming,
  serializeRequestHead,
  writeRequestHead,
} from "./request_head.ts";

Deno.test("request head: target as given, Host first, headers in order, framing last", () => {
  assert.equal(
    serializeRequestHead("GET", "/a/../b?x=%41", "up:80", [["x-a", "1"], ["host", "h"]], {
      kind: "none",
    }),
    "GET /a/../b?x=%41 HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n\r\n",
  );
  assert.equal(
    serializeRequestHead("DELETE", "/", "up:80", [], { kind: "none" }),
    "DELETE / HTTP/1.1\r\nhost: up:80\r\n\r\n",
  );
});

Deno.test("request head: framing replaces the list's Content-Length and Transfer-Encoding", () => {
  const list: [string, string][] = [["content-length", "99"], ["transfer-encoding", "gzip"]];
  assert.equal(
    serializeRequestHead("POST", "/", "u", list, { kind: "length", length: 5 }),
    "POST / HTTP/1.1\r\nhost: u\r\ncontent-length: 5\r\n\r\n",
  );
  assert.equal(
    serializeRequestHead("POST", "/", "u", list, { kind: "chunked" }),
    "POST / HTTP/1.1\r\nhost: u\r\ntransfer-encoding: chunked\r\n\r\n",
  );
  assert.equal(
    serializeRequestHead("PUT", "/", "u", list, { kind: "declared" }),
    "PUT / HTTP/1.1\r\nhost: u\r\ncontent-length: 99\r\n\r\n",
  );
  // No body: POST, PUT and PATCH say so (RFC 9110 §8.6); GET sends no framing header.
  assert.equal(
    serializeRequestHead("PATCH", "/", "u", list, { kind: "none" }),
    "PATCH / HTTP/1.1\r\nhost: u\r\ncontent-length: 0\r\n\r\n",
  );
  assert.equal(
    serializeRequestHead("GET", "/", "u", list, { kind: "none" }),
    "GET / HTTP/1.1\r\nhost: u\r\n\r\n",
  );
});

Deno.test("request head: a non-ASCII target goes out as its UTF-8 bytes, values as Latin-1", () => {
  const head = serializeRequestHead("GET", "/é", "u", [["x-v", "caf\xe9"]], { kind: "none" });
  const { bytes, length } = encodeLatin1(head);
  const wire = [...bytes.subarray(0, length)];
  const text = String.fromCharCode(...wire);
  assert.ok(text.startsWith("GET /\xc3\xa9 HTTP/1.1\r\n"), JSON.stringify(text));
  assert.ok(text.includes("x-v: caf\xe9\r\n"));
  assert.equal(length, text.length);
});

Deno.test("request head: encodeLatin1 reserves room for a body after the head", () => {
  const { bytes, length } = encodeLatin1("GET / HTTP/1.1\r\n\r\n", 3);
  assert.equal(length, 18);
  assert.equal(bytes.length, 21);
});

Deno.test("request head: encodeLatin1Into writes one byte per character into a larger buffer", () => {
  const target = new Uint8Array(16).fill(7);
  assert.equal(encodeLatin1Into("x: caf\u00e9", target), 7);
  assert.deepEqual([...target.subarray(0, 7)], [120, 58, 32, 99, 97, 102, 0xe9]);
  assert.equal(encodeLatin1Into("ok", target), 2);
  assert.deepEqual([...target.subarray(0, 2)], [111, 107]);
  assert.throws(() => encodeLatin1Into("too long", new Uint8Array(3)), RangeError);
});

Deno.test("request head: writeRequestHead writes serializeRequestHead's head byte for byte", () => {
  const lists: [string, string][][] = [
    [],
    [["host", "h:1"], ["x-a", "1"]],
    [["x-a", "caf\u00e9"], ["content-length", "99"], ["transfer-encoding", "gzip"], ["host", "h"]],
    [["content-length", "5"], ["x-forwarded-for", "10.0.0.1, 10.0.0.2"]],
  ];
  const framings: RequestFraming[] = [
    { kind: "none" },
    { kind: "length", length: 12345 },
    { kind: "declared" },
    { kind: "chunked" },
  ];
  const buffer = new Uint8Array(1024);
  for (const method of ["GET", "POST", "PATCH", "DELETE"]) {
    for (const target of ["/", "/a/../b?x=%41", "/caf\u00e9?q=\u00fc"]) {
      for (const list of lists) {
        for (const framing of framings) {
          const { bytes, length } = encodeLatin1(
            serializeRequestHead(method, target, "up:80", list, framing),
          );
          const written = writeRequestHead(buffer, method, target, "up:80", list, framing);
          assert.deepEqual(buffer.subarray(0, written), bytes.subarray(0, length));
          // One byte short of the head: refused, never written past the end.
          const short = new Uint8Array(length - 1);
          assert.equal(writeRequestHead(short, method, target, "up:80", list, framing), -1);
        }
      }
    }
  }
});

/**
 * The head as RFC 9112 §3 and §5 build it, written plainly as bytes (no string of the head, no
 * TextEncoder on it): the reference the writer is fuzzed against.
 */
function referenceHead(
  method: string,
  target: string,
  defaultHost: string,
  list: [string, string][],
  framing: RequestFraming,
): number[] {
  const bytes: number[] = [];
  const latin1 = (text: string) => {
    for (const c of text) bytes.push(c.charCodeAt(0));
  };
  const hosts = list.filter(([name]) => name === "host");
  latin1(method);
  latin1(" ");
  bytes.push(...new TextEncoder().encode(target));
  latin1(" HTTP/1.1\r\n");
  latin1(`host: ${hosts.length > 0 ? hosts[hosts.length - 1]![1] : defaultHost}\r\n`);
  let declared = false;
  for (const [name, value] of list) {
    if (name === "host" || name === "transfer-encoding") continue;
    if (name === "content-length") {
      if (framing.kind !== "declared") continue;
      declared = true;
    }
    latin1(`${name}: ${value}\r\n`);
  }
  if (framing.kind === "length") latin1(`content-length: ${framing.length}\r\n`);
  if (framing.kind === "chunked" || (framing.kind === "declared" && !declared)) {
    latin1("transfer-encoding: chunked\r\n");
  }
  if (framing.kind === "none" && ["POST", "PUT", "PATCH"].includes(method)) {
    latin1("content-length: 0\r\n");
  }
  latin1("\r\n");
  return bytes;
}

Deno.test("request head: writeRequestHead matches a plain byte-by-byte writer on 3,000 random heads", () => {
  // A fixed seed: a failure names its case and reproduces.
  let seed = 0x5eed;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const names = [
    "host",
    "content-length",
    "transfer-encoding",
    "x-forwarded-for",
    "forwarded",
    "x-request-id",
    "traceparent",
    "accept",
    "cookie",
  ];
  const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  const targets = ["/", "/a/../b?x=%41", "/caf\u00e9?q=\u00fc", "*", "/\u{1f600}"];
  const framings: RequestFraming[] = [
    { kind: "none" },
    { kind: "length", length: 0 },
    { kind: "length", length: 1048576 },
    { kind: "declared" },
    { kind: "chunked" },
  ];
  // Values of every kind of string a request carries: flat, concatenated (cons), sliced,
  // with characters 0x80-0xff (obs-text, RFC 9110 §5.5).
  const source = "0123456789abcdefghijklmnopqrstuvwxyz;=,. \t\u00e9\u00ff\u0080";
  const value = () => {
    let text = "";
    const length = random(60);
    for (let i = 0; i < length; i++) text += source[random(source.length)];
    switch (random(3)) {
      case 0:
        return text;
      case 1:
        return `${text}, for=10.0.0.${random(256)};proto=http`;
      default:
        return `padding-${text}-padding`.slice(8, 8 + text.length + 1);
    }
  };
  const buffer = new Uint8Array(8192);
  for (let run = 0; run < 3000; run++) {
    const list: [string, string][] = [];
    const fields = random(12);
    for (let i = 0; i < fields; i++) list.push([names[random(names.length)]!, value()]);
    const method = methods[random(methods.length)]!;
    const target = targets[random(targets.length)]!;
    const framing = framings[random(framings.length)]!;
    const expected = referenceHead(method, target, "up:8080", list, framing);
    const written = writeRequestHead(buffer, method, target, "up:8080", list, framing);
    assert.deepEqual(
      [...buffer.subarray(0, written)],
      expected,
      `run ${run}: ${method} ${target} ${JSON.stringify(list)} ${JSON.stringify(framing)}`,
    );
    // Exactly the head's size fits; a byte less is refused with nothing written past the end.
    assert.equal(
      writeRequestHead(new Uint8Array(expected.length), method, target, "up:8080", list, framing),
      expected.length,
    );
    assert.equal(
      writeRequestHead(
        new Uint8Array(expected.length - 1),
        method,
        target,
        "up:8080",
        list,
        framing,
      ),
      -1,
    );
  }
});
