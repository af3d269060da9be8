import assert from "node:assert/strict";
import { formatIp, parseIp, readIp } from "./ip.ts";

function canonical(text: string): string | undefined {
  const address = parseIp(text);
  return address && formatIp(address.family, address.words);
}

Deno.test("parseIp() reads dotted-quad IPv4", () => {
  assert.deepEqual(parseIp("192.0.2.1")?.family, 4);
  assert.equal(parseIp("192.0.2.1")?.words[0], 0xc0000201);
  assert.equal(parseIp("255.255.255.255")?.words[0], 0xffffffff);
  assert.equal(parseIp("0.0.0.0")?.words[0], 0);
  assert.equal(canonical("10.20.30.40"), "10.20.30.40");
});

Deno.test("parseIp() refuses what is not a dotted quad", () => {
  for (
    const text of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.",
      ".1.2.3",
      "1..2.3",
      "256.0.0.1",
      "010.0.0.1", // octal or decimal? inet_pton refuses it too
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.a",
      "0x7f.0.0.1",
      "127.1",
      "1.2.3.4/8",
      "localhost",
    ]
  ) {
    assert.equal(parseIp(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseIp() reads every RFC 4291 spelling of IPv6 and formats it as RFC 5952", () => {
  const cases: [string, string][] = [
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["fe80::1:2", "fe80::1:2"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"], // the longest run of zeros
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"], // the first of two equal runs
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"], // a single zero group stays
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["::1.2.3.4", "::102:304"],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseIp(text)?.family, 6, text);
    assert.equal(canonical(text), expected, text);
  }
});

Deno.test("parseIp() refuses malformed IPv6", () => {
  for (
    const text of [
      ":",
      ":::",
      "1:::2",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "12345::",
      "1:2:3:4:5:6:7:",
      ":1:2:3:4:5:6:7",
      "g::1",
      "[::1]",
      "::1%eth0",
      "1:2:3:4:5:6:7:1.2.3.4",
      "::1.2.3",
      "::1.2.3.4:5",
    ]
  ) {
    assert.equal(parseIp(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseIp() reads an IPv4-mapped IPv6 address as the IPv4 address", () => {
  for (const text of ["::ffff:10.1.2.3", "::FFFF:10.1.2.3", "0:0:0:0:0:ffff:a01:203"]) {
    const address = parseIp(text);
    assert.equal(address?.family, 4, text);
    assert.deepEqual([...address!.words], [0x0a010203, 0, 0, 0], text);
    assert.equal(canonical(text), "10.1.2.3");
  }
});

Deno.test("readIp() reads a slice of a longer text", () => {
  const words = new Uint32Array(4);
  const text = "x, 10.0.0.1, 2001:db8::7";
  assert.equal(readIp(text, 3, 11, words), 4);
  assert.equal(words[0], 0x0a000001);
  assert.equal(readIp(text, 13, text.length, words), 6);
  assert.deepEqual([...words], [0x20010db8, 0, 0, 7]);
  assert.equal(readIp(text, 2, 11, words), 0, "a leading space is not part of an address");
  assert.equal(readIp(text, 0, 0, words), 0, "empty");
});
