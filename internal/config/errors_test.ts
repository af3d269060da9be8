import assert from "node:assert/strict";
import { ConfigError, formatConfigError } from "./errors.ts";

const PROBLEMS = [
  { path: "backends[1].url", message: '"localhost:9001" is not an http(s) URL' },
  { path: "port", message: "99999 is out of range 0-65535" },
];

Deno.test("ConfigError lists every problem in its message, one per line", () => {
  const error = new ConfigError(PROBLEMS);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "ConfigError");
  assert.equal(
    error.message,
    'backends[1].url: "localhost:9001" is not an http(s) URL\nport: 99999 is out of range 0-65535',
  );
  assert.deepEqual(error.problems, PROBLEMS);
});

Deno.test("ConfigError keeps each problem on one line and is read-only", () => {
  const error = new ConfigError([{ path: "--config", message: "bad\n  file" }, {
    path: "",
    message: "whole",
  }]);
  assert.equal(error.message, "--config: bad file\nwhole");
  assert.ok(Object.isFrozen(error.problems));
  assert.ok(Object.isFrozen(error.problems[0]));
});

Deno.test("ConfigError carries a cause", () => {
  const cause = new Error("root");
  assert.equal(new ConfigError(PROBLEMS, { cause }).cause, cause);
});

Deno.test("formatConfigError() prints a header and one indented line per problem", () => {
  assert.equal(
    formatConfigError(new ConfigError(PROBLEMS)),
    [
      "Cannot start Sluice: 2 problems in the configuration:",
      '  - backends[1].url: "localhost:9001" is not an http(s) URL',
      "  - port: 99999 is out of range 0-65535",
    ].join("\n"),
  );
  assert.equal(
    formatConfigError(new ConfigError([PROBLEMS[1]!])),
    "Cannot start Sluice: 1 problem in the configuration:\n  - port: 99999 is out of range 0-65535",
  );
});
