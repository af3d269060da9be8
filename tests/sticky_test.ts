/**
 * End-to-end: sticky sessions over round robin. The first response sets a signed cookie; requests
 * carrying it keep going to the same upstream until that one is drained, when another takes
 * over and the cookie is re-issued. A tampered cookie is ignored and replaced; with the same
 * secret (from the config file) a cookie outlives a restart.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  get,
  startSluice,
  startUpstream,
  type TestSluice,
  type TestUpstream,
} from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";

const ARTIFACTS = new URL("./artifacts/", import.meta.url).pathname;
const COOKIE = /^lb=(u\d+)\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/;

const NAMES = ["a", "b", "c"];

/** Three upstreams answering with their names. */
function upstreams(): TestUpstream[] & AsyncDisposable {
  const list = NAMES.map((name) => startUpstream(name));
  return Object.assign(list, {
    [Symbol.asyncDispose]: () => Promise.all(list.map((up) => up.close())).then(() => {}),
  });
}

/** The pool entry of the upstream that answers with `name`. */
function upstreamNamed(sluice: TestSluice, ups: TestUpstream[], name: string) {
  const upstream = sluice.app.pool.list().find((u) => u.url === ups[NAMES.indexOf(name)]?.url);
  assert.ok(upstream, `no upstream ${name}`);
  return upstream;
}

/** The upstream id a cookie pair names (`lb=u2.<mac>` names `u2`). */
function idOf(pair: string): string {
  return /^lb=(u\d+)\./.exec(pair)?.[1] ?? "(none)";
}

/** GETs `url` with the cookie pair `cookie` (if any); the answering upstream and Set-Cookie. */
async function visit(url: string, cookie?: string) {
  const { status, text, headers } = await get(
    url,
    cookie === undefined ? {} : { headers: { cookie } },
  );
  assert.equal(status, 200);
  return { upstream: text, setCookie: headers.get("set-cookie") };
}

/** The `name=value` pair of a Set-Cookie field, checked against the expected attributes. */
function pairOf(setCookie: string | null): string {
  assert.match(setCookie ?? "(none)", COOKIE);
  return setCookie!.split(";")[0]!;
}

proxyTest(
  "sticky: the cookie of the first response pins the client under round robin",
  async (variant) => {
    await using ups = upstreams();
    await using sluice = await startSluice(variant, [
      "--backends",
      ups.map((up) => up.url).join(","),
      "--sticky-cookie",
      "lb",
    ]);
    const first = await visit(sluice.url);
    const cookie = pairOf(first.setCookie);
    assert.equal(idOf(cookie), upstreamNamed(sluice, ups, first.upstream).id);
    for (let i = 0; i < 6; i++) {
      const again = await visit(sluice.url, cookie);
      assert.equal(again.upstream, first.upstream, `request ${i + 2} moved`);
      assert.equal(again.setCookie, null, "a valid cookie is not set again");
    }
    // Without the cookie, round robin goes on: the next two clients land elsewhere.
    const others = [await visit(sluice.url), await visit(sluice.url)];
    assert.ok(others.every((other) => other.upstream !== first.upstream));
    assert.equal(new Set(others.map((other) => other.setCookie)).size, 2);
  },
);

proxyTest(
  "sticky: a drained upstream hands its clients over and the cookie follows",
  async (variant) => {
    await using ups = upstreams();
    await using sluice = await startSluice(variant, [
      "--backends",
      ups.map((up) => up.url).join(","),
      "--sticky-cookie",
      "lb",
    ]);
    const first = await visit(sluice.url);
    const cookie = pairOf(first.setCookie);
    const pinned = upstreamNamed(sluice, ups, first.upstream);
    assert.ok(sluice.app.pool.setAdminState(pinned.id, "draining"));

    const moved = await visit(sluice.url, cookie);
    assert.notEqual(moved.upstream, first.upstream);
    const repinned = pairOf(moved.setCookie);
    assert.equal(idOf(repinned), upstreamNamed(sluice, ups, moved.upstream).id);
    for (let i = 0; i < 4; i++) {
      const again = await visit(sluice.url, repinned);
      assert.equal(again.upstream, moved.upstream);
      assert.equal(again.setCookie, null);
    }

    // Back in service, the old cookie pins to it again; the new one stays where it is.
    assert.ok(sluice.app.pool.setAdminState(pinned.id, "ready"));
    assert.equal((await visit(sluice.url, cookie)).upstream, first.upstream);
    assert.equal((await visit(sluice.url, repinned)).upstream, moved.upstream);
  },
);

proxyTest("sticky: a tampered cookie is ignored and replaced", async (variant) => {
  await using ups = upstreams();
  await using sluice = await startSluice(variant, [
    "--backends",
    ups.map((up) => up.url).join(","),
    "--sticky-cookie",
    "lb",
  ]);
  const cookie = pairOf((await visit(sluice.url)).setCookie); // lb=u1.<mac>
  const [, id, mac] = /^lb=(u\d+)\.(.*)$/.exec(cookie)!;
  const otherId = id === "u1" ? "u2" : "u1";
  for (
    const forged of [
      `lb=${otherId}.${mac}`, // another upstream's id under this MAC
      `lb=${id}.${mac!.slice(0, -2)}AA`,
      `lb=${id}`,
      "lb=",
    ]
  ) {
    const answer = await visit(sluice.url, `theme=dark; ${forged}`);
    const replaced = pairOf(answer.setCookie);
    assert.equal(idOf(replaced), upstreamNamed(sluice, ups, answer.upstream).id, forged);
    const reused = await visit(sluice.url, replaced);
    assert.equal(reused.upstream, answer.upstream);
    assert.equal(reused.setCookie, null);
  }
});

proxyTest(
  "sticky: with the secret from the config file, a cookie outlives a restart",
  async (variant) => {
    await using ups = upstreams();
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const path = `${ARTIFACTS}sticky_${crypto.randomUUID()}.yaml`;
    await Deno.writeTextFile(
      path,
      `backends:\n${ups.map((up) => `  - ${up.url}\n`).join("")}` +
        "sticky:\n  cookie: lb\n  secret: sticky-test-secret-0123456789\n",
    );
    await using _file = { [Symbol.asyncDispose]: () => Deno.remove(path).catch(() => {}) };

    let cookie: string;
    let upstream: string;
    {
      await using sluice = await startSluice(variant, ["--config", path]);
      assert.equal(sluice.app.config.sticky?.secretGenerated, false);
      // Let round robin pass the first upstream so the pin is not what a fresh start picks anyway.
      await visit(sluice.url);
      const second = await visit(sluice.url);
      cookie = pairOf(second.setCookie);
      upstream = second.upstream;
    }
    {
      await using sluice = await startSluice(variant, ["--config", path]);
      const again = await visit(sluice.url, cookie);
      assert.equal(again.upstream, upstream);
      assert.equal(again.setCookie, null, "the same secret: the cookie is still valid");
    }
    {
      // A random secret per process (none configured) does not accept the old cookie.
      await using sluice = await startSluice(variant, [
        "--backends",
        ups.map((up) => up.url).join(","),
        "--sticky-cookie",
        "lb",
      ]);
      assert.equal(sluice.app.config.sticky?.secretGenerated, true);
      const fresh = await visit(sluice.url, cookie);
      assert.notEqual(pairOf(fresh.setCookie), cookie);
    }
  },
);
