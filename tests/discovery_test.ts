/**
 * End-to-end tests of DNS service discovery against a tiny DNS server on a loopback UDP port
 * (tests/_dns_server.ts, npm dns2) whose answers change during the test: upstreams found join
 * after a passing health check, upstreams gone drain and leave, a failed lookup keeps the last
 * good set.
 */

import assert from "node:assert/strict";
import { get, startSluice, startUpstream, type TestSluice, waitForPool } from "./_fixtures.ts";
import { startDnsServer } from "./_dns_server.ts";

function urls(sluice: TestSluice): string[] {
  return sluice.app.pool.list().map((u) => u.url).sort();
}

function upOnly(sluice: TestSluice, expected: string[]): () => boolean {
  return () => {
    const list = sluice.app.pool.list();
    return list.length === expected.length &&
      expected.every((url) => list.some((u) => u.url === url && u.health === "up"));
  };
}

async function configFile(dir: string, body: string): Promise<string> {
  const file = `${dir}/sluice.yaml`;
  await Deno.writeTextFile(file, body);
  return file;
}

Deno.test("discovery: dns+srv:// upstreams follow the SRV records; a failed lookup keeps the set", async () => {
  await using one = startUpstream("one");
  await using two = startUpstream("two");
  await using dns = await startDnsServer({
    srv: { "_http._tcp.svc.test": [{ target: "a.test", port: one.port }] },
    a: { "a.test": ["127.0.0.1"] },
  });
  const dir = await Deno.makeTempDir({ prefix: "sluice-dns-" });
  try {
    const file = await configFile(
      dir,
      [
        "backends: [dns+srv://_http._tcp.svc.test]",
        "health: { interval: 100ms, healthy_threshold: 1 }",
        `discovery: { min_interval: 100ms, max_interval: 1s, name_server: "127.0.0.1:${dns.port}" }`,
      ].join("\n"),
    );
    await using sluice = await startSluice(["--config", file]);
    await waitForPool(sluice.app, upOnly(sluice, [one.url]), 10_000, "the first SRV answer");
    assert.equal((await get(sluice.url + "/")).text, "one");

    dns.zone = {
      ...dns.zone,
      srv: {
        "_http._tcp.svc.test": [
          { target: "a.test", port: one.port },
          { target: "a.test", port: two.port },
        ],
      },
    };
    await waitForPool(sluice.app, upOnly(sluice, [one.url, two.url]), 10_000, "a second upstream");
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await get(sluice.url + "/")).text);
    assert.deepEqual([...seen].sort(), ["one", "two"]);

    dns.zone = {
      ...dns.zone,
      srv: { "_http._tcp.svc.test": [{ target: "a.test", port: two.port }] },
    };
    await waitForPool(sluice.app, () => urls(sluice).join() === two.url, 10_000, "one drained");
    assert.equal((await get(sluice.url + "/")).text, "two");

    // No record at all: the lookup fails, the last good set stays.
    dns.zone = { ...dns.zone, srv: {} };
    await dns.questions(3);
    assert.deepEqual(urls(sluice), [two.url]);
    assert.equal((await get(sluice.url + "/")).text, "two");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("discovery: dns://name:port upstreams follow the A records", async () => {
  // Two loopback addresses on one port (Linux routes all of 127.0.0.0/8 to lo).
  const first = Deno.serve(
    { hostname: "127.0.0.2", port: 0, onListen() {} },
    () => new Response("at .2"),
  );
  const port = first.addr.port;
  const second = Deno.serve(
    { hostname: "127.0.0.3", port, onListen() {} },
    () => new Response("at .3"),
  );
  await using dns = await startDnsServer({ a: { "svc.test": ["127.0.0.2"] } });
  const dir = await Deno.makeTempDir({ prefix: "sluice-dns-" });
  try {
    const file = await configFile(
      dir,
      [
        `backends: ["dns://svc.test:${port}"]`,
        "health: { interval: 100ms, healthy_threshold: 1 }",
        `discovery: { min_interval: 100ms, name_server: "127.0.0.1:${dns.port}" }`,
      ].join("\n"),
    );
    await using sluice = await startSluice(["--config", file]);
    const a = `http://127.0.0.2:${port}`;
    const b = `http://127.0.0.3:${port}`;
    await waitForPool(sluice.app, upOnly(sluice, [a]), 10_000, "the first A answer");
    assert.equal((await get(sluice.url + "/")).text, "at .2");
    dns.zone = { a: { "svc.test": ["127.0.0.3"] } };
    await waitForPool(sluice.app, upOnly(sluice, [b]), 10_000, "the address change");
    assert.equal((await get(sluice.url + "/")).text, "at .3");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await first.shutdown();
    await second.shutdown();
  }
});
