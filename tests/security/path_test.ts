/**
 * End-to-end, raw sockets: the upstream receives the request target byte for byte, wherever the
 * transport allows (issue 9, security suite).
 *
 * Cases marked `transport` depend on the transport: today's default, fetch, parses the URL the
 * WHATWG way before sending it, so it removes dot segments (`/a/../b` → `/b`, also spelled
 * `%2e%2e` or with `\`), turns `\` into `/`, percent-encodes bytes outside the URL code points
 * (`"`, `<`, `>`, `{`, `}`, `` ` ``, non-ASCII) and drops a fragment. They assert today's
 * behaviour; a transport that sends the target as received makes them fail, on purpose, so
 * that the expectation is updated to the byte-for-byte one. Sluice itself makes no decision on
 * the path (no path routes yet), so a normalised path cannot be used to pass a check of
 * Sluice's; the upstream decides on exactly what it receives.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startSluice } from "../_fixtures.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";
import { exchange } from "./_exchange.ts";

/** [target sent, target the upstream receives, depends on the transport]. */
const CASES: [sent: string, received: string, transport?: "transport"][] = [
  ["/", "/"],
  ["/a%2Fb/c%20d?q=%E2%9C%93&x=1&x=2", "/a%2Fb/c%20d?q=%E2%9C%93&x=1&x=2"],
  ["//double//slash", "//double//slash"],
  ["/p;param", "/p;param"],
  ["/%00", "/%00"],
  ["/%", "/%"],
  ["/%zz", "/%zz"],
  ["/a%2e/b", "/a%2e/b"],
  ["/a/..%2fb", "/a/..%2fb"],
  ["/.well-known/x", "/.well-known/x"],
  ["/a?", "/a?"],
  ["/?", "/?"],
  ["/a?b?c", "/a?b?c"],
  ["/a?x=%2F..%2F", "/a?x=%2F..%2F"],
  ["/a/../b", "/b", "transport"],
  ["/a/./b", "/a/b", "transport"],
  ["/..", "/", "transport"],
  ["/%2e%2e/x", "/x", "transport"],
  ["/a/%2E%2E/b", "/b", "transport"],
  ["/\\x", "//x", "transport"],
  ["/a\\..\\b", "/b", "transport"],
  ["/\xc3\xa9", "/%C3%A9", "transport"],
  ["/?q=a'b\"c<>", "/?q=a%27b%22c%3C%3E", "transport"],
  ["/~user/{x}|^`", "/~user/%7Bx%7D|^%60", "transport"],
  ["/x?a#frag", "/x?a", "transport"],
];

Deno.test("path: the upstream receives the request target (byte for byte where the transport allows)", async () => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(["--backends", up.url]);
  for (const [sent, received, transport] of CASES) {
    const before = up.requests.length;
    const statuses = await exchange(
      sluice.url,
      `GET ${sent} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    assert.deepEqual(statuses, [200], sent);
    assert.equal(up.requests.length, before + 1, sent);
    assert.equal(up.requests.at(-1)!.target, received, `${sent}${transport ? " (transport)" : ""}`);
  }
});

Deno.test("path: targets that are not a path are refused, never sent with another path", async () => {
  await using up = startRecordingUpstream();
  await using sluice = await startSluice(["--backends", up.url]);
  for (const target of ["x", "a:80", "/a b", "*"]) {
    const statuses = await exchange(
      sluice.url,
      `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
    );
    assert.deepEqual(statuses, [400], target);
  }
  assert.equal(up.requests.length, 0);
});
