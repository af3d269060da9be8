import assert from "node:assert/strict";
import { RUNTIME_ENV, runtimeEnvWarnings } from "./runtime_env.ts";

Deno.test("runtimeEnvWarnings: none when every variable has its value", () => {
  assert.deepEqual(runtimeEnvWarnings((name) => RUNTIME_ENV[name]), []);
});

Deno.test("runtimeEnvWarnings: names an unset or different variable and the value to set", () => {
  const unset = runtimeEnvWarnings(() => undefined);
  assert.equal(unset.length, 1);
  assert.match(unset[0]!, /^DENO_TOKIO_EVENT_INTERVAL is not set: .*DENO_TOKIO_EVENT_INTERVAL=1/);
  const other = runtimeEnvWarnings(() => "61");
  assert.equal(other.length, 1);
  assert.match(other[0]!, /^DENO_TOKIO_EVENT_INTERVAL is "61": /);
});

Deno.test("runtimeEnvWarnings: claims nothing about a variable it may not read", () => {
  const warnings = runtimeEnvWarnings(() => {
    throw new Deno.errors.NotCapable("Requires env access");
  });
  assert.deepEqual(warnings, []);
});
