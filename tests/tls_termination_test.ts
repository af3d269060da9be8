/**
 * End-to-end tests of TLS termination (`--tls-cert`, `--tls-key`) with a throwaway CA made in
 * the test: HTTP/2 and HTTP/1.1 by ALPN (curl), Deno's fetch trusting the CA, X-Forwarded-Proto
 * and the sticky cookie's Secure, the 308 redirect port, certificate reload on
 * `POST /api/config/reload` (a bad pair refused with 422, the old one kept), and the expiry
 * metric.
 */

import assert from "node:assert/strict";
import { freePort, startSluice, startUpstream, type TestSluice, within } from "./_fixtures.ts";
import { spawnMain } from "./_process.ts";
import { makeTestPki, type TestPki } from "./_tls.ts";

function httpsUrl(sluice: TestSluice): string {
  return `https://127.0.0.1:${sluice.app.addr.port}`;
}

/** curl with the CA: the HTTP version used and the body. */
async function curl(url: string, ca: string, version: "--http2" | "--http1.1") {
  const output = await new Deno.Command("curl", {
    args: ["-sS", version, "--cacert", ca, "-w", "\n%{http_version}", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  const newline = text.lastIndexOf("\n");
  return {
    ok: output.success,
    body: text.slice(0, newline),
    httpVersion: text.slice(newline + 1),
    stderr: new TextDecoder().decode(output.stderr),
  };
}

/** GET through a client trusting only `ca`; the body, or the error's message. */
async function fetchTrusting(url: string, ca: string): Promise<string> {
  using client = Deno.createHttpClient({ caCerts: [ca] });
  try {
    const response = await fetch(url, { client });
    return await response.text();
  } catch (error) {
    const cause = (error as Error).cause;
    return `error: ${(error as Error).message}: ${cause instanceof Error ? cause.message : cause}`;
  }
}

Deno.test("TLS termination: HTTP/2 and HTTP/1.1 by ALPN, X-Forwarded-Proto https", async () => {
  await using pki = await makeTestPki();
  await using upstream = startUpstream("secure upstream");
  // HTTP/2 is the Deno.serve listener's (the HTTP/1.1 listener's TLS is tested below).
  await using sluice = await startSluice([
    "--listener",
    "serve",
    "--backends",
    upstream.url,
    "--tls-cert",
    pki.serverCertFile,
    "--tls-key",
    pki.serverKeyFile,
  ]);
  const h2 = await curl(httpsUrl(sluice) + "/h2", pki.caFile, "--http2");
  assert.ok(h2.ok, h2.stderr);
  assert.equal(h2.body, "secure upstream");
  assert.equal(h2.httpVersion, "2");
  const h1 = await curl(httpsUrl(sluice) + "/h1", pki.caFile, "--http1.1");
  assert.ok(h1.ok, h1.stderr);
  assert.equal(h1.httpVersion, "1.1");
  assert.equal(await fetchTrusting(httpsUrl(sluice) + "/fetch", pki.ca), "secure upstream");
  assert.equal(upstream.seen.length, 3);
  for (const { headers } of upstream.seen) assert.equal(headers.get("x-forwarded-proto"), "https");
  // A client that does not trust the CA is refused by the handshake.
  const stranger = await curl(httpsUrl(sluice) + "/", pki.otherCaFile, "--http2");
  assert.ok(!stranger.ok);
  assert.equal(upstream.seen.length, 3);
});

Deno.test("TLS termination: the sticky cookie is Secure over HTTPS", async () => {
  await using pki = await makeTestPki();
  await using upstream = startUpstream("one");
  await using sluice = await startSluice([
    "--backends",
    upstream.url,
    "--sticky-cookie",
    "lb",
    "--tls-cert",
    pki.serverCertFile,
    "--tls-key",
    pki.serverKeyFile,
  ]);
  using client = Deno.createHttpClient({ caCerts: [pki.ca] });
  const response = await fetch(httpsUrl(sluice) + "/", { client });
  await response.body?.cancel();
  assert.match(response.headers.get("set-cookie") ?? "", /^lb=.*; Secure$/);
});

Deno.test("TLS termination: --tls-redirect-http-port answers 308 to the https URL", async () => {
  await using pki = await makeTestPki();
  await using upstream = startUpstream("one");
  const redirectPort = freePort();
  await using sluice = await startSluice([
    "--backends",
    upstream.url,
    "--tls-cert",
    pki.serverCertFile,
    "--tls-key",
    pki.serverKeyFile,
    "--tls-redirect-http-port",
    String(redirectPort),
  ]);
  const response = await fetch(`http://127.0.0.1:${redirectPort}/a/b?c=1`, {
    redirect: "manual",
  });
  await response.body?.cancel();
  assert.equal(response.status, 308);
  assert.equal(
    response.headers.get("location"),
    `https://127.0.0.1:${sluice.app.addr.port}/a/b?c=1`,
  );
  assert.equal(upstream.seen.length, 0, "the redirect never reaches an upstream");
});

/** Writes `pki`'s server pair to the files the config names. */
async function install(pki: TestPki, certFile: string, keyFile: string): Promise<void> {
  await Deno.writeTextFile(certFile, pki.serverCert);
  await Deno.writeTextFile(keyFile, pki.serverKey);
}

for (const listener of ["serve", "http1"]) {
  Deno.test(`TLS termination: a reload serves a new certificate; a bad pair is refused with 422 [listener ${listener}]`, async () => {
    await using first = await makeTestPki();
    await using second = await makeTestPki();
    await using upstream = startUpstream("one");
    const dir = await Deno.makeTempDir({ prefix: "sluice-tls-" });
    try {
      const certFile = `${dir}/cert.pem`;
      const keyFile = `${dir}/key.pem`;
      await install(first, certFile, keyFile);
      const configFile = `${dir}/sluice.yaml`;
      await Deno.writeTextFile(
        configFile,
        `listener: ${listener}\nbackends: [${upstream.url}]\ntls:\n  cert: ${certFile}\n  key: ${keyFile}\n`,
      );
      await using sluice = await startSluice([
        "--config",
        configFile,
        "--admin-port",
        String(freePort()),
      ]);
      const url = httpsUrl(sluice) + "/";
      assert.equal(await fetchTrusting(url, first.ca), "one");
      assert.match(await fetchTrusting(url, second.ca), /^error: .*certificate/i);
      const reload = () =>
        fetch(sluice.adminUrl + "/api/config/reload", {
          method: "POST",
          headers: { "content-type": "application/json" },
        });

      await install(second, certFile, keyFile);
      const applied = await reload();
      const outcome = await applied.json();
      assert.equal(applied.status, 200, JSON.stringify(outcome));
      assert.ok(
        outcome.applied.some((line: string) => line.startsWith("TLS certificate reloaded")),
      );
      assert.equal(await fetchTrusting(url, second.ca), "one");
      assert.match(await fetchTrusting(url, first.ca), /^error: .*certificate/i);

      // A mismatched pair: the whole reload is refused, the second certificate still served.
      await Deno.writeTextFile(keyFile, first.serverKey);
      const refused = await reload();
      const problem = await refused.json();
      assert.equal(refused.status, 422);
      assert.match(JSON.stringify(problem), /does not belong to the certificate/);
      assert.equal(await fetchTrusting(url, second.ca), "one");

      const metrics = await (await fetch(sluice.adminUrl + "/metrics")).text();
      const line = metrics.split("\n").find((l) =>
        l.startsWith("sluice_tls_certificate_expiry_seconds ")
      );
      assert.ok(line, "the expiry gauge is exported");
      const expiry = Number(line.split(" ")[1]);
      // The test certificates are valid for 2 days.
      assert.ok(expiry > Date.now() / 1000 + 86_400 && expiry < Date.now() / 1000 + 3 * 86_400);
      // The same expiry in the status the dashboard shows.
      const status = await (await fetch(sluice.adminUrl + "/api/status")).json();
      assert.equal(Date.parse(status.tlsCertificateExpiresAt) / 1000, expiry);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("TLS termination: a certificate without its key stops start-up", async () => {
  await using pki = await makeTestPki();
  await assert.rejects(
    startSluice(["--tls-cert", pki.serverCertFile]),
    /tls\.key: is required with tls\.cert/,
  );
  await assert.rejects(
    startSluice(["--tls-cert", pki.serverCertFile, "--tls-key", pki.clientKeyFile]),
    /does not belong to the certificate/,
  );
});

Deno.test("TLS termination with --listener http1: HTTPS over Deno.listenTls, HTTP/1.1 only", async () => {
  await using pki = await makeTestPki();
  await using upstream = startUpstream("over http1");
  await using sluice = await startSluice([
    "--listener",
    "http1",
    "--backends",
    upstream.url,
    "--tls-cert",
    pki.serverCertFile,
    "--tls-key",
    pki.serverKeyFile,
  ]);
  // A client offering h2 gets HTTP/1.1 (ALPN).
  const asked2 = await curl(httpsUrl(sluice) + "/", pki.caFile, "--http2");
  assert.ok(asked2.ok, asked2.stderr);
  assert.equal(asked2.body, "over http1");
  assert.equal(asked2.httpVersion, "1.1");
  assert.equal(await fetchTrusting(httpsUrl(sluice) + "/fetch", pki.ca), "over http1");
  for (const { headers } of upstream.seen) assert.equal(headers.get("x-forwarded-proto"), "https");
});

Deno.test("TLS termination: SIGHUP reloads the certificate in main.ts", async () => {
  await using first = await makeTestPki();
  await using second = await makeTestPki();
  await using upstream = startUpstream("one");
  const dir = await Deno.makeTempDir({ prefix: "sluice-tls-" });
  try {
    const certFile = `${dir}/cert.pem`;
    const keyFile = `${dir}/key.pem`;
    await install(first, certFile, keyFile);
    const configFile = `${dir}/sluice.yaml`;
    await Deno.writeTextFile(
      configFile,
      // Replacing the certificate in place is the Deno.serve listener's.
      `listener: serve\nbackends: [${upstream.url}]\ntls:\n  cert: ${certFile}\n  key: ${keyFile}\n`,
    );
    await using proc = spawnMain([`--allow-net`, `--allow-read=${dir}`], [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--config",
      configFile,
      "--log-format",
      "json",
    ]);
    const start = await proc.line((e) => e.logger === "sluice.app" && typeof e.port === "number");
    assert.equal(start.scheme, "https");
    const url = `https://127.0.0.1:${start.port}/`;
    assert.equal(await fetchTrusting(url, first.ca), "one");
    await install(second, certFile, keyFile);
    proc.child.kill("SIGHUP");
    await proc.line((e) =>
      e.logger === "sluice.app" && String(e.message).startsWith("Configuration reloaded") &&
      String(e.applied).includes("TLS certificate reloaded")
    );
    assert.equal(await fetchTrusting(url, second.ca), "one");
    proc.child.kill("SIGTERM");
    await within(proc.child.status, 10_000, "main.ts exiting");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
