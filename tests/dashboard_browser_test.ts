/**
 * End-to-end: the dashboard in headless Chromium (playwright-core) against a real Sluice with
 * three real upstreams. The page is driven the way an operator would (role and label lookups,
 * clicks), and the effect is checked where it matters: on the proxy's traffic.
 *
 * Screenshots go to `tests/artifacts/` (gitignored). Skipped when `/usr/bin/chromium` is
 * missing.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Browser, Locator, Page } from "playwright-core";
import {
  freePort,
  get,
  startSluice,
  startUpstream,
  type TestSluice,
  type TestUpstream,
  waitForPool,
} from "./_fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
/** Temp folder where Playwright makes its artifacts and Chromium profile folders. */
const TEMP_DIR = Deno.env.get("TMPDIR") ?? "/tmp";
/** Playwright reads the home folder and the OS release and writes to the temp folder. */
const PLAYWRIGHT_PERMISSIONS: Deno.PermissionDescriptor[] = [
  { name: "sys", kind: "homedir" },
  { name: "sys", kind: "osRelease" },
  { name: "write", path: TEMP_DIR },
];

function skipReason(): string | undefined {
  try {
    if (!Deno.statSync(CHROMIUM).isFile) return `${CHROMIUM} is not a file`;
  } catch {
    return `${CHROMIUM} is missing`;
  }
  const missing = PLAYWRIGHT_PERMISSIONS.some((descriptor) =>
    Deno.permissions.querySync(descriptor).state !== "granted"
  );
  if (missing) return `Playwright needs --allow-sys=homedir,osRelease --allow-write=${TEMP_DIR}`;
  return undefined;
}

const SKIP_REASON = skipReason();
const SKIPPED = SKIP_REASON === undefined ? "" : ` (skipped: ${SKIP_REASON})`;

const ARTIFACTS = new URL("./artifacts/", import.meta.url);
/** Bound on any one wait for the page (a selector, a text, a state). */
const PAGE_TIMEOUT_MS = 10_000;
/** Bound on the first health checks (TCP every 100ms, rise 2, plus jitter). */
const HEALTH_BOUND_MS = 3_000;
const TOKEN = "dashboard-test-token-0123456789";

/** Loads playwright-core (imported on demand, so a skipped run needs no extra permission). */
async function loadPlaywright(): Promise<typeof import("playwright-core")> {
  // Playwright's bundled is-wsl checks for /proc/sys/fs/binfmt_misc/WSLInterop when it is
  // imported, and Deno allows touching /proc/sys only with --allow-all. is-wsl's own test switch
  // defers that check; it is only consulted to open a browser window for reports, never here.
  if (Deno.env.get("__IS_WSL_TEST__") === undefined) Deno.env.set("__IS_WSL_TEST__", "1");
  return await import("playwright-core");
}

async function launchBrowser(): Promise<Browser> {
  const { chromium } = await loadPlaywright();
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

interface Setup {
  upstreams: [TestUpstream, TestUpstream, TestUpstream];
  sluice: TestSluice;
  adminUrl: string;
}

/** Three upstreams answering their name, and Sluice over them with its admin server on. */
async function startSetup(extraArgs: string[] = []): Promise<Setup & AsyncDisposable> {
  const upstreams = [startUpstream("a"), startUpstream("b"), startUpstream("c")] as [
    TestUpstream,
    TestUpstream,
    TestUpstream,
  ];
  // `--admin-port 0` turns the admin server off, so the test picks a free port itself.
  const adminPort = freePort();
  let sluice: TestSluice;
  try {
    sluice = await startSluice([
      "--backends",
      upstreams.map((u) => u.url).join(","),
      "--health-interval",
      "100ms",
      "--admin-host",
      "127.0.0.1",
      "--admin-port",
      String(adminPort),
      ...extraArgs,
    ]);
  } catch (error) {
    await Promise.all(upstreams.map((u) => u.close()));
    throw error;
  }
  const close = async () => {
    await sluice.stop();
    await Promise.all(upstreams.map((u) => u.close()));
  };
  try {
    const app = sluice.app;
    await waitForPool(
      app,
      () => app.pool.list().every((u) => u.health === "up"),
      HEALTH_BOUND_MS,
      "all upstreams up",
    );
    assert.equal(sluice.adminUrl, `http://127.0.0.1:${adminPort}`, "admin server listening");
  } catch (error) {
    await close();
    throw error;
  }
  return {
    upstreams,
    sluice,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    [Symbol.asyncDispose]: close,
  };
}

/** Opens the dashboard and waits until the event stream has shown all three upstreams. */
async function openDashboard(browser: Browser, setup: Setup, width: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    // A refused change (401) is logged by the browser itself; anything else is a defect.
    if (message.type() === "error" && !message.text().includes("401")) {
      problems.push(message.text());
    }
  });
  (page as Page & { problems?: string[] }).problems = problems;
  await page.goto(setup.adminUrl + "/");
  await page.locator("#connection-text", { hasText: "Live" }).waitFor();
  for (const upstream of setup.upstreams) await rowOf(page, upstream).waitFor();
  assert.equal(await page.locator("#upstream-rows > tr").count(), 3);
  return page;
}

function pageProblems(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

function rowOf(page: Page, upstream: TestUpstream): Locator {
  return page.locator(`#upstream-rows > tr[data-url="${upstream.url}"]`);
}

function stateButton(row: Locator, label: "Ready" | "Drain" | "Maintenance"): Locator {
  return row.getByRole("group", { name: /^Admin state of / }).getByRole("button", {
    name: new RegExp(`^${label}\\b`),
  });
}

async function sendMany(url: string, count: number): Promise<{ status: number; text: string }[]> {
  const results = [];
  for (let i = 0; i < count; i++) {
    const { status, text } = await get(url);
    results.push({ status, text });
  }
  return results;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: new URL(name, ARTIFACTS).pathname, fullPage: true });
}

// The sanitizers stay on: `browser.close()` in `finally` ends Chromium and Playwright's pipes and
// timers, and `await using` closes the servers.
const BROWSER_TEST = { ignore: SKIP_REASON !== undefined };

Deno.test({
  ...BROWSER_TEST,
  name: "dashboard: shows three upstreams live; Drain stops traffic to one, the others answer" +
    SKIPPED,
  async fn() {
    await using setup = await startSetup();
    const [a, b, c] = setup.upstreams;
    const { sluice } = setup;
    // Some traffic first, so the header, the rows and the chart have numbers to show.
    assert.deepEqual(
      (await sendMany(sluice.url + "/", 6)).map((r) => r.text),
      ["a", "b", "c", "a", "b", "c"],
    );

    const browser = await launchBrowser();
    try {
      const page = await openDashboard(browser, setup, 1280);
      const rowB = rowOf(page, b);
      await rowB.locator(".badge", { hasText: "Up" }).waitFor();
      await rowB.locator(".c-state .badge", { hasText: "Ready" }).waitFor();
      assert.equal(await stateButton(rowB, "Ready").getAttribute("aria-pressed"), "true");
      assert.equal(await stateButton(rowB, "Drain").getAttribute("aria-pressed"), "false");
      await page.locator("#s-strategy", { hasText: "round_robin" }).waitFor();
      await page.locator("#s-available", { hasText: "3 / 3" }).waitFor();
      // "attached": a flat line has an empty bounding box, which Playwright calls invisible.
      await page.locator("#chart-rps path.line").waitFor({ state: "attached" });

      await stateButton(rowB, "Drain").click();
      await rowB.locator('button[aria-pressed="true"]', { hasText: "Drain" }).waitFor();
      await rowB.locator(".badge", { hasText: "Draining" }).waitFor();
      await page.locator("#log .log-item", { hasText: "state ready → draining" }).waitFor();
      await page.locator("#s-available", { hasText: "2 / 3" }).waitFor();

      const seenByB = b.seen.length;
      const seenByA = a.seen.length;
      const seenByC = c.seen.length;
      const results = await sendMany(sluice.url + "/", 10);
      assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
      assert.deepEqual(new Set(results.map((r) => r.text)), new Set(["a", "c"]));
      assert.equal(b.seen.length, seenByB, "the drained upstream got no request");
      assert.equal(a.seen.length - seenByA + c.seen.length - seenByC, 10);

      // Live, without a reload: the next stats tick counts the 6 + 10 requests.
      await page.locator("#s-requests", { hasText: /^16$/ }).waitFor();
      await screenshot(page, "dashboard.png");
      assert.deepEqual(pageProblems(page), []);
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...BROWSER_TEST,
  name: "dashboard: at 400px wide the upstreams stack as cards with no sideways scrolling" +
    SKIPPED,
  async fn() {
    await using setup = await startSetup();
    const browser = await launchBrowser();
    try {
      const page = await openDashboard(browser, setup, 400);
      const row = rowOf(page, setup.upstreams[0]);
      // The page's own globals (document, getComputedStyle) are written as strings: this file is
      // type-checked against Deno's globals, not the DOM's.
      const display = await page.evaluate<string>(
        "getComputedStyle(document.querySelector('#upstream-rows > tr')).display",
      );
      assert.equal(display, "grid");
      const [first, second] = await Promise.all(
        setup.upstreams.slice(0, 2).map((u) => rowOf(page, u).boundingBox()),
      );
      assert.ok(first && second && second.y >= first.y + first.height, "cards stack vertically");
      assert.ok(first.x >= 0 && first.x + first.width <= 400, "a card fits the width");
      const scrollWidth = await page.evaluate<number>("document.documentElement.scrollWidth");
      assert.ok(scrollWidth <= 400, `page is ${scrollWidth}px wide`);
      // Still usable: the controls are on screen, labelled and reachable.
      await stateButton(row, "Drain").waitFor({ state: "visible" });
      await row.getByLabel(/^Weight of /).waitFor({ state: "visible" });
      await page.locator("#chart-rps path.line").waitFor({ state: "attached" });
      await screenshot(page, "dashboard-narrow.png");
      assert.deepEqual(pageProblems(page), []);
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...BROWSER_TEST,
  name: "dashboard: with --admin-token, Drain asks for the token, refuses a wrong one, then works" +
    SKIPPED,
  async fn() {
    await using setup = await startSetup(["--admin-token", TOKEN]);
    const b = setup.upstreams[1];
    const app = setup.sluice.app;
    const upstreamB = app.pool.list().find((u) => u.url === b.url);
    assert.ok(upstreamB);
    const browser = await launchBrowser();
    try {
      const page = await openDashboard(browser, setup, 1280);
      const rowB = rowOf(page, b);
      await stateButton(rowB, "Drain").click();

      const dialog = page.getByRole("dialog", { name: "Admin token required" });
      await dialog.waitFor();
      const input = dialog.getByLabel("Admin token", { exact: true });
      assert.equal(await page.evaluate<string>("document.activeElement.id"), "token-input");
      assert.equal(upstreamB.admin, "ready", "nothing changed without the token");

      await input.fill("not-the-token-at-all");
      await dialog.getByRole("button", { name: "Use token" }).click();
      await dialog.getByText(/not accepted/).waitFor();
      assert.equal(upstreamB.admin, "ready", "nothing changed with a wrong token");

      await input.fill(TOKEN);
      await input.press("Enter");
      await dialog.waitFor({ state: "hidden" });
      await rowB.locator('button[aria-pressed="true"]', { hasText: "Drain" }).waitFor();
      assert.equal(upstreamB.admin, "draining");
      await page.locator("#notice", { hasText: "draining" }).waitFor();
      assert.equal(
        await page.evaluate(() => sessionStorage.getItem("sluice.adminToken")),
        TOKEN,
      );

      // The token is kept for the tab: the next change goes through without asking.
      await stateButton(rowB, "Ready").click();
      await rowB.locator('button[aria-pressed="true"]', { hasText: "Ready" }).waitFor();
      assert.equal(upstreamB.admin, "ready");
      assert.equal(await dialog.isVisible(), false);
      assert.deepEqual(pageProblems(page), []);
    } finally {
      await browser.close();
    }
  },
});

Deno.test({
  ...BROWSER_TEST,
  name: "dashboard: two pools grouped with their totals, the route table with hits; Drain " +
    "in the pool api stops its traffic" + SKIPPED,
  async fn() {
    const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => startUpstream(name)) as [
      TestUpstream,
      TestUpstream,
      TestUpstream,
      TestUpstream,
    ];
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const file = new URL(`dashboard_pools_${crypto.randomUUID()}.json`, ARTIFACTS).pathname;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        health: { interval: "100ms" },
        pools: {
          web: { backends: [a.url, b.url] },
          api: { strategy: "least_connections", backends: [c.url, d.url] },
        },
        routes: [
          { name: "api", match: { path_prefix: "/api" }, pool: "api" },
          { name: "web", pool: "web" },
        ],
      }),
    );
    const adminPort = freePort();
    const sluice = await startSluice(["--config", file, "--admin-port", String(adminPort)]);
    const browser = await launchBrowser();
    try {
      const api = sluice.app.pools.get("api")!.pool;
      assert.deepEqual(
        (await sendMany(sluice.url + "/", 4)).map((r) => r.text).sort(),
        ["a", "a", "b", "b"],
      );
      assert.deepEqual(
        new Set((await sendMany(sluice.url + "/api/x", 4)).map((r) => r.text)),
        new Set(["c", "d"]),
      );

      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(PAGE_TIMEOUT_MS);
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      await page.goto(`http://127.0.0.1:${adminPort}/`);
      await page.locator("#connection-text", { hasText: "Live" }).waitFor();
      // Upstreams grouped by pool, each group under a header row with the pool's totals.
      await page.locator('#upstream-rows > tr.pool-row[data-pool="web"]', {
        hasText: "Pool web · round robin · 2 of 2 available",
      }).waitFor();
      await page.locator('#upstream-rows > tr.pool-row[data-pool="api"]', {
        hasText: "Pool api · least connections · 2 of 2 available",
      }).waitFor();
      const order = await page.locator("#upstream-rows > tr").evaluateAll((rows) =>
        rows.map((row) =>
          row.getAttribute("data-pool") ?? row.getAttribute("data-url")?.slice(-5) ?? "?"
        )
      );
      assert.deepEqual(order, [
        "web",
        a.url.slice(-5),
        b.url.slice(-5),
        "api",
        c.url.slice(-5),
        d.url.slice(-5),
      ]);
      // The route table: match → target, with the hits of the requests above.
      const routes = page.getByRole("table", { name: "Routes" });
      await routes.getByRole("row", { name: /^api path \/api\/\* pool api 4$/ }).waitFor();
      await routes.getByRole("row", { name: /^web \* pool web 4$/ }).waitFor();

      // Drain d from the page: the PATCH goes to its pool, and /api traffic avoids it.
      const rowD = page.locator(`#upstream-rows > tr[data-url="${d.url}"]`);
      await stateButton(rowD, "Drain").click();
      await rowD.locator(".badge", { hasText: "Draining" }).waitFor();
      assert.equal(api.list().find((u) => u.url === d.url)?.admin, "draining");
      const seenByD = d.seen.length;
      const results = await sendMany(sluice.url + "/api/y", 6);
      assert.deepEqual(results.map((r) => r.text), Array(6).fill("c"));
      assert.equal(d.seen.length, seenByD);
      await page.locator('#upstream-rows > tr.pool-row[data-pool="api"]', {
        hasText: "1 of 2 available",
      }).waitFor();
      await routes.getByRole("row", { name: /^api path \/api\/\* pool api 10$/ }).waitFor();
      await screenshot(page, "dashboard-pools.png");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await sluice.stop();
      await Promise.all([a, b, c, d].map((u) => u.close()));
      await Deno.remove(file).catch(() => {});
    }
  },
});
