import assert from "node:assert/strict";
import { Upstream } from "../pool/mod.ts";
import { assertMaglevTableSize, MaglevTable, murmurHash3 } from "./maglev.ts";

/** Reference MurmurHash3 x86_32 over bytes, written straight from the specification. */
function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < blocks; b++) {
    let k = view.getUint32(b * 4, true);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = blocks * 4;
  switch (bytes.length & 3) {
    case 3:
      k ^= (bytes[tail + 2] as number) << 16;
    // falls through
    case 2:
      k ^= (bytes[tail + 1] as number) << 8;
    // falls through
    case 1:
      k ^= bytes[tail] as number;
      k = Math.imul(k, c1);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, c2);
      h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes[2 * i] = c & 0xff;
    bytes[2 * i + 1] = c >> 8;
  }
  return bytes;
}

function upstreams(n: number, weight: (i: number) => number = () => 1): Upstream[] {
  return Array.from({ length: n }, (_, i) =>
    new Upstream({
      id: `u${i}`,
      name: `u${i}`,
      url: `http://10.0.${i >> 8}.${i & 255}:8080`,
      weight: weight(i),
    }));
}

/** Owner URL of every table entry. */
function owners(table: MaglevTable): string[] {
  return Array.from({ length: table.size }, (_, h) => table.lookup(h)?.url ?? "");
}

Deno.test("murmurHash3: the reference implementation gives the published test vectors", () => {
  const ascii = (s: string) => new TextEncoder().encode(s);
  assert.equal(murmur3Bytes(ascii(""), 0), 0);
  assert.equal(murmur3Bytes(ascii(""), 1), 0x514e28b7);
  assert.equal(murmur3Bytes(ascii(""), 0xffffffff), 0x81f16f39);
  assert.equal(murmur3Bytes(new Uint8Array(4), 0), 0x2362f9de);
  assert.equal(murmur3Bytes(ascii("aaaa"), 0x9747b28c), 0x5a97808a);
  assert.equal(murmur3Bytes(ascii("abc"), 0x9747b28c), 0xc84a62dd);
  assert.equal(murmur3Bytes(ascii("Hello, world!"), 0x9747b28c), 0x24884cba);
  assert.equal(
    murmur3Bytes(ascii("The quick brown fox jumps over the lazy dog"), 0x9747b28c),
    0x2fa826cd,
  );
});

Deno.test("murmurHash3: equals MurmurHash3 x86_32 of the UTF-16LE code units, also of a range", () => {
  const texts = ["", "a", "ab", "abc", "10.0.0.1", "2001:db8::1", "/päth/ü", "😀x", "\uffff\u0000"];
  for (const seed of [0, 1, 0x9747b28c, 0xffffffff]) {
    for (const text of texts) {
      assert.equal(murmurHash3(text, seed), murmur3Bytes(utf16le(text), seed), `${text} ${seed}`);
    }
  }
  const text = "GET /some/path?query";
  assert.equal(murmurHash3(text, 7, 4, 14), murmurHash3("/some/path", 7));
  assert.equal(murmurHash3(text, 7, 4, 15), murmurHash3("/some/path?", 7));
});

Deno.test("Maglev table: equal weights give every upstream ⌊M/N⌋ or ⌈M/N⌉ entries", () => {
  for (const n of [1, 2, 3, 10, 100, 1000]) {
    const ups = upstreams(n);
    const table = new MaglevTable(ups);
    const counts = ups.map((u) => table.entriesOf(u));
    assert.equal(counts.reduce((a, b) => a + b), 65537);
    assert.ok(
      Math.max(...counts) - Math.min(...counts) <= 1,
      `N=${n}: ${Math.min(...counts)}..${Math.max(...counts)}`,
    );
  }
});

Deno.test("Maglev table: an upstream's share of entries is w/Σw", () => {
  const cases: number[][] = [[2, 1], [1, 2, 3, 4], [10, 1, 1, 1, 1, 1], [
    1000,
    ...Array(999).fill(1),
  ]];
  for (const weights of cases) {
    const ups = upstreams(weights.length, (i) => weights[i] as number);
    const table = new MaglevTable(ups);
    const total = weights.reduce((a, b) => a + b);
    for (const [i, u] of ups.entries()) {
      const expected = (table.size * (weights[i] as number)) / total;
      // Each upstream's turns are rounded to whole ones; with many upstreams of one weight the
      // roundings add up (1000:1×999: the heavy one gets 32570 entries instead of 32785).
      assert.ok(
        Math.abs(table.entriesOf(u) - expected) <= Math.max(1, expected * 0.01),
        `weights ${weights.length <= 6 ? weights : "1000:1×999"}: ${u.id} has ${
          table.entriesOf(u)
        }, expected ${expected.toFixed(1)}`,
      );
    }
  }
});

Deno.test("Maglev table: depends on the set of upstreams, not their order or their objects", () => {
  const ups = upstreams(10, (i) => 1 + (i % 3));
  const reference = owners(new MaglevTable(ups));
  assert.deepEqual(owners(new MaglevTable(ups.toReversed())), reference);
  assert.deepEqual(owners(new MaglevTable([...ups.slice(4), ...ups.slice(0, 4)])), reference);
  // Another replica: new Upstream objects, different ids, same URLs and weights.
  const replica = ups.map((u, i) =>
    new Upstream({ id: `r${9 - i}`, name: u.name, url: u.url, weight: u.weight })
  );
  assert.deepEqual(owners(new MaglevTable(replica)), reference);
});

Deno.test("Maglev table: removing one of N moves its entries and few others", () => {
  for (const n of [3, 10, 100]) {
    const ups = upstreams(n);
    const before = new MaglevTable(ups);
    const gone = ups[Math.floor(n / 2)] as Upstream;
    const after = new MaglevTable(ups.filter((u) => u !== gone));
    let moved = 0;
    let movedOthers = 0;
    for (let h = 0; h < before.size; h++) {
      const was = before.lookup(h);
      const now = after.lookup(h);
      assert.notEqual(now, gone);
      if (was !== now) {
        moved++;
        if (was !== gone) movedOthers++;
      }
    }
    // Measured with M = 65537: N=3 1.00/N, N=10 1.02/N, N=100 1.55/N (0.55% of entries of
    // staying upstreams move; M/N = 655 is where Maglev's disruption starts to show).
    assert.ok(movedOthers / before.size <= 0.01, `N=${n}: ${movedOthers} other entries moved`);
    if (n <= 10) assert.ok(moved / before.size <= 1.3 / n, `N=${n}: ${moved} entries moved`);
  }
});

Deno.test("Maglev table: size must be a prime below 2^24", () => {
  for (const size of [0, 1, 4, 65536, 65537.5, NaN, 16777259]) {
    assert.throws(() => assertMaglevTableSize(size), RangeError, String(size));
    assert.throws(() => new MaglevTable(upstreams(2), { size }), RangeError);
  }
  assert.throws(
    () => assertMaglevTableSize(65536),
    /prime below 16777216 \(e\.g\. 65537\): current value is 65536/,
  );
  for (const size of [2, 3, 7, 251, 65537, 655373]) assertMaglevTableSize(size);
});

Deno.test("Maglev table: small tables still fill and balance", () => {
  const ups = upstreams(3);
  const table = new MaglevTable(ups, { size: 7 });
  assert.deepEqual(ups.map((u) => table.entriesOf(u)).toSorted(), [2, 2, 3]);
  const single = new MaglevTable(upstreams(1), { size: 2 });
  assert.equal(single.lookup(0xffffffff)?.id, "u0");
});

Deno.test("Maglev table: empty table finds nothing; matches() sees membership and weights", () => {
  assert.equal(new MaglevTable([]).lookup(12345), undefined);
  const ups = upstreams(3);
  const table = new MaglevTable(ups);
  assert.ok(table.matches(ups));
  assert.ok(table.matches(ups.toReversed()));
  assert.ok(!table.matches(ups.slice(1)));
  assert.ok(!table.matches([...ups.slice(1), ...upstreams(1)]), "another object, same URL");
  (ups[0] as Upstream).weight = 2;
  assert.ok(!table.matches(ups), "weight changed");
});
