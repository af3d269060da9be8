import assert from "node:assert/strict";
import { optionDefault, optionHelp, sluiceVariants, startTaskArgs } from "./sluice_variants.ts";

const TODAY = `Options (each flag can also be set by the environment variable shown):
  --port N                    TCP port the proxy listens on, 0-65535 (0 picks a free port)
                              env SLUICE_PORT; default: 8080
  --log-level LEVEL           lowest level logged: debug, info, warn, error
                              env SLUICE_LOG_LEVEL; default: info
  -h, --help                  show this help and exit
`;

const LATER =
  `${TODAY}  --transport NAME            how upstreams are reached: http1 (pooled HTTP/1.1), fetch
                              env SLUICE_TRANSPORT; default: http1
  --listener NAME             what accepts clients: http1, serve (Deno.serve: TLS, HTTP/2)
                              env SLUICE_LISTENER; default: serve
`;

Deno.test("optionHelp takes the option's block; optionDefault reads its default", () => {
  const block = optionHelp(LATER, "--transport");
  assert.ok(block?.includes("SLUICE_TRANSPORT"));
  assert.ok(!block?.includes("--listener"));
  assert.equal(optionDefault(block!), "http1");
  assert.equal(optionHelp(TODAY, "--transport"), undefined);
  assert.equal(optionDefault("  --x N   something"), undefined);
});

Deno.test("sluiceVariants: only the flags --help lists, one variant per non-default value", () => {
  assert.deepEqual(sluiceVariants(TODAY).map((v) => [v.id, v.args.join(" ")]), [
    ["sluice", ""],
    ["sluice-log-level-warn", "--log-level warn"],
  ]);
  const later = sluiceVariants(LATER);
  assert.deepEqual(later.map((v) => v.id), [
    "sluice",
    "sluice-transport-fetch",
    "sluice-listener-http1",
    "sluice-log-level-warn",
  ]);
  assert.equal(
    later[0]!.label,
    "Sluice, defaults (transport http1, listener serve)",
  );
});

Deno.test("sluiceVariants runs every value when the default cannot be read", () => {
  const help = "  --transport NAME   http1 or fetch\n";
  assert.deepEqual(
    sluiceVariants(help, [{ flag: "--transport", values: ["http1", "fetch"] }]).map((v) => v.id),
    ["sluice", "sluice-transport-http1", "sluice-transport-fetch"],
  );
});

Deno.test("startTaskArgs splits a plain deno command and refuses shell syntax", () => {
  assert.deepEqual(
    startTaskArgs(
      "deno run --allow-net --allow-env=SLUICE_* --v8-flags=--max-old-space-size=64 main.ts",
    ),
    {
      env: {},
      args: [
        "run",
        "--allow-net",
        "--allow-env=SLUICE_*",
        "--v8-flags=--max-old-space-size=64",
        "main.ts",
      ],
    },
  );
  assert.deepEqual(
    startTaskArgs("DENO_TOKIO_EVENT_INTERVAL=1 A_B=x=y deno run main.ts"),
    { env: { DENO_TOKIO_EVENT_INTERVAL: "1", A_B: "x=y" }, args: ["run", "main.ts"] },
  );
  assert.throws(() => startTaskArgs("DENO_X=1"), RangeError);
  assert.throws(() => startTaskArgs("deno run main.ts | tee log"), RangeError);
  assert.throws(() => startTaskArgs("node main.js"), RangeError);
});
