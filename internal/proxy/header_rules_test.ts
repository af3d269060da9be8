import assert from "node:assert/strict";
import { applyHeaderRules } from "./header_rules.ts";
import type { HeaderList } from "./headers.ts";

Deno.test("applyHeaderRules() removes, then sets (replacing every field of the name)", () => {
  const headers: HeaderList = [
    ["cookie", "a=1"],
    ["x-forwarded-proto", "http"],
    ["accept", "*/*"],
    ["x-env", "dev"],
    ["x-env", "dev2"],
  ];
  applyHeaderRules(headers, {
    set: [["x-env", "prod"], ["x-forwarded-proto", "https"]],
    remove: ["cookie"],
  });
  assert.deepEqual(headers, [
    ["accept", "*/*"],
    ["x-env", "prod"],
    ["x-forwarded-proto", "https"],
  ]);
});
