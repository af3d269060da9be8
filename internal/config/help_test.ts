import assert from "node:assert/strict";
import { envVarName, FLAGS, VALUE_FLAGS } from "./flags.ts";
import { HELP_TEXT } from "./help.ts";
import { redactConfig } from "./redact.ts";
import { validateConfig } from "./schema.ts";
import { STRATEGY_NAMES } from "./types.ts";

Deno.test("HELP_TEXT documents every flag with its environment variable and default", () => {
  for (const flag of VALUE_FLAGS) {
    if ("noFlag" in flag) continue;
    const line = HELP_TEXT.split("\n").findIndex((text) =>
      text.startsWith(`  --${flag.name} ${flag.valueName} `)
    );
    assert.ok(line >= 0, `--${flag.name} is missing`);
    const next = HELP_TEXT.split("\n")[line + 1] ?? "";
    assert.ok(next.includes(`env ${envVarName(flag.name)};`), `${flag.name}: ${next}`);
    assert.ok(next.includes(`default: ${flag.defaultText}`), `${flag.name}: ${next}`);
  }
  assert.match(HELP_TEXT, /--help/);
  assert.match(HELP_TEXT, /--version/);
});

Deno.test("HELP_TEXT shows the defaults users rely on", () => {
  assert.match(HELP_TEXT, /env SLUICE_PORT; default: 8080/);
  assert.match(HELP_TEXT, /env SLUICE_HEALTH_INTERVAL; default: 10s/);
  assert.match(HELP_TEXT, /env SLUICE_BACKEND_TIMEOUT; default: 30s/);
  assert.match(HELP_TEXT, /env SLUICE_LOG_LEVEL; default: info/);
});

Deno.test("HELP_TEXT documents the admin flags and where the token is safer", () => {
  assert.match(
    HELP_TEXT,
    /^ {2}--admin-host ADDR .*\n.*env SLUICE_ADMIN_HOST; default: 127\.0\.0\.1$/m,
  );
  assert.match(
    HELP_TEXT,
    /^ {2}--admin-port N .*0 is off\n.*env SLUICE_ADMIN_PORT; default: 8090$/m,
  );
  const lines = HELP_TEXT.split("\n");
  const token = lines.findIndex((line) => line.startsWith("  --admin-token TOKEN "));
  assert.match(lines[token + 1] ?? "", /env SLUICE_ADMIN_TOKEN; default: none/);
  // The advice sits under the flag itself, where someone about to type it will read it.
  assert.match(
    lines[token + 2] ?? "",
    /^ +better via SLUICE_ADMIN_TOKEN or admin\.token: any user sees argv in ps$/,
  );
});

Deno.test("HELP_TEXT fits in 100 columns", () => {
  for (const line of HELP_TEXT.split("\n")) assert.ok(line.length <= 100, line);
});

Deno.test("HELP_TEXT lists the sticky secret by its variable, with no flag", () => {
  assert.match(
    HELP_TEXT,
    /^ {2}SLUICE_STICKY_SECRET +HMAC key .*\n +or sticky\.secret in the file; default: random per process\n +no flag/m,
  );
  assert.doesNotMatch(HELP_TEXT, /--sticky-secret/);
});

Deno.test("HELP_TEXT lists every strategy name", () => {
  const lines = HELP_TEXT.split("\n");
  const strategy = lines.findIndex((line) => line.startsWith("  --strategy NAME "));
  const listed = lines.slice(strategy + 2, strategy + 4).join(" ").replaceAll(/\s+/g, " ").trim();
  assert.equal(listed, STRATEGY_NAMES.join(", "));
});

Deno.test("HELP_TEXT shows the resilience flags with their variables and defaults", () => {
  assert.match(
    HELP_TEXT,
    /^ {2}--retry-non-idempotent +retry POST .*\n +env SLUICE_RETRY_NON_IDEMPOTENT=true\|false\|1\|0; default: false$/m,
  );
  // A flag too long for the column keeps its description on its own line.
  assert.match(
    HELP_TEXT,
    /^ {2}--max-connections-per-upstream N {2}concurrent .*\n +env SLUICE_MAX_CONNECTIONS_PER_UPSTREAM; default: 0$/m,
  );
  assert.match(HELP_TEXT, /env SLUICE_RETRIES; default: 1$/m);
  assert.match(HELP_TEXT, /env SLUICE_MAX_BODY_SIZE; default: 0$/m);
  assert.match(HELP_TEXT, /env SLUICE_RATE_LIMIT; default: 0$/m);
  assert.match(HELP_TEXT, /env SLUICE_RATE_BURST; default: the rate rounded up, at least 1$/m);
  assert.match(HELP_TEXT, /env SLUICE_PASSIVE_FAILURES; default: 5$/m);
  assert.match(HELP_TEXT, /env SLUICE_EJECTION_TIME; default: 30s$/m);
});

Deno.test("HELP_TEXT names every setting, by its flag or in the list of file-only settings", () => {
  const flagKeys = new Set<string | undefined>(FLAGS.map((flag) => flag.key));
  const config = validateConfig({ sticky: { cookie: "lb" } });
  for (const [section, value] of Object.entries(redactConfig(config))) {
    if (section === "backends") continue;
    const keys = typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.keys(value).map((key) => `${section}.${key}`)
      : [section];
    for (const key of keys) {
      assert.ok(flagKeys.has(key) || HELP_TEXT.includes(key), `${key} is not in --help`);
    }
  }
  assert.match(HELP_TEXT, /limits\.queue_size \(100\), limits\.queue_timeout \(5s\)/);
  assert.match(HELP_TEXT, /passive\.max_ejection_time \(5m, or the ejection time if longer\)/);
  assert.match(HELP_TEXT, /limits\.max_url_length \(8kb\), limits\.max_header_size \(32kb\)/);
});
