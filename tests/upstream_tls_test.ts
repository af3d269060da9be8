/**
 * End-to-end tests of `https://` upstreams behind a private CA (made in the test with openssl):
 * `upstream_tls.ca` makes them reachable through both transports; without it the proxy answers
 * 502 and the health check (TCP connect plus TLS handshake, or HTTP over the proxy's transport)
 * marks them down; `server_name` sends another SNI name (http1); a client certificate reaches
 * an upstream that requires one (openssl s_server -Verify).
 */

import assert from "node:assert/strict";
import { freePort, get, startSluice, startUpstream, waitForPool, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";
import { makeTestPki, type TestPki } from "./_tls.ts";
import type { TestSluice } from "./_fixtures.ts";

/** An HTTPS upstream on 127.0.0.1 with the PKI's server certificate; answers its SNI-free name. */
function startTlsUpstream(pki: TestPki, name: string): AsyncDisposable & { url: string } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: pki.serverCert, key: pki.serverKey, onListen() {} },
    () => new Response(name),
  );
  return {
    url: `https://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * Health check timing for these tests: one probe at start (the next an hour away) whose timeout
 * (at most the interval) cannot fire during a test, so its result is the TLS outcome however
 * slow the machine is. A 100 ms interval (so a 100 ms timeout) made a loaded machine's probe
 * end "timed out after 100ms" instead of in the certificate error the tests assert.
 */
const ONE_PROBE = ["--health-interval", "1h", "--health-timeout", "1h"];

function upstreamOf(sluice: TestSluice) {
  const upstream = sluice.app.pool.list()[0];
  assert.ok(upstream);
  return upstream;
}

proxyTest("an https upstream behind a private CA is reached with --upstream-tls-ca", async (v) => {
  await using pki = await makeTestPki();
  await using upstream = startTlsUpstream(pki, "secure");
  await using sluice = await startSluice(v, [
    "--backends",
    upstream.url,
    "--upstream-tls-ca",
    pki.caFile,
    "--health-path",
    "/",
    ...ONE_PROBE,
  ]);
  const answer = await get(sluice.url + "/");
  assert.equal(answer.status, 200);
  assert.equal(answer.text, "secure");
  // The HTTP health check goes over the same TLS settings and passes.
  await waitForPool(sluice.app, () => upstreamOf(sluice).lastCheck?.ok === true, 5_000, "a check");
  assert.equal(upstreamOf(sluice).lastCheck?.detail, "HTTP 200");
});

proxyTest("without the CA: 502, and the HTTP health check marks the upstream down", async (v) => {
  await using pki = await makeTestPki();
  await using upstream = startTlsUpstream(pki, "secure");
  await using sluice = await startSluice(v, [
    "--backends",
    upstream.url,
    "--health-path",
    "/",
    ...ONE_PROBE,
  ]);
  assert.equal((await get(sluice.url + "/")).status, 502);
  await waitForPool(sluice.app, () => upstreamOf(sluice).health === "down", 5_000, "down");
  assert.match(upstreamOf(sluice).lastCheck?.detail ?? "", /certificate|UnknownIssuer/i);
});

Deno.test("the TCP health check of an https upstream completes the TLS handshake", async (t) => {
  await using pki = await makeTestPki();
  await using upstream = startTlsUpstream(pki, "secure");
  const args = ["--backends", upstream.url, ...ONE_PROBE];
  await t.step("a certificate the proxy refuses: down", async () => {
    // Trusting only an unrelated CA: the TCP connect alone would pass.
    await using sluice = await startSluice([...args, "--upstream-tls-ca", pki.otherCaFile]);
    await waitForPool(sluice.app, () => upstreamOf(sluice).health === "down", 5_000, "down");
    assert.match(upstreamOf(sluice).lastCheck?.detail ?? "", /certificate|UnknownIssuer/i);
  });
  await t.step("the right CA: up, by a TLS handshake", async () => {
    await using sluice = await startSluice([...args, "--upstream-tls-ca", pki.caFile]);
    await waitForPool(sluice.app, () => upstreamOf(sluice).health === "up", 5_000, "up");
    assert.equal(upstreamOf(sluice).lastCheck?.detail, "TLS handshake");
  });
});

Deno.test("--upstream-tls-server-name is sent in SNI and verified (http1)", async (t) => {
  await using pki = await makeTestPki();
  await using upstream = startTlsUpstream(pki, "by name");
  await t.step("a name on the certificate: 200", async () => {
    await using sluice = await startSluice([
      "--backends",
      upstream.url,
      "--upstream-tls-ca",
      pki.caFile,
      "--upstream-tls-server-name",
      "upstream.test",
    ]);
    const answer = await get(sluice.url + "/");
    assert.equal(answer.status, 200);
    assert.equal(answer.text, "by name");
  });
  await t.step("a name not on the certificate: 502", async () => {
    await using sluice = await startSluice([
      "--backends",
      upstream.url,
      "--upstream-tls-ca",
      pki.caFile,
      "--upstream-tls-server-name",
      "elsewhere.test",
    ]);
    assert.equal((await get(sluice.url + "/")).status, 502);
  });
});

/** `openssl s_server` requiring a client certificate signed by the PKI's CA; `-www` answers 200. */
async function startMtlsUpstream(pki: TestPki): Promise<AsyncDisposable & { url: string }> {
  const port = freePort();
  const child = new Deno.Command("openssl", {
    args: [
      "s_server",
      "-accept",
      `127.0.0.1:${port}`,
      "-cert",
      pki.serverCertFile,
      "-key",
      pki.serverKeyFile,
      "-CAfile",
      pki.caFile,
      "-Verify",
      "1",
      "-verify_return_error",
      "-www",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  // s_server prints ACCEPT once it listens.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  await within(
    (async () => {
      while (!seen.includes("ACCEPT")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`openssl s_server exited: ${seen}`);
        seen += value;
      }
    })(),
    10_000,
    "openssl s_server listening",
  );
  return {
    url: `https://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: async () => {
      child.kill();
      await reader.cancel();
      await child.status;
    },
  };
}

proxyTest("a client certificate reaches an upstream that requires one (mTLS)", async (v) => {
  await using pki = await makeTestPki();
  await using upstream = await startMtlsUpstream(pki);
  const args = ["--backends", upstream.url, "--upstream-tls-ca", pki.caFile, "--retries", "0"];
  {
    await using sluice = await startSluice(v, [
      ...args,
      "--upstream-tls-cert",
      pki.clientCertFile,
      "--upstream-tls-key",
      pki.clientKeyFile,
    ]);
    const answer = await get(sluice.url + "/");
    assert.equal(answer.status, 200);
    assert.match(answer.text, /s_server/);
  }
  {
    await using sluice = await startSluice(v, args);
    assert.equal((await get(sluice.url + "/")).status, 502);
  }
});

Deno.test("upstream_tls per pool: a pool's own CA reaches its https upstream, the others keep theirs", async () => {
  await using pki = await makeTestPki();
  await using secure = startTlsUpstream(pki, "secure pool");
  await using plain = startUpstream("plain pool");
  const dir = await Deno.makeTempDir({ prefix: "sluice-pool-tls-" });
  try {
    const file = `${dir}/sluice.yaml`;
    await Deno.writeTextFile(
      file,
      [
        `backends: [${plain.url}]`,
        "pools:",
        "  secure:",
        `    backends: [${secure.url}]`,
        `    upstream_tls: { ca: ${pki.caFile} }`,
        "  strict:",
        `    backends: [${secure.url}]`,
        "routes:",
        "  - { match: { path_prefix: /secure }, pool: secure }",
        "  - { match: { path_prefix: /strict }, pool: strict }",
        "  - { pool: default }",
      ].join("\n"),
    );
    await using sluice = await startSluice(["--config", file, "--retries", "0"]);
    assert.equal((await get(sluice.url + "/secure")).text, "secure pool");
    assert.equal((await get(sluice.url + "/")).text, "plain pool");
    // The same upstream in a pool without the CA: its TLS health check fails, no upstream.
    const strict = sluice.app.pools.get("strict")!.pool;
    // The pool's own change events (waitForPool follows the pool default).
    await within(
      new Promise<void>((resolve) => {
        const done = () => strict.list()[0]?.health === "down";
        if (done()) return resolve();
        const off = strict.onChange(() => {
          if (done()) {
            off();
            resolve();
          }
        });
      }),
      5_000,
      "the strict pool's upstream down",
    );
    assert.match(strict.list()[0]?.lastCheck?.detail ?? "", /certificate|UnknownIssuer/i);
    assert.equal((await get(sluice.url + "/strict")).status, 503);
    const secured = sluice.app.pools.get("secure")!.pool.list()[0];
    assert.notEqual(secured?.health, "down");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
