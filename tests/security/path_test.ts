/**
 * End-to-end, raw sockets: the upstream receives the request target byte for byte, wherever the
 * transport allows (issue 9, security suite).
 *
 * Runs over both transports. The http1 transport (the default) sends the target byte for byte.
 * fetch parses the URL the WHATWG way before sending it, so it removes dot segments
 * (`/a/../b` → `/b`, also spelled `%2e%2e` or with `\`), turns `\` into `/`, percent-encodes
 * characters outside the URL code points (`"`, `<`, `>`, `{`, `}`, `` ` ``) and drops a fragment:
 * the table holds both expectations. Sluice itself makes no decision on the path (no path routes
 * yet), so a normalised path cannot be used to pass a check of Sluice's; the upstream decides on
 * exactly what it receives.
 *
 * @module
 */

import assert from "node:assert/strict";
import { proxyTest } from "../_matrix.ts";
import { startSluice } from "../_fixtures.ts";
import { startRecordingUpstream } from "../_recording_upstream.ts";
import { exchange } from "./_exchange.ts";

/**
 * [target sent, what the upstream receives through fetch, through the http1 transport]; a
 * missing third entry means byte for byte (the target as sent).
 */
const CASES: [sent: string, fetch: string, http1?: string][] = [
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
  // Raw UTF-8 (invalid on the wire, accepted by Deno.serve): percent-encoded by Sluice.
  ["/\xc3\xa9", "/%C3%A9", "/%C3%A9"],
  // Transport-dependent: fetch parses the URL (WHATWG) before sending it.
  ["/a/../b", "/b"],
  ["/a/./b", "/a/b"],
  ["/..", "/"],
  ["/%2e%2e/x", "/x"],
  ["/a/%2E%2E/b", "/b"],
  ["/\\x", "//x"],
  ["/a\\..\\b", "/b"],
  ["/?q=a'b\"c<>", "/?q=a%27b%22c%3C%3E"],
  ["/~user/{x}|^`", "/~user/%7Bx%7D|^%60"],
  ["/x?a#frag", "/x?a"],
];

proxyTest(
  "path: the upstream receives the request target (byte for byte where the transport allows)",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    for (const [sent, fetch, http1] of CASES) {
      const expected = variant.transport === "fetch" ? fetch : http1 ?? sent;
      const before = up.requests.length;
      const statuses = await exchange(
        sluice.url,
        `GET ${sent} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      if (variant.listener === "http1" && /[^\x21-\x7e]/.test(sent)) {
        // The HTTP/1.1 listener refuses a target that is not visible ASCII (README: Client
        // listeners, deliberately stricter than hyper).
        assert.deepEqual(statuses, [400], sent);
        assert.equal(up.requests.length, before, `${sent} reached the upstream`);
        continue;
      }
      assert.deepEqual(statuses, [200], sent);
      assert.equal(up.requests.length, before + 1, sent);
      assert.equal(up.requests.at(-1)!.target, expected, JSON.stringify(sent));
    }
  },
);

proxyTest(
  "path: targets that are not a path are refused, never sent with another path",
  async (variant) => {
    await using up = startRecordingUpstream();
    await using sluice = await startSluice(variant, ["--backends", up.url]);
    for (const target of ["x", "a:80", "/a b", "*"]) {
      const statuses = await exchange(
        sluice.url,
        `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`,
      );
      assert.deepEqual(statuses, [400], target);
    }
    assert.equal(up.requests.length, 0);
  },
);
