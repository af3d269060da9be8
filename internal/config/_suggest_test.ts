import assert from "node:assert/strict";
import { suggestName } from "./_suggest.ts";

const ROOT_KEYS = [
  "host",
  "port",
  "strategy",
  "backends",
  "health",
  "timeouts",
  "proxy",
  "logging",
];

Deno.test("suggestName() finds transpositions and single-letter typos", () => {
  assert.equal(suggestName("prot", ROOT_KEYS), "port");
  assert.equal(suggestName("backend", ROOT_KEYS), "backends");
  assert.equal(suggestName("stratgy", ROOT_KEYS), "strategy");
});

Deno.test("suggestName() maps camelCase and dashes onto snake_case names", () => {
  assert.equal(
    suggestName("healthyThreshold", ["healthy_threshold", "unhealthy_threshold"]),
    "healthy_threshold",
  );
  assert.equal(suggestName("health_path", ["health-path", "host"]), "health-path");
});

Deno.test("suggestName() suggests nothing for unrelated names", () => {
  assert.equal(suggestName("colour", ROOT_KEYS), undefined);
  assert.equal(suggestName("x", []), undefined);
});
