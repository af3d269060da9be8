import assert from "node:assert/strict";
import { isLoopbackHost } from "./loopback.ts";

Deno.test("isLoopbackHost() accepts 127.0.0.0/8, ::1 in any spelling and localhost", () => {
  for (
    const host of [
      "127.0.0.1",
      "127.0.0.2",
      "127.255.255.254",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "[0000::0001]",
      "localhost",
      "LocalHost",
    ]
  ) {
    assert.equal(isLoopbackHost(host), true, host);
  }
});

Deno.test("isLoopbackHost() rejects wildcards, other addresses and look-alikes", () => {
  for (
    const host of [
      "0.0.0.0",
      "::",
      "[::]",
      "10.0.0.1",
      "128.0.0.1",
      "1.127.0.0",
      "127.0.0.256",
      "127.0.0.1.example.com",
      "127.1",
      "0x7f.0.0.1",
      "::2",
      "::ffff:10.0.0.1",
      "[::1",
      "::1]",
      "localhost.",
      " 127.0.0.1",
      "localhost.example.com",
      "mylocalhost",
      "example.com",
      "",
    ]
  ) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});
