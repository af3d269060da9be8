/**
 * End-to-end: Sluice refuses its own listeners as upstreams (issue 9, item 12), through the
 * admin API (the issue's reproduction: `POST /api/upstreams` with the admin server's URL), the
 * command line and a reload alike.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError } from "../internal/config/mod.ts";
import { freePort, startSluice, startUpstream } from "./_fixtures.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const JSON_TYPE = { "content-type": "application/json" };

async function post(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: JSON_TYPE,
    body: JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

Deno.test("own address: POST /api/upstreams with the admin server's or the proxy's URL is 400", async () => {
  await using up = startUpstream("up");
  await using sluice = await startSluice([
    "--backends",
    up.url,
    "--admin-port",
    String(freePort()),
  ]);
  const adminPort = new URL(sluice.adminUrl!).port;
  const proxyPort = new URL(sluice.url).port;
  for (
    const [url, what] of [
      [sluice.adminUrl!, "admin server"],
      [`http://localhost:${adminPort}`, "admin server"],
      [sluice.url, "proxy"],
      [`http://localhost:${proxyPort}`, "proxy"],
    ]
  ) {
    const added = await post(`${sluice.adminUrl}/api/upstreams`, { url });
    assert.equal(added.status, 400, `${url}: ${added.text}`);
    assert.match(added.text, new RegExp(`is Sluice's own ${what}`), added.text);
  }
  assert.equal(sluice.app.pool.size, 1, "nothing was added");
  // Proxy clients cannot read the admin API through the proxy.
  const through = await fetch(`${sluice.url}/api/config`);
  assert.equal(await through.text(), "up");
});

Deno.test("own address: --backends with the admin server's URL stops start-up", async () => {
  const adminPort = freePort();
  await assert.rejects(
    startSluice(["--backends", `http://127.0.0.1:${adminPort}`, "--admin-port", String(adminPort)]),
    (error: unknown) =>
      error instanceof ConfigError &&
      /--backends.*is Sluice's own admin server/.test(error.message),
  );
});

Deno.test("own address: a reload whose file lists the admin server is 422 and changes nothing", async () => {
  await using up = startUpstream("up");
  const adminPort = freePort();
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const file = `${ARTIFACTS}own_address_reload.yaml`;
  await Deno.writeTextFile(file, `backends:\n  - ${up.url}\n`);
  await using sluice = await startSluice(["--config", file, "--admin-port", String(adminPort)]);
  await Deno.writeTextFile(file, `backends:\n  - ${up.url}\n  - http://127.0.0.1:${adminPort}\n`);
  const reload = await post(`${sluice.adminUrl}/api/config/reload`, {});
  assert.equal(reload.status, 422, reload.text);
  assert.match(reload.text, /is Sluice's own admin server/);
  assert.equal(sluice.app.pool.size, 1);
});
