import assert from "node:assert/strict";
import {
  APP_NAME,
  APP_VERSION,
  normalizeGoFlags,
  parseUpstreamArgs,
  startUpstream,
  type UpstreamOptions,
} from "./upstream.ts";

/** Starts an upstream on a free loopback port and stops it when the returned object is disposed. */
function listen(options: Omit<UpstreamOptions, "port" | "signal">) {
  const controller = new AbortController();
  const upstream = startUpstream({ ...options, port: 0, signal: controller.signal });
  return {
    ...upstream,
    url: `http://127.0.0.1:${upstream.addr.port}`,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await upstream.finished;
    },
  };
}

Deno.test("startUpstream() answers every path with the text and a newline", async () => {
  await using upstream = listen({ text: "upstream 1" });
  for (const path of ["/", "/some/path?x=1", "/health/", "/healthz"]) {
    const response = await fetch(`${upstream.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(await response.text(), "upstream 1\n", path);
  }
});

Deno.test("startUpstream() sets content type, http-echo app headers and X-Upstream", async () => {
  await using upstream = listen({ text: "upstream 2" });
  const response = await fetch(upstream.url);
  await response.body?.cancel();
  assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(response.headers.get("x-app-name"), APP_NAME);
  assert.equal(response.headers.get("x-app-version"), APP_VERSION);
  assert.equal(response.headers.get("x-upstream"), "upstream 2");
});

Deno.test("startUpstream() percent-encodes X-Upstream characters a header cannot hold", async () => {
  await using upstream = listen({ text: "café ☕" });
  const response = await fetch(upstream.url);
  assert.equal(await response.text(), "café ☕\n");
  assert.equal(response.headers.get("x-upstream"), "caf%C3%A9 %E2%98%95");
});

Deno.test("startUpstream() answers with the configured status code", async () => {
  await using upstream = listen({ text: "down for maintenance", statusCode: 503 });
  const response = await fetch(`${upstream.url}/`);
  assert.equal(response.status, 503);
  assert.equal(await response.text(), "down for maintenance\n");
});

Deno.test("startUpstream() sends no body with a 204 status code", async () => {
  await using upstream = listen({ text: "ignored", statusCode: 204 });
  const response = await fetch(upstream.url);
  assert.equal(response.status, 204);
  assert.equal(await response.text(), "");
});

Deno.test("startUpstream() /health answers 200 {status: ok} whatever the status code", async () => {
  await using upstream = listen({ text: "failing", statusCode: 500 });
  for (const path of ["/health", "/health?probe=1"]) {
    const response = await fetch(`${upstream.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("x-upstream"), "failing");
    assert.deepEqual(await response.json(), { status: "ok" });
  }
});

Deno.test("startUpstream() reads a request body before answering", async () => {
  await using upstream = listen({ text: "posted" });
  const response = await fetch(upstream.url, { method: "POST", body: "x".repeat(256 * 1024) });
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "posted\n");
});

Deno.test("startUpstream() binds 127.0.0.1 by default and reports the real port", async () => {
  await using upstream = listen({ text: "a" });
  assert.equal(upstream.addr.hostname, "127.0.0.1");
  assert.notEqual(upstream.addr.port, 0);
  assert.equal(upstream.server.addr.port, upstream.addr.port);
});

Deno.test("startUpstream() stops accepting connections once its signal is aborted", async () => {
  const upstream = listen({ text: "a" });
  await upstream[Symbol.asyncDispose]();
  await assert.rejects(fetch(upstream.url), TypeError);
});

Deno.test("startUpstream() rejects a port or status code out of range", () => {
  assert.throws(() => startUpstream({ text: "a", port: 65536 }), RangeError);
  assert.throws(() => startUpstream({ text: "a", port: 1.5 }), RangeError);
  assert.throws(() => startUpstream({ text: "a", port: 0, statusCode: 100 }), RangeError);
  assert.throws(() => startUpstream({ text: "a", port: 0, statusCode: 600 }), RangeError);
});

Deno.test("startUpstream() throws AddrInUse when the port is taken", async () => {
  await using first = listen({ text: "first" });
  assert.throws(
    () => startUpstream({ text: "second", port: first.addr.port }),
    Deno.errors.AddrInUse,
  );
});

Deno.test("normalizeGoFlags() turns Go-style flags into parseArgs long options", () => {
  const flags = ["text", "listen", "status-code"];
  assert.deepEqual(normalizeGoFlags(["-text", "hi"], flags), ["--text=hi"]);
  assert.deepEqual(normalizeGoFlags(["-text=hi"], flags), ["--text=hi"]);
  assert.deepEqual(normalizeGoFlags(["--text", "hi"], flags), ["--text=hi"]);
  assert.deepEqual(normalizeGoFlags(["--text=a=b"], flags), ["--text=a=b"]);
  assert.deepEqual(normalizeGoFlags(["-listen", ":5678"], flags), ["--listen=:5678"]);
  assert.deepEqual(normalizeGoFlags(["-status-code", "503"], flags), ["--status-code=503"]);
  // Go takes the next argument as the value even when it starts with a dash.
  assert.deepEqual(normalizeGoFlags(["-text", "-v-"], flags), ["--text=-v-"]);
  // Booleans, short options, positionals, a missing value and "--" pass through.
  assert.deepEqual(normalizeGoFlags(["-version", "-h", "extra"], flags), [
    "--version",
    "-h",
    "extra",
  ]);
  assert.deepEqual(normalizeGoFlags(["-text"], flags), ["--text"]);
  assert.deepEqual(normalizeGoFlags(["--", "-text", "x"], flags), ["--", "-text", "x"]);
});

Deno.test("parseUpstreamArgs() accepts http-echo's flag spellings", () => {
  const serve = (text: string, hostname: string, port: number, statusCode = 200) => ({
    kind: "serve",
    text,
    hostname,
    port,
    statusCode,
  });
  assert.deepEqual(parseUpstreamArgs(["-text=hi"]), serve("hi", "0.0.0.0", 5678));
  assert.deepEqual(parseUpstreamArgs(["--text", "hi"]), serve("hi", "0.0.0.0", 5678));
  assert.deepEqual(
    parseUpstreamArgs(["-text", "hello world"]),
    serve("hello world", "0.0.0.0", 5678),
  );
  assert.deepEqual(
    parseUpstreamArgs(["-text", "hi", "-listen", ":5678"]),
    serve("hi", "0.0.0.0", 5678),
  );
  assert.deepEqual(
    parseUpstreamArgs(["-listen=127.0.0.1:9001", "-text=hi"]),
    serve("hi", "127.0.0.1", 9001),
  );
  assert.deepEqual(
    parseUpstreamArgs(["-text=hi", "-listen", "[::1]:9002", "-status-code=503"]),
    serve("hi", "::1", 9002, 503),
  );
  assert.deepEqual(
    parseUpstreamArgs(["-text=hi", "--listen=localhost:0"]),
    serve("hi", "localhost", 0),
  );
  // Like Go's flag package, the last occurrence wins.
  assert.deepEqual(parseUpstreamArgs(["-text=a", "-text=b"]), serve("b", "0.0.0.0", 5678));
});

Deno.test("parseUpstreamArgs() falls back to ECHO_TEXT when -text is missing or empty", () => {
  assert.equal(parseUpstreamArgs([], { echoText: "from env" }).kind, "serve");
  assert.deepEqual(parseUpstreamArgs(["-text="], { echoText: "from env" }), {
    kind: "serve",
    text: "from env",
    hostname: "0.0.0.0",
    port: 5678,
    statusCode: 200,
  });
  assert.equal(
    (parseUpstreamArgs(["-text=flag"], { echoText: "env" }) as { text: string }).text,
    "flag",
  );
});

Deno.test("parseUpstreamArgs() handles -h, -help and -version without -text", () => {
  assert.equal(parseUpstreamArgs(["-h"]).kind, "help");
  assert.equal(parseUpstreamArgs(["-help"]).kind, "help");
  const version = parseUpstreamArgs(["-version"]);
  assert.equal(version.kind, "version");
  assert.match((version as { version: string }).version, /^http-echo v1\.0\.0/);
});

Deno.test("parseUpstreamArgs() rejects bad input with the value seen", () => {
  assert.throws(() => parseUpstreamArgs([]), {
    name: "TypeError",
    message: "Missing -text option or ECHO_TEXT env var",
  });
  assert.throws(() => parseUpstreamArgs(["-text"]), TypeError);
  assert.throws(() => parseUpstreamArgs(["-text=hi", "-nope"]), {
    name: "TypeError",
    message: /'--nope'/,
  });
  assert.throws(() => parseUpstreamArgs(["-text=hi", "extra"]), {
    name: "TypeError",
    message: /Too many arguments.*"extra"/,
  });
  assert.throws(() => parseUpstreamArgs(["-text=hi", "-listen", "9001"]), {
    name: "RangeError",
    message: /current value is "9001"/,
  });
  assert.throws(() => parseUpstreamArgs(["-text=hi", "-listen", ":70000"]), RangeError);
  assert.throws(() => parseUpstreamArgs(["-text=hi", "-status-code", "abc"]), {
    name: "RangeError",
    message: /current value is "abc"/,
  });
  assert.throws(() => parseUpstreamArgs(["-text=hi", "-status-code=99"]), RangeError);
});
