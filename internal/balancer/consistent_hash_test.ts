import assert from "node:assert/strict";
import { Pool, type Upstream, type UpstreamSpec } from "../pool/mod.ts";
import { ConsistentHashStrategy, IpHashStrategy } from "./consistent_hash.ts";
import { createStrategy } from "./create_strategy.ts";
import { parseHashKey } from "../config/mod.ts";
import type { SelectContext, Strategy } from "./strategy.ts";

const REQUEST = new Request("http://lb/");

function specs(n: number, weight: (i: number) => number = () => 1): UpstreamSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `u${i}`,
    name: `u${i}`,
    url: `http://10.0.${i >> 8}.${i & 255}:8080`,
    weight: weight(i),
  }));
}

/** Synthetic client IPs 10.0.0.0, 10.0.0.1, …: structured keys, as real ones are. */
function ipContexts(count: number): SelectContext[] {
  return Array.from({ length: count }, (_, i) => ({
    request: REQUEST,
    clientIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  }));
}

function ctxWith(headers: HeadersInit, clientIp = "192.0.2.1", url = "http://lb/"): SelectContext {
  return { request: new Request(url, { headers }), clientIp };
}

/** The URL each context goes to. */
function assign(
  strategy: Strategy,
  upstreams: readonly Upstream[],
  ctxs: SelectContext[],
): string[] {
  return ctxs.map((ctx) => strategy.select(upstreams, ctx)?.url ?? "none");
}

function countBy(urls: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const url of urls) counts.set(url, (counts.get(url) ?? 0) + 1);
  return counts;
}

Deno.test("consistent hash: equal weights give every upstream its fair share of keys ±10%", () => {
  for (const n of [3, 10, 100]) {
    const pool = new Pool(specs(n));
    const keys = 10_000 * n;
    const counts = countBy(
      assign(new ConsistentHashStrategy(), pool.available(), ipContexts(keys)),
    );
    assert.equal(counts.size, n);
    const shares = [...counts.values()].map((c) => c / (keys / n));
    const [low, high] = [Math.min(...shares), Math.max(...shares)];
    // Measured: N=3 0.995–1.003, N=10 0.987–1.010, N=100 0.976–1.020.
    assert.ok(low >= 0.9 && high <= 1.1, `N=${n}: shares of the fair share ${low}..${high}`);
  }
});

Deno.test("consistent hash: when one of N leaves only its keys move (≈1/N), and they return", () => {
  for (const n of [3, 10, 100]) {
    const pool = new Pool(specs(n));
    const strategy = new ConsistentHashStrategy();
    const ctxs = ipContexts(100_000);
    const before = assign(strategy, pool.available(), ctxs);
    const gone = pool.get(`u${n >> 1}`) as Upstream;
    pool.setHealth(gone.id, false);
    const during = assign(strategy, pool.available(), ctxs);
    let moved = 0;
    let movedOthers = 0;
    for (let i = 0; i < ctxs.length; i++) {
      assert.notEqual(during[i], gone.url);
      if (before[i] !== during[i]) {
        moved++;
        if (before[i] !== gone.url) movedOthers++;
      }
    }
    // Measured: N=3 1.01/N, N=10 1.03/N, N=100 1.58/N of keys move; of the keys on staying
    // upstreams 0.03%, 0.3%, 0.6% move.
    assert.ok(movedOthers / ctxs.length <= 0.01, `N=${n}: ${movedOthers} keys of others moved`);
    const bound = n <= 10 ? 1.3 / n : 1 / n + 0.01;
    assert.ok(moved / ctxs.length <= bound, `N=${n}: ${moved / ctxs.length} of keys moved`);

    pool.setHealth(gone.id, true);
    assert.deepEqual(assign(strategy, pool.available(), ctxs), before, `N=${n}: keys return`);
  }
});

Deno.test("consistent hash: weights 2:1 give 2/3 and 1/3 of keys ±10%; a weight change applies", () => {
  const pool = new Pool(specs(2, (i) => (i === 0 ? 2 : 1)));
  const strategy = new ConsistentHashStrategy();
  const ctxs = ipContexts(100_000);
  let counts = countBy(assign(strategy, pool.available(), ctxs));
  const heavy = (counts.get("http://10.0.0.0:8080") ?? 0) / ctxs.length;
  assert.ok(Math.abs(heavy / (2 / 3) - 1) <= 0.1, `weight 2 got ${heavy}`);

  pool.setWeight("u1", 6); // now 2:6
  counts = countBy(assign(strategy, pool.available(), ctxs));
  const light = (counts.get("http://10.0.0.0:8080") ?? 0) / ctxs.length;
  assert.ok(Math.abs(light / (1 / 4) - 1) <= 0.1, `weight 2 of 8 got ${light}`);
});

Deno.test("consistent hash: same key, same upstream: across calls, instances, replicas, orders", () => {
  const ctxs = ipContexts(5_000);
  const pool = new Pool(specs(7));
  const a = new ConsistentHashStrategy();
  const reference = assign(a, pool.available(), ctxs);
  assert.deepEqual(assign(a, pool.available(), ctxs), reference, "same instance, again");
  assert.deepEqual(assign(new ConsistentHashStrategy(), pool.available(), ctxs), reference);

  // A replica whose config lists the backends in another order (so other ids, other objects).
  const replica = new Pool(specs(7).toReversed().map((s, i) => ({ ...s, id: `u${i + 1}` })));
  assert.deepEqual(assign(new ConsistentHashStrategy(), replica.available(), ctxs), reference);

  // Snapshot order does not matter either.
  const shuffled = Object.freeze([3, 0, 6, 1, 5, 2, 4].map((i) => pool.available()[i] as Upstream));
  assert.deepEqual(assign(a, shuffled, ctxs), reference);
});

Deno.test("consistent hash: key from a header, a cookie, the path or the client IP", () => {
  const upstreams = new Pool(specs(10)).available();
  const distinct = (strategy: Strategy, make: (i: number) => SelectContext) =>
    new Set(Array.from({ length: 1000 }, (_, i) => strategy.select(upstreams, make(i)))).size;

  const byHeader = new ConsistentHashStrategy({ key: parseHashKey("header:X-User") });
  const alice = byHeader.select(upstreams, ctxWith({ "x-user": "alice" }, "192.0.2.1"));
  for (let i = 2; i < 50; i++) {
    assert.equal(byHeader.select(upstreams, ctxWith({ "x-user": "alice" }, `192.0.2.${i}`)), alice);
  }
  assert.equal(distinct(byHeader, (i) => ctxWith({ "x-user": `user${i}` }, "192.0.2.1")), 10);

  const byCookie = new ConsistentHashStrategy({ key: parseHashKey("cookie:sid") });
  const session = byCookie.select(
    upstreams,
    ctxWith({ cookie: "sid=s-42; theme=dark" }, "192.0.2.1"),
  );
  assert.equal(
    byCookie.select(upstreams, ctxWith({ cookie: "theme=light; sid=s-42" }, "198.51.100.9")),
    session,
  );
  assert.equal(distinct(byCookie, (i) => ctxWith({ cookie: `sid=s-${i}` })), 10);

  const byPath = new ConsistentHashStrategy({ key: { source: "path" } });
  const logo = byPath.select(upstreams, ctxWith({}, "192.0.2.1", "http://lb/img/logo.png?v=1"));
  assert.equal(
    byPath.select(upstreams, ctxWith({}, "203.0.113.5", "http://lb/img/logo.png?v=2")),
    logo,
  );
  assert.equal(distinct(byPath, (i) => ctxWith({}, "192.0.2.1", `http://lb/item/${i}`)), 10);

  const byIp = new ConsistentHashStrategy();
  const client = byIp.select(upstreams, ctxWith({ "x-user": "a" }, "2001:db8::7", "http://lb/a"));
  assert.equal(
    byIp.select(upstreams, ctxWith({ "x-user": "b" }, "2001:db8::7", "http://lb/b")),
    client,
  );
  assert.equal(distinct(byIp, (i) => ctxWith({}, `2001:db8::${i.toString(16)}`)), 10);
});

Deno.test("consistent hash: a missing or empty header or cookie falls back to the client IP", () => {
  const upstreams = new Pool(specs(10)).available();
  const byIp = new ConsistentHashStrategy();
  const byHeader = new ConsistentHashStrategy({ key: parseHashKey("header:x-user") });
  const byCookie = new ConsistentHashStrategy({ key: parseHashKey("cookie:sid") });
  const spread = new Set<Upstream | undefined>();
  for (let i = 0; i < 200; i++) {
    const ip = `198.51.100.${i}`;
    const expected = byIp.select(upstreams, ctxWith({}, ip));
    spread.add(expected);
    assert.equal(byHeader.select(upstreams, ctxWith({}, ip)), expected);
    assert.equal(byHeader.select(upstreams, ctxWith({ "x-user": "" }, ip)), expected);
    assert.equal(byCookie.select(upstreams, ctxWith({ cookie: "theme=dark" }, ip)), expected);
    assert.equal(byCookie.select(upstreams, ctxWith({ cookie: "sid=" }, ip)), expected);
  }
  assert.equal(spread.size, 10, "keyless clients still spread over every upstream");
});

Deno.test("consistent hash: no upstream gives undefined, one upstream gives it", () => {
  const strategy = new ConsistentHashStrategy();
  const ctx = ctxWith({});
  assert.equal(strategy.select([], ctx), undefined);
  const [only] = new Pool(specs(1)).available();
  assert.equal(strategy.select([only as Upstream], ctx), only);
  assert.equal(strategy.select(Object.freeze([]), ctx), undefined);
});

Deno.test("consistent hash: a retry list (tried upstream removed) gives where the key goes when it is down", () => {
  const pool = new Pool(specs(5));
  const strategy = new ConsistentHashStrategy();
  const available = pool.available();
  const ctxs = ipContexts(2_000);
  const retries: (string | undefined)[] = [];
  for (const ctx of ctxs) {
    // As the director's selectUntried: the full snapshot keeps answering the same upstream…
    const first = strategy.select(available, ctx);
    assert.equal(strategy.select(available, ctx), first);
    // …then a new filtered array each time.
    const second = strategy.select(available.filter((u) => u !== first), ctx);
    assert.ok(second !== undefined && second !== first);
    assert.equal(
      strategy.select(available.filter((u) => u !== first), ctx),
      second,
      "deterministic",
    );
    retries.push(second.url);
  }
  // A replica, and the same pool once the tried upstream is marked down, agree.
  const replica = new ConsistentHashStrategy();
  for (const down of available) {
    pool.setHealth(down.id, false);
    for (const [i, ctx] of ctxs.entries()) {
      if (replica.select(available, ctx) !== down) continue;
      assert.equal(replica.select(pool.available(), ctx)?.url, retries[i]);
    }
    pool.setHealth(down.id, true);
  }
  // The keys of one upstream retry over all the others.
  const u0 = pool.get("u0") as Upstream;
  const fromU0 = ctxs.filter((ctx) => strategy.select(available, ctx) === u0);
  const spread = new Set(
    fromU0.map((ctx) => strategy.select(available.filter((u) => u !== u0), ctx)),
  );
  assert.equal(spread.size, 4);
  // Everything tried: nothing left.
  assert.equal(strategy.select(available.filter(() => false), ctxs[0] as SelectContext), undefined);
});

Deno.test("consistent hash: alternating between upstream sets never serves a stale table", () => {
  const pool = new Pool(specs(6));
  const full = pool.available();
  const sets = [
    full,
    full.slice(1),
    full.slice(2),
    full.slice(0, 3),
    full.slice(3),
    full.slice(1, 5),
  ];
  const ctxs = ipContexts(300);
  const expected = sets.map((set) => assign(new ConsistentHashStrategy(), set, ctxs));
  const strategy = new ConsistentHashStrategy();
  // More sets than the strategy keeps tables for, visited in an order that hits every cache path.
  for (const i of [0, 1, 0, 1, 2, 3, 4, 5, 0, 5, 2, 2, 1, 4, 3, 0]) {
    assert.deepEqual(assign(strategy, sets[i] as Upstream[], ctxs), expected[i], `set ${i}`);
  }
});

Deno.test("consistent hash: table size option", () => {
  const upstreams = new Pool(specs(4)).available();
  const small = new ConsistentHashStrategy({ tableSize: 401 });
  const counts = countBy(assign(small, upstreams, ipContexts(40_000)));
  assert.equal(counts.size, 4);
  for (const count of counts.values()) assert.ok(Math.abs(count / 10_000 - 1) <= 0.1);
  assert.throws(() => new ConsistentHashStrategy({ tableSize: 65536 }), RangeError);
  assert.throws(() => new IpHashStrategy({ tableSize: 100 }), RangeError);
});

Deno.test("createStrategy: consistent_hash takes options.hashKey; ip_hash hashes the client IP", () => {
  const upstreams = new Pool(specs(10)).available();
  const byHeader = createStrategy("consistent_hash", { hashKey: parseHashKey("header:x-user") });
  assert.equal(byHeader.name, "consistent_hash");
  assert.ok(byHeader instanceof ConsistentHashStrategy);
  const picks = new Set(
    Array.from(
      { length: 50 },
      (_, i) => byHeader.select(upstreams, ctxWith({ "x-user": "bob" }, `192.0.2.${i}`)),
    ),
  );
  assert.equal(picks.size, 1, "keyed on the header, not the IP");

  const byDefault = createStrategy("consistent_hash");
  const ipHash = createStrategy("ip_hash", { hashKey: parseHashKey("path") });
  assert.equal(ipHash.name, "ip_hash");
  assert.ok(ipHash instanceof IpHashStrategy);
  const ctxs = ipContexts(1000).map((c, i) => ({ ...c, request: new Request(`http://lb/p${i}`) }));
  const reference = assign(new ConsistentHashStrategy(), upstreams, ctxs);
  assert.deepEqual(assign(byDefault, upstreams, ctxs), reference);
  assert.deepEqual(assign(ipHash, upstreams, ctxs), reference);
});
