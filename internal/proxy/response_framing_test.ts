import assert from "node:assert/strict";
import { invalidResponseReason } from "./response_framing.ts";

Deno.test("invalidResponseReason: an unsolicited 101 is refused, a requested one passes", () => {
  const switching = new Response(null, { status: 101 });
  assert.match(invalidResponseReason(switching, false) ?? "", /101 Switching Protocols/);
  assert.equal(invalidResponseReason(switching, true), undefined);
});

Deno.test("invalidResponseReason: Content-Length with Transfer-Encoding is refused", () => {
  const both = new Response("hello", {
    headers: { "content-length": "3", "transfer-encoding": "chunked" },
  });
  assert.match(invalidResponseReason(both, false) ?? "", /Content-Length and Transfer-Encoding/);
  const chunked = new Response("hello", { headers: { "transfer-encoding": "chunked" } });
  assert.equal(invalidResponseReason(chunked, false), undefined);
  const sized = new Response("hello", { headers: { "content-length": "5" } });
  assert.equal(invalidResponseReason(sized, false), undefined);
});
