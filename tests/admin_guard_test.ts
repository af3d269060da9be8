/**
 * End-to-end: the admin API against DNS rebinding and cross-site requests (issue 9, item 11),
 * with the reproductions as the issue writes them: a PATCH with `Host: evil.example` and
 * `Origin: http://evil.example`, and a cross-origin form POST to `/api/config/reload`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, startSluice, startUpstream, type TestSluice } from "./_fixtures.ts";

const TOKEN = "5f0c1e9a7b2d48c6a3e1f0b9d8c7a6e5";
const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;

/** Sends `Host` as given, which a browser reaching 127.0.0.1 by another name would. */
async function send(
  sluice: TestSluice,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  using client = Deno.createHttpClient({ allowHost: true });
  const response = await fetch(sluice.adminUrl + path, { ...init, client });
  return { status: response.status, text: await response.text() };
}

async function startAdmin(backends: string[], extra: string[] = []): Promise<TestSluice> {
  return await startSluice([
    "--backends",
    backends.join(","),
    "--health-interval",
    "1m",
    "--admin-port",
    String(freePort()),
    ...extra,
  ]);
}

Deno.test("admin guard: a rebound PATCH (Host and Origin evil.example) is 403 and changes nothing", async () => {
  await using up = startUpstream("up");
  await using sluice = await startAdmin([up.url]);
  const patch = await send(sluice, "/api/upstreams/u1", {
    method: "PATCH",
    headers: {
      host: "evil.example",
      origin: "http://evil.example",
      "content-type": "application/json",
    },
    body: JSON.stringify({ state: "maintenance" }),
  });
  assert.equal(patch.status, 403, patch.text);
  assert.match(patch.text, /Host \\?"evil\.example\\?" is not allowed/);
  assert.equal(sluice.app.pool.get("u1")?.admin, "ready");
  // Reads by that name are refused too: /api/config must not leak to the rebound page.
  assert.equal(
    (await send(sluice, "/api/config", { headers: { host: "evil.example" } })).status,
    403,
  );
  // Probes answer whatever name they come by (kubelet uses the pod IP).
  assert.equal(
    (await send(sluice, "/healthz", { headers: { host: "10.1.2.3:8090" } })).status,
    200,
  );
});

Deno.test("admin guard: a cross-origin form POST to /api/config/reload is refused and applies nothing", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}admin_guard_reload.yaml`;
  await Deno.writeTextFile(file, `backends:\n  - ${a.url}\n`);
  await using sluice = await startSluice([
    "--config",
    file,
    "--health-interval",
    "1m",
    "--admin-port",
    String(freePort()),
  ]);
  await Deno.writeTextFile(file, `backends:\n  - ${a.url}\n  - ${b.url}\n`);
  const host = new URL(sluice.adminUrl!).host;
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const crossOrigin = await send(sluice, "/api/config/reload", {
    method: "POST",
    headers: { host, origin: "http://evil.example", ...form },
    body: "x=1",
  });
  assert.equal(crossOrigin.status, 403, crossOrigin.text);
  // A form without Origin (an old browser, a privacy extension) is still not JSON.
  const noOrigin = await send(sluice, "/api/config/reload", {
    method: "POST",
    headers: { host, ...form },
    body: "x=1",
  });
  assert.equal(noOrigin.status, 415, noOrigin.text);
  assert.equal(sluice.app.pool.size, 1, "the file was not applied");
  // The dashboard's own request (same origin, JSON) and curl's (no Origin, JSON) are accepted.
  const own = await send(sluice, "/api/config/reload", {
    method: "POST",
    headers: { host, origin: `http://${host}`, "content-type": "application/json" },
  });
  assert.equal(own.status, 200, own.text);
  assert.equal(sluice.app.pool.size, 2, "the file was applied");
});

Deno.test("admin guard: loopback names on the admin port pass; admin.allowed_hosts adds more", async () => {
  await using up = startUpstream("up");
  await using plain = await startAdmin([up.url]);
  const port = new URL(plain.adminUrl!).port;
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
    assert.equal((await send(plain, "/api/status", { headers: { host } })).status, 200, host);
  }
  for (const host of ["localhost:1", "127.0.0.1", "sluice.internal", `sluice.internal:${port}`]) {
    assert.equal((await send(plain, "/api/status", { headers: { host } })).status, 403, host);
  }
  await using allowing = await startAdmin([up.url], [
    "--admin-allowed-hosts",
    "sluice.internal",
  ]);
  const host = "sluice.internal:8443";
  assert.equal((await send(allowing, "/api/status", { headers: { host } })).status, 200);
  const change = await send(allowing, "/api/upstreams/u1", {
    method: "PATCH",
    headers: { host, origin: `http://${host}`, "content-type": "application/json" },
    body: JSON.stringify({ weight: 3 }),
  });
  assert.equal(change.status, 200, change.text);
  assert.equal(allowing.app.pool.get("u1")?.weight, 3);
});

Deno.test("admin guard: with a token, the token passes any Host; without it, loopback reads need a loopback Host", async () => {
  await using up = startUpstream("up");
  await using sluice = await startAdmin([up.url], ["--admin-token", TOKEN]);
  const read = await send(sluice, "/api/config", { headers: { host: "evil.example" } });
  assert.equal(read.status, 403, "a rebound page reads nothing without the token");
  const withToken = await send(sluice, "/api/config", {
    headers: { host: "lb.example.com", authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(withToken.status, 200, withToken.text);
  // A change with the token from another origin is still refused (Caddy checks Origin too).
  const cross = await send(sluice, "/api/upstreams/u1", {
    method: "PATCH",
    headers: {
      host: "lb.example.com",
      origin: "http://evil.example",
      authorization: `Bearer ${TOKEN}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ state: "maintenance" }),
  });
  assert.equal(cross.status, 403, cross.text);
  assert.equal(sluice.app.pool.get("u1")?.admin, "ready");
});
