import assert from "node:assert/strict";
import { isAuthorized } from "./auth.ts";

const equal = (a: string, b: string) => a === b;
const TOKEN = "0123456789abcdef-token";

Deno.test("isAuthorized(): probes are open to any client, with or without a token", () => {
  assert.equal(isAuthorized("probe", "10.1.2.3", undefined, TOKEN, equal), true);
  assert.equal(isAuthorized("probe", "10.1.2.3", "wrong", TOKEN, equal), true);
});

Deno.test("isAuthorized(): reads need the token except from loopback", () => {
  assert.equal(isAuthorized("read", "127.0.0.1", undefined, TOKEN, equal), true);
  assert.equal(isAuthorized("read", "::1", undefined, TOKEN, equal), true);
  assert.equal(isAuthorized("read", "10.1.2.3", undefined, TOKEN, equal), false);
  assert.equal(isAuthorized("read", "10.1.2.3", "wrong", TOKEN, equal), false);
  assert.equal(isAuthorized("read", "10.1.2.3", TOKEN, TOKEN, equal), true);
});

Deno.test("isAuthorized(): writes need the token, from loopback too; no token set allows all", () => {
  assert.equal(isAuthorized("write", "127.0.0.1", undefined, TOKEN, equal), false);
  assert.equal(isAuthorized("write", "127.0.0.1", TOKEN, TOKEN, equal), true);
  assert.equal(isAuthorized("write", "127.0.0.1", undefined, undefined, equal), true);
});
