/**
 * End-to-end: the client IP behind a trusted proxy. The test client plays the proxy: it
 * connects from 127.0.0.1 and sends X-Forwarded-For, which Sluice believes only with
 * `--trusted-proxies` covering 127.0.0.1. The access log and `ip_hash` see the client IP; the
 * upstream still gets X-Forwarded-For with the socket's address appended.
 *
 * @module
 */

import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { get, startSluice, startUpstream, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

/** Captures access log entries (the fixture leaves logging unconfigured) until disposed. */
async function captureAccessLog() {
  const waiting = new Map<string, (entry: Record<string, unknown>) => void>();
  await configure({
    sinks: {
      capture(record: LogRecord) {
        const path = String(record.properties.path);
        waiting.get(path)?.(record.properties);
        waiting.delete(path);
      },
    },
    loggers: [
      { category: ["sluice", "access"], lowestLevel: "info", sinks: ["capture"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
    ],
  });
  return {
    /** Sends a GET to `url` + `path` and resolves with its access log entry. */
    async entryOf(base: string, path: string, headers: HeadersInit = {}) {
      const logged = new Promise<Record<string, unknown>>((resolve) => waiting.set(path, resolve));
      const response = await get(base + path, { headers });
      assert.equal(response.status, 200);
      return within(logged, 2_000, `the access log entry of ${path}`);
    },
    [Symbol.asyncDispose]: () => reset(),
  };
}

proxyTest(
  "client IP: a trusted proxy's X-Forwarded-For names the client in the access log",
  async (variant) => {
    await using log = await captureAccessLog();
    await using up = startUpstream("up");
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--trusted-proxies",
      "127.0.0.1",
    ]);

    const direct = await log.entryOf(sluice.url, "/direct");
    assert.equal(direct.client, "127.0.0.1", "no X-Forwarded-For: the proxy itself");

    const forwarded = await log.entryOf(sluice.url, "/forwarded", {
      "x-forwarded-for": "203.0.113.7",
    });
    assert.equal(forwarded.client, "203.0.113.7");

    // The client claimed 6.6.6.6 itself; only the address the proxy appended counts.
    const spoofed = await log.entryOf(sluice.url, "/spoofed", {
      "x-forwarded-for": "6.6.6.6, 203.0.113.8",
    });
    assert.equal(spoofed.client, "203.0.113.8");

    const chain = await log.entryOf(sluice.url, "/chain", {
      "x-forwarded-for": "203.0.113.9, 127.0.0.1",
    });
    assert.equal(chain.client, "203.0.113.9", "trusted hops on the right are skipped");

    // The upstream sees the chain with the socket's address appended, as without trust.
    const seen = up.seen.find((request) => request.target === "/spoofed");
    assert.equal(seen?.headers.get("x-forwarded-for"), "6.6.6.6, 203.0.113.8, 127.0.0.1");
  },
);

proxyTest(
  "client IP: X-Forwarded-For from a peer that is not trusted is ignored",
  async (variant) => {
    await using log = await captureAccessLog();
    await using up = startUpstream("up");
    for (const args of [[], ["--trusted-proxies", "10.0.0.0/8,::1"]]) {
      await using sluice = await startSluice(variant, ["--backends", up.url, ...args]);
      const entry = await log.entryOf(sluice.url, `/untrusted-${args.length}`, {
        "x-forwarded-for": "203.0.113.7",
      });
      assert.equal(entry.client, "127.0.0.1", `with ${JSON.stringify(args)}`);
    }
  },
);

proxyTest(
  "client IP: ip_hash balances forwarded clients behind a trusted proxy",
  async (variant) => {
    await using a = startUpstream("a");
    await using b = startUpstream("b");
    const backends = ["--backends", `${a.url},${b.url}`, "--strategy", "ip_hash"];
    const clients = Array.from({ length: 16 }, (_, i) => `203.0.113.${i + 1}`);
    const answers = async (url: string) => {
      const texts: string[] = [];
      for (const client of [...clients, ...clients]) {
        texts.push((await get(url, { headers: { "x-forwarded-for": client } })).text);
      }
      return texts;
    };

    {
      await using sluice = await startSluice(variant, [
        ...backends,
        "--trusted-proxies",
        "127.0.0.0/8",
      ]);
      const texts = await answers(sluice.url);
      assert.deepEqual(texts.slice(16), texts.slice(0, 16), "each client keeps its upstream");
      assert.deepEqual(new Set(texts), new Set(["a", "b"]), "clients spread over both upstreams");
    }
    {
      await using sluice = await startSluice(variant, backends);
      const texts = await answers(sluice.url);
      assert.equal(new Set(texts).size, 1, "untrusted: every request is 127.0.0.1's");
    }
  },
);

proxyTest("client IP: a bad --trusted-proxies stops start-up with the problem", async (variant) => {
  await assert.rejects(
    startSluice(variant, ["--trusted-proxies", "10.0.0.1/8"]),
    {
      name: "ConfigError",
      message: '--trusted-proxies: "10.0.0.1/8" has bits set past its prefix (did you mean ' +
        "10.0.0.0/8 or 10.0.0.1/32?)",
    },
  );
});
