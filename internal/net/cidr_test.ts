import assert from "node:assert/strict";
import { CidrSet, formatCidr, parseCidr } from "./cidr.ts";

Deno.test("parseCidr() normalises blocks and single addresses", () => {
  const cases: [string, string][] = [
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["192.0.2.7", "192.0.2.7/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["2001:db8:0:0::/64", "2001:db8::/64"],
    ["::1", "::1/128"],
    ["::/0", "::/0"],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
    ["::ffff:0:0/96", "0.0.0.0/0"],
    ["::ffff:192.0.2.1", "192.0.2.1/32"],
  ];
  for (const [text, expected] of cases) assert.equal(formatCidr(parseCidr(text)), expected, text);
});

Deno.test("parseCidr() explains what is wrong", () => {
  const cases: [string, string][] = [
    [
      "10.0.0.300/8",
      '"10.0.0.300/8" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32, ' +
      "192.0.2.7)",
    ],
    ["proxy.local", '"proxy.local" is not an IP address or CIDR block'],
    ["10.0.0.0/33", '"10.0.0.0/33" has a prefix length over 32, the bits of the address'],
    ["::/129", '"::/129" has a prefix length over 128, the bits of the address'],
    ["10.0.0.0/", '"10.0.0.0/" has a prefix length that is not a number from 0 to 32'],
    ["10.0.0.0/08", '"10.0.0.0/08" has a prefix length that is not a number from 0 to 32'],
    ["10.0.0.0/-1", '"10.0.0.0/-1" has a prefix length that is not a number from 0 to 32'],
    ["::/x", '"::/x" has a prefix length that is not a number from 0 to 128'],
    [
      "10.0.0.1/8",
      '"10.0.0.1/8" has bits set past its prefix (did you mean 10.0.0.0/8 or 10.0.0.1/32?)',
    ],
    [
      "2001:db8::1/32",
      '"2001:db8::1/32" has bits set past its prefix (did you mean 2001:db8::/32 or ' +
      "2001:db8::1/128?)",
    ],
    ["::ffff:10.0.0.0/64", '"::ffff:10.0.0.0/64" reaches past the IPv4-mapped range'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseCidr(text), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.startsWith(message), error.message);
      return true;
    });
  }
});

Deno.test("CidrSet matches IPv4 blocks at every prefix length", () => {
  const set = new CidrSet(["10.0.0.0/8", "192.168.1.0/24", "203.0.113.9", "172.16.0.0/12"]);
  for (
    const inside of ["10.0.0.0", "10.255.255.255", "192.168.1.77", "203.0.113.9", "172.31.9.9"]
  ) {
    assert.ok(set.contains(inside), inside);
  }
  for (const outside of ["11.0.0.0", "9.255.255.255", "192.168.2.1", "203.0.113.8", "172.32.0.0"]) {
    assert.ok(!set.contains(outside), outside);
  }
  assert.ok(new CidrSet(["0.0.0.0/0"]).contains("255.255.255.255"), "/0 holds everything");
  assert.ok(new CidrSet(["128.0.0.0/1"]).contains("200.0.0.1"), "/1, the sign bit");
  assert.ok(!new CidrSet(["128.0.0.0/1"]).contains("127.255.255.255"));
  assert.ok(new CidrSet(["255.255.255.255/32"]).contains("255.255.255.255"));
  assert.ok(!new CidrSet(["255.255.255.255/32"]).contains("255.255.255.254"));
});

Deno.test("CidrSet matches IPv6 blocks at every prefix length", () => {
  const set = new CidrSet(["2001:db8::/32", "fd00::/8", "::1", "2001:db8:ffff:ffff::/127"]);
  for (const inside of ["2001:db8::", "2001:db8:ffff::1", "fdff::1", "::1"]) {
    assert.ok(set.contains(inside), inside);
  }
  for (const outside of ["2001:db9::", "fe00::1", "::2", "::"]) {
    assert.ok(!set.contains(outside), outside);
  }
  assert.ok(new CidrSet(["::/0"]).contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  const host = new CidrSet(["2001:db8::8:7:6:5/128"]);
  assert.ok(host.contains("2001:db8:0:0:8:7:6:5"));
  assert.ok(!host.contains("2001:db8:0:0:8:7:6:4"), "/128: the last bit counts");
  const mid = new CidrSet(["2001:db8:0:0:8000::/65"]);
  assert.ok(mid.contains("2001:db8::ffff:0:0:1"), "/65 splits the third word");
  assert.ok(!mid.contains("2001:db8::7fff:0:0:1"));
});

Deno.test("CidrSet treats IPv4-mapped IPv6 as IPv4, both ways", () => {
  const v4 = new CidrSet(["10.0.0.0/8"]);
  assert.ok(v4.contains("::ffff:10.9.8.7"), "a mapped address in an IPv4 block");
  assert.ok(!v4.contains("::ffff:11.9.8.7"));
  const mapped = new CidrSet(["::ffff:10.0.0.0/104"]);
  assert.ok(mapped.contains("10.9.8.7"), "a plain address in a mapped block");
  // An IPv6 block does not hold IPv4 clients, even ::/0.
  assert.ok(!new CidrSet(["::/0"]).contains("10.0.0.1"));
  assert.ok(!new CidrSet(["::/0"]).contains("::ffff:10.0.0.1"));
  assert.ok(!new CidrSet(["0.0.0.0/0"]).contains("2001:db8::1"));
});

Deno.test("CidrSet.contains() looks at a slice and refuses non-addresses", () => {
  const set = new CidrSet(["127.0.0.1"]);
  const text = "1.1.1.1, 127.0.0.1";
  assert.ok(set.contains(text, 9, text.length));
  assert.ok(!set.contains(text, 0, 7));
  assert.ok(!set.contains("127.0.0.1:80"), "a port is not part of an address");
  assert.ok(!set.contains(""));
  assert.ok(!set.contains("unknown"));
  assert.ok(new CidrSet([]).empty);
  assert.ok(!set.empty);
  assert.throws(() => new CidrSet(["nope"]), TypeError);
});
