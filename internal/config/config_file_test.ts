import assert from "node:assert/strict";
import { parseConfigText, readConfigFile } from "./config_file.ts";
import { ConfigError, type ConfigProblem } from "./errors.ts";

const TESTDATA = `${import.meta.dirname}/testdata`;
const GRANT_ALL = () => "granted" as const;

/** The problems a rejected promise or a throwing call reports. */
async function problemsOf(run: () => unknown): Promise<readonly ConfigProblem[]> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("readConfigFile() reads a YAML file", async () => {
  const data = await readConfigFile(`${TESTDATA}/sluice.yaml`);
  assert.equal(data.port, 9090);
  assert.deepEqual(data.backends, [
    { url: "http://localhost:9001", name: "a", weight: 2 },
    "http://localhost:9002/",
  ]);
  assert.deepEqual(data.health, {
    path: "/health",
    interval: "5s",
    timeout: "1s",
    healthy_threshold: 1,
    unhealthy_threshold: 4,
  });
});

Deno.test("readConfigFile() reads a JSON file", async () => {
  const data = await readConfigFile(`${TESTDATA}/minimal.json`);
  assert.deepEqual(data, { port: 8080, backends: [{ url: "http://localhost:9001" }] });
});

Deno.test("readConfigFile() asks for --allow-read instead of prompting", async () => {
  const asked: Deno.PermissionDescriptor[] = [];
  const problems = await problemsOf(() =>
    readConfigFile("sluice.yaml", {
      queryPermission: (descriptor) => {
        asked.push(descriptor);
        return "prompt";
      },
      readTextFile: () => assert.fail("must not read without permission"),
    })
  );
  assert.deepEqual(asked, [{ name: "read", path: "sluice.yaml" }]);
  assert.deepEqual(problems, [{
    path: "--config",
    message:
      'reading "sluice.yaml" needs --allow-read (run: deno run --allow-net --allow-read main.ts ...)',
  }]);
});

Deno.test("readConfigFile() reports a missing file and a directory", async () => {
  assert.deepEqual(await problemsOf(() => readConfigFile(`${TESTDATA}/missing.yaml`)), [{
    path: "--config",
    message: `cannot read "${TESTDATA}/missing.yaml": no such file`,
  }]);
  assert.deepEqual(await problemsOf(() => readConfigFile(TESTDATA)), [{
    path: "--config",
    message: `cannot read "${TESTDATA}": it is a directory`,
  }]);
});

Deno.test("readConfigFile() reports an unreadable file under the name that gave it", async () => {
  const problems = await problemsOf(() =>
    readConfigFile("/etc/sluice.yaml", {
      source: "SLUICE_CONFIG",
      queryPermission: GRANT_ALL,
      readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("EACCES")),
    })
  );
  assert.deepEqual(problems, [{
    path: "SLUICE_CONFIG",
    message: 'cannot read "/etc/sluice.yaml": permission denied',
  }]);
});

Deno.test("parseConfigText() reports a JSON syntax error with its position", async () => {
  const [problem, ...rest] = await problemsOf(() =>
    parseConfigText('{\n  "port": 8080,\n}', "sluice.json")
  );
  assert.deepEqual(rest, []);
  assert.equal(problem?.path, "--config");
  assert.match(problem?.message ?? "", /^"sluice\.json" is not valid JSON: .*line 3 column 1/);
});

Deno.test("parseConfigText() refuses a key repeated within one JSON object, with its position", async () => {
  const text = '{\n  "pools": {\n    "web": {"backends": ["http://a:1"]},\n' +
    '    "web": {"backends": ["http://b:1"]}\n  },\n  "port": 1, "port": 2\n}';
  assert.deepEqual(await problemsOf(() => parseConfigText(text, "sluice.json")), [
    {
      path: "--config",
      message: '"sluice.json" repeats a key in one object (JSON would keep only the last): ' +
        "line 4, column 5",
    },
    {
      path: "--config",
      message: '"sluice.json" repeats a key in one object (JSON would keep only the last): ' +
        "line 6, column 14",
    },
  ]);
  // The same key in different objects is no repeat; tabs and JSON escapes are fine.
  assert.deepEqual(
    await parseConfigText('{"a": {"x": 1},\t"b": {"x": "\\u00e9"}}', "ok.json"),
    { a: { x: 1 }, b: { x: "é" } },
  );
});

Deno.test("parseConfigText() reports YAML syntax errors with line and column", async () => {
  assert.deepEqual(await problemsOf(() => parseConfigText("port: 1\nport: 2\n", "a.yaml")), [{
    path: "--config",
    message: '"a.yaml" is not valid YAML: line 2, column 1: Map keys must be unique',
  }]);
  const problems = await problemsOf(() => parseConfigText("a: [1\nb: {\n", "a.yml"));
  assert.deepEqual(problems.map((problem) => problem.message.slice(0, 45)), [
    '"a.yml" is not valid YAML: line 2, column 1: ',
    '"a.yml" is not valid YAML: line 3, column 1: ',
  ]);
});

Deno.test("parseConfigText() reports an alias to a missing anchor", async () => {
  assert.deepEqual(await problemsOf(() => parseConfigText("port: *nope\n", "a.yaml")), [{
    path: "--config",
    message:
      '"a.yaml" is not valid YAML: Unresolved alias (the anchor must be set before the alias): nope',
  }]);
});

Deno.test("parseConfigText() parses YAML for any extension but .json", async () => {
  assert.deepEqual(await parseConfigText("port: 1\n", "sluice.conf"), { port: 1 });
  assert.deepEqual(await parseConfigText('{"port": 1}', "sluice.yaml"), { port: 1 });
  assert.deepEqual(await parseConfigText("port: 1", "SLUICE.YML"), { port: 1 });
});

Deno.test("parseConfigText() takes an empty file as no settings", async () => {
  assert.deepEqual(await parseConfigText("", "a.yaml"), {});
  assert.deepEqual(await parseConfigText("\uFEFF\n", "a.json"), {});
  assert.deepEqual(await parseConfigText("# nothing yet\n", "a.yaml"), {});
  assert.deepEqual(await parseConfigText("null", "a.json"), {});
});

Deno.test("parseConfigText() requires a mapping at the top level", async () => {
  assert.deepEqual(await problemsOf(() => parseConfigText("- a\n- b\n", "a.yaml")), [{
    path: "--config",
    message: '"a.yaml" must hold a mapping of settings at the top level, found a list',
  }]);
  assert.deepEqual(await problemsOf(() => parseConfigText("8080", "a.json")), [{
    path: "--config",
    message: '"a.json" must hold a mapping of settings at the top level, found 8080',
  }]);
});

Deno.test({
  name: "parseConfigText() parses YAML without any --allow-env (yaml's env reads are shielded)",
  permissions: { env: false, read: false, net: false, write: false, run: false },
  async fn() {
    assert.deepEqual(
      await parseConfigText("port: 1\nhealth:\n  path: /health\n", "a.yaml"),
      { port: 1, health: { path: "/health" } },
    );
  },
});
