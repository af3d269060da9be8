import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  buildSluiceArgs,
  type Demo,
  DEMO_CONFIG,
  type DemoOptions,
  describeDemo,
  SLUICE_PERMISSIONS,
  startDemo,
} from "./run.ts";

const FAKE_SLUICE = fileURLToPath(new URL("./testdata/fake_sluice.ts", import.meta.url));

/** A loopback port that was free a moment ago (the fake Sluice cannot report one it picked). */
function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/** Starts the demo with the fake Sluice on free ports; disposing it stops everything. */
async function startFakeDemo(options: DemoOptions = {}): Promise<Demo & AsyncDisposable> {
  const demo = await startDemo({
    mainModule: FAKE_SLUICE,
    port: freePort(),
    upstreamPorts: [0, 0, 0],
    apiUpstreamPorts: [],
    log: () => {},
    ...options,
  });
  return { ...demo, [Symbol.asyncDispose]: async () => void await demo.stop() };
}

async function get(url: string): Promise<string> {
  const response = await fetch(url);
  return await response.text();
}

Deno.test("buildSluiceArgs() runs main.ts with the demo flags", () => {
  const backends = ["http://127.0.0.1:9001", "http://127.0.0.1:9002"];
  assert.deepEqual(buildSluiceArgs("/repo/main.ts", backends), [
    "run",
    ...SLUICE_PERMISSIONS,
    "/repo/main.ts",
    "--host",
    "127.0.0.1",
    "--port",
    "8080",
    "--backends",
    "http://127.0.0.1:9001,http://127.0.0.1:9002",
    "--health-path",
    "/health",
    "--health-interval",
    "2s",
    "--log-format",
    "pretty",
    "--config",
    DEMO_CONFIG,
  ]);
  assert.deepEqual(SLUICE_PERMISSIONS, [
    "--allow-net",
    "--allow-read",
    "--allow-env=SLUICE_*,DENO_TOKIO_EVENT_INTERVAL",
  ]);
});

Deno.test("buildSluiceArgs() lets user arguments replace the demo's defaults", () => {
  const start = SLUICE_PERMISSIONS.length + 2; // after "run", the permissions and the module
  const args = buildSluiceArgs("main.ts", ["http://127.0.0.1:9001"], {
    port: 9090,
    extraArgs: ["--port", "7000", "--log-format=json", "--strategy", "least_connections"],
  });
  assert.deepEqual(args.slice(start), [
    "--host",
    "127.0.0.1",
    "--backends",
    "http://127.0.0.1:9001",
    "--health-path",
    "/health",
    "--health-interval",
    "2s",
    "--config",
    DEMO_CONFIG,
    "--port",
    "7000",
    "--log-format=json",
    "--strategy",
    "least_connections",
  ]);
  assert.deepEqual(
    buildSluiceArgs("main.ts", [], { port: 9090 }).slice(start + 2, start + 4),
    ["--port", "9090"],
  );
});

Deno.test("startDemo() starts Sluice on the upstreams and stop() ends it with SIGTERM", async () => {
  const port = freePort();
  const demo = await startFakeDemo({ port, args: ["--strategy", "round_robin"] });
  try {
    assert.equal(await demo.ready, "listening");
    assert.equal(demo.port, port);
    const urls = demo.upstreams.map((upstream) => upstream.url);
    assert.equal(urls.length, 3);
    for (const [index, url] of urls.entries()) {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await get(url), `upstream ${index + 1}\n`);
    }
    const { args } = JSON.parse(await get(`http://127.0.0.1:${port}/`));
    assert.deepEqual(args, [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--backends",
      urls.join(","),
      "--health-path",
      "/health",
      "--health-interval",
      "2s",
      "--log-format",
      "pretty",
      "--config",
      DEMO_CONFIG,
      "--strategy",
      "round_robin",
    ]);
  } finally {
    assert.equal(await demo.stop(), 0);
  }
  assert.equal(await demo.finished, 0);
  assert.ok(demo.upstreams.every((upstream) => !upstream.running));
  await assert.rejects(fetch(demo.upstreams[0]!.url), TypeError);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`), TypeError);
});

Deno.test("startDemo() takes the port Sluice is given from --port in args", async () => {
  const port = freePort();
  await using demo = await startFakeDemo({ port: 1, args: [`--port=${port}`] });
  assert.equal(demo.port, port);
  assert.equal(await demo.ready, "listening");
});

Deno.test("the banner shows the admin server where --admin-host/--admin-port put it", async () => {
  const adminPort = freePort();
  await using demo = await startFakeDemo({
    args: ["--admin-port", String(adminPort), "--admin-host=::1"],
  });
  assert.equal(demo.admin, `[::1]:${adminPort}`);
  const banner = describeDemo(demo, { terminal: false });
  assert.match(banner, new RegExp(`open http://\\[::1\\]:${adminPort}/ `));
  assert.match(banner, new RegExp(`curl \\[::1\\]:${adminPort}/metrics `));
  assert.doesNotMatch(banner, /8090/);
});

Deno.test("the banner takes the admin port from the environment's value, or says it is off", async () => {
  await using fromEnv = await startFakeDemo({ adminPort: 9190, adminHost: "0.0.0.0" });
  assert.equal(fromEnv.admin, "127.0.0.1:9190");
  assert.match(
    describeDemo(fromEnv, { terminal: false }),
    /curl 127\.0\.0\.1:9190\/api\/upstreams/,
  );

  await using off = await startFakeDemo({ adminPort: 9190, args: ["--admin-port=0"] });
  assert.equal(off.admin, undefined);
  const banner = describeDemo(off, { terminal: false });
  assert.match(banner, /Admin server off/);
  assert.doesNotMatch(banner, /9190|8090|curl .*metrics/);

  await using byDefault = await startFakeDemo();
  assert.equal(byDefault.admin, "127.0.0.1:8090");
});

Deno.test("startDemo() exits with Sluice's code when it exits on its own", async () => {
  const demo = await startFakeDemo({ args: ["--fake-exit-code", "3"] });
  assert.equal(await demo.ready, "exited");
  assert.equal(await demo.finished, 3);
  assert.ok(demo.upstreams.every((upstream) => !upstream.running));
  await assert.rejects(fetch(demo.upstreams[1]!.url), TypeError);
  assert.equal(await demo.stop(), 3);
});

Deno.test("stop() kills Sluice when it outlives stopTimeout", async () => {
  const messages: string[] = [];
  const demo = await startFakeDemo({
    args: ["--fake-ignore-sigterm"],
    stopTimeout: 200,
    log: (message) => messages.push(message),
  });
  assert.equal(await demo.ready, "listening");
  assert.equal(await demo.stop(), 1);
  assert.equal((await demo.sluice.status).signal, "SIGKILL");
  assert.deepEqual(messages, ["Sluice did not exit within 200 ms; killed it."]);
});

Deno.test("toggleUpstream() stops an upstream and restarts it on the same port", async () => {
  await using demo = await startFakeDemo();
  const upstream = demo.upstreams[1]!;
  const url = upstream.url;
  assert.equal(await demo.toggleUpstream(1), false);
  assert.equal(upstream.running, false);
  await assert.rejects(fetch(url), TypeError);
  assert.equal(await demo.toggleUpstream(1), true);
  assert.equal(upstream.url, url);
  assert.equal(await get(url), "upstream 2\n");
  await assert.rejects(demo.toggleUpstream(3), RangeError);
});

Deno.test("toggleUpstream() refuses to restart an upstream once the demo is stopping", async () => {
  const demo = await startFakeDemo();
  assert.equal(await demo.toggleUpstream(0), false);
  const stopped = demo.stop();
  await assert.rejects(demo.toggleUpstream(0), {
    message: "Cannot toggle upstream 1: the demo is stopping",
  });
  assert.equal(await stopped, 0);
  assert.equal(demo.upstreams[0]!.running, false);
});

Deno.test("startDemo() reports a taken upstream port and stops the upstreams it started", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const first = freePort();
  await assert.rejects(
    startDemo({ mainModule: FAKE_SLUICE, upstreamPorts: [first, taken.addr.port] }),
    (error: Error) => {
      assert.equal(
        error.message,
        `Cannot start upstream 2: 127.0.0.1:${taken.addr.port} is already in use`,
      );
      assert.ok(error.cause instanceof Deno.errors.AddrInUse);
      return true;
    },
  );
  // Upstream 1 had started; it must not be left listening.
  await assert.rejects(fetch(`http://127.0.0.1:${first}/`), TypeError);
});

Deno.test("resolveDenoCommand() picks a deno it may run under --allow-run=deno", async () => {
  const runModule = new URL("./run.ts", import.meta.url).href;
  const script = `
    import { resolveDenoCommand } from ${JSON.stringify(runModule)};
    const command = resolveDenoCommand();
    const { state } = Deno.permissions.querySync({ name: "run", command });
    const { success } = await new Deno.Command(command, { args: ["--version"], stdout: "null" })
      .output();
    console.log(JSON.stringify({ state, success }));
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-run=deno", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), {
    state: "granted",
    success: true,
  });
});

Deno.test("the demo's real Sluice reads demo/sluice.yaml and answers upstream 1/2/3 in turn on /", async () => {
  const port = freePort();
  const demo = await startDemo({
    port,
    upstreamPorts: [0, 0, 0],
    apiUpstreamPorts: [],
    args: ["--admin-port", "0", "--log-level", "error"],
    log: () => {},
  });
  try {
    assert.equal(await demo.ready, "listening");
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push(await get(`http://127.0.0.1:${port}/`));
    assert.deepEqual(
      answers,
      [
        "upstream 1\n",
        "upstream 2\n",
        "upstream 3\n",
        "upstream 1\n",
        "upstream 2\n",
        "upstream 3\n",
      ],
    );
    // The route api goes to the pool api, whose upstreams this test did not start.
    const api = await fetch(`http://127.0.0.1:${port}/api/users`);
    await api.body?.cancel();
    assert.ok(api.status === 502 || api.status === 503, String(api.status));
  } finally {
    assert.equal(await demo.stop(), 0);
  }
});
