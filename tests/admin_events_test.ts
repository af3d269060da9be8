/**
 * End-to-end tests of the admin event stream (`GET /api/events`, Server-Sent Events): the
 * snapshot on connect, upstream changes as they happen, the stats tick, and a clean end at
 * shutdown. Frames are parsed here from the bytes on the wire.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { StatusView, UpstreamEvent, UpstreamView } from "../internal/admin/views.ts";
import {
  freePort,
  startSluice,
  startUpstream,
  type TestSluice,
  waitForPool,
  within,
} from "./_fixtures.ts";

/** One dispatched Server-Sent Event. */
interface SseEvent {
  event: string;
  data: string;
}

/**
 * Reads Server-Sent Events from a response body (WHATWG HTML §9.2.6): frames end with a blank
 * line, `field: value` lines, `data` lines joined with `\n`, comments and frames without data
 * not dispatched.
 */
class SseReader implements AsyncDisposable {
  /** Every event read so far, in order. */
  readonly events: SseEvent[] = [];
  /** The last `retry:` value seen, ms. */
  retry: number | undefined;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event, or `undefined` once the stream has ended; rejects after `ms`. */
  next(ms: number, what: string): Promise<SseEvent | undefined> {
    return within(this.#next(), ms, what);
  }

  /** Reads on, past events that do not match, to the first that does; rejects after `ms`. */
  until(predicate: (event: SseEvent) => boolean, ms: number, what: string): Promise<SseEvent> {
    return within(
      (async () => {
        for (;;) {
          const event = await this.#next();
          if (event === undefined) throw new Error(`the stream ended before ${what}`);
          if (predicate(event)) return event;
        }
      })(),
      ms,
      what,
    );
  }

  /** Reads on to the next `upstream` event matching `predicate`; returns its data. */
  async upstream(
    predicate: (event: UpstreamEvent) => boolean,
    ms: number,
    what: string,
  ): Promise<UpstreamEvent> {
    const event = await this.until(
      (e) => e.event === "upstream" && predicate(JSON.parse(e.data)),
      ms,
      what,
    );
    return JSON.parse(event.data);
  }

  async #next(): Promise<SseEvent | undefined> {
    for (;;) {
      const event = this.#takeFrame();
      if (event) {
        this.events.push(event);
        return event;
      }
      if (this.#ended) return undefined;
      const { value, done } = await this.#reader.read();
      if (done) this.#ended = true;
      else this.#buffer += value;
    }
  }

  #takeFrame(): SseEvent | undefined {
    for (;;) {
      const normalized = this.#buffer.replaceAll("\r\n", "\n");
      const end = normalized.indexOf("\n\n");
      if (end < 0) return undefined;
      const block = normalized.slice(0, end);
      this.#buffer = normalized.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line === "" || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
      }
      if (data.length > 0) return { event, data: data.join("\n") };
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel();
  }
}

/** Opens `GET /api/events` and checks the response head. */
async function openEvents(sluice: TestSluice): Promise<SseReader> {
  assert.ok(sluice.adminUrl);
  const response = await fetch(`${sluice.adminUrl}/api/events`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.ok(response.body);
  return new SseReader(response.body);
}

/** Starts Sluice with its admin server on a free port and a 100ms health interval. */
function startAdmin(backends: string[]): Promise<TestSluice> {
  return startSluice([
    "--backends",
    backends.join(","),
    "--health-interval",
    "100ms",
    "--admin-port",
    String(freePort()),
  ]);
}

/** Waits until every upstream has passed a health check. */
function allUp(sluice: TestSluice): Promise<void> {
  return waitForPool(
    sluice.app,
    () => sluice.app.pool.list().every((u) => u.health === "up"),
    3_000,
    "every upstream up",
  );
}

/** Calls the admin API with a JSON body; reads the whole response. */
async function change(sluice: TestSluice, method: string, path: string, body?: unknown) {
  const response = await fetch(sluice.adminUrl + path, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as UpstreamView };
}

Deno.test("events: a snapshot first, then a stats tick within 2.5s", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using sluice = await startAdmin([a.url, b.url]);
  await allUp(sluice);
  await using events = await openEvents(sluice);

  const first = await events.next(2_000, "the first event");
  assert.equal(first?.event, "snapshot");
  const snapshot = JSON.parse(first.data) as { status: StatusView; upstreams: UpstreamView[] };
  assert.deepEqual(snapshot.upstreams.map((u) => [u.id, u.url, u.health.state]), [
    ["u1", a.url, "up"],
    ["u2", b.url, "up"],
  ]);
  assert.equal(snapshot.status.ready, true);
  assert.deepEqual(snapshot.status.upstreams, { total: 2, available: 2 });
  assert.equal(events.retry, 2000, "a reconnect delay is suggested");

  const tick = await events.until((e) => e.event === "stats", 2_500, "a stats event");
  const stats = JSON.parse(tick.data) as {
    at: string;
    status: StatusView;
    upstreams: UpstreamView[];
  };
  assert.ok(Math.abs(Date.parse(stats.at) - Date.now()) < 5_000, `stats time ${stats.at}`);
  assert.deepEqual(stats.upstreams.map((u) => u.id), ["u1", "u2"]);
  assert.equal(typeof stats.status.uptimeSeconds, "number");
});

Deno.test("events: PATCH, POST and DELETE appear as upstream events", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using sluice = await startAdmin([a.url, b.url]);
  await allUp(sluice);
  await using events = await openEvents(sluice);
  assert.equal((await events.next(2_000, "the snapshot"))?.event, "snapshot");

  assert.equal(
    (await change(sluice, "PATCH", "/api/upstreams/u1", { state: "draining" })).status,
    200,
  );
  const drained = await events.upstream((e) => e.upstream.id === "u1", 2_000, "u1 draining");
  assert.equal(drained.type, "admin");
  assert.equal(drained.from, "ready");
  assert.equal(drained.to, "draining");
  assert.equal(drained.upstream.admin, "draining");
  assert.equal(drained.upstream.available, false);
  assert.ok(Math.abs(Date.parse(drained.at) - Date.now()) < 5_000);

  assert.equal((await change(sluice, "PATCH", "/api/upstreams/u2", { weight: 3 })).status, 200);
  const weighted = await events.upstream((e) => e.upstream.id === "u2", 2_000, "u2 weight");
  assert.deepEqual([weighted.type, weighted.from, weighted.to], ["weight", 1, 3]);

  await using c = startUpstream("c");
  const added = await change(sluice, "POST", "/api/upstreams", { url: c.url, name: "c" });
  assert.equal(added.status, 201);
  const joined = await events.upstream((e) => e.type === "added", 2_000, "the added event");
  assert.equal(joined.upstream.id, added.body.id);
  assert.equal(joined.upstream.available, false);
  const up = await events.upstream(
    (e) => e.type === "health" && e.upstream.id === added.body.id,
    3_000,
    "c's first check",
  );
  assert.deepEqual([up.from, up.to, up.upstream.available], ["unknown", "up", true]);

  assert.equal((await change(sluice, "DELETE", `/api/upstreams/${added.body.id}`)).status, 202);
  const removed = await events.upstream(
    (e) => e.upstream.id === added.body.id && e.type === "removed",
    3_000,
    "the removed event",
  );
  assert.equal(removed.upstream.url, c.url);
  const sequence = events.events
    .filter((e) => e.event === "upstream")
    .map((e) => JSON.parse(e.data) as UpstreamEvent)
    .filter((e) => e.upstream.id === added.body.id)
    .map((e) => e.type);
  assert.deepEqual(sequence, ["added", "health", "admin", "removed"], "drain, then removal");
});

Deno.test("events: health transitions of a stopped and restarted upstream", async () => {
  await using a = startUpstream("a");
  const b = startUpstream("b");
  await using _b = b;
  await using sluice = await startAdmin([a.url, b.url]);
  await allUp(sluice);
  await using events = await openEvents(sluice);
  assert.equal((await events.next(2_000, "the snapshot"))?.event, "snapshot");

  await b.close();
  const down = await events.upstream((e) => e.type === "health", 3_000, "b going down");
  assert.equal(down.upstream.id, "u2");
  assert.deepEqual([down.from, down.to], ["up", "down"]);
  assert.equal(down.upstream.health.state, "down");
  assert.equal(down.upstream.health.lastCheck?.ok, false);

  await using _again = startUpstream("b", undefined, b.port);
  const back = await events.upstream((e) => e.type === "health", 3_000, "b back up");
  assert.equal(back.upstream.id, "u2");
  assert.deepEqual([back.from, back.to], ["down", "up"]);
});

Deno.test("events: every client gets each event; one leaving does not stop the others", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  await allUp(sluice);
  await using first = await openEvents(sluice);
  const second = await openEvents(sluice);
  try {
    for (const events of [first, second]) {
      assert.equal((await events.next(2_000, "the snapshot"))?.event, "snapshot");
    }
    await change(sluice, "PATCH", "/api/upstreams/u1", { weight: 2 });
    for (const events of [first, second]) {
      const event = await events.upstream(() => true, 2_000, "the weight event");
      assert.equal(event.to, 2);
    }
  } finally {
    await second[Symbol.asyncDispose]();
  }
  await change(sluice, "PATCH", "/api/upstreams/u1", { weight: 4 });
  const event = await first.upstream(() => true, 2_000, "the second weight event");
  assert.equal(event.to, 4);
  const tick = await first.until((e) => e.event === "stats", 2_500, "a stats tick");
  assert.ok(tick);
});

Deno.test("events: the stream ends cleanly when Sluice shuts down", async () => {
  await using a = startUpstream("a");
  await using sluice = await startAdmin([a.url]);
  await using events = await openEvents(sluice);
  assert.equal((await events.next(2_000, "the snapshot"))?.event, "snapshot");
  const stopping = sluice.stop();
  for (;;) {
    const event = await events.next(3_000, "the end of the stream");
    if (event === undefined) break;
    assert.ok(["stats", "upstream"].includes(event.event), `unexpected ${event.event}`);
  }
  await within(stopping, 3_000, "the shutdown");
  const late = await fetch(`${sluice.adminUrl}/healthz`).then(
    async (response) => {
      await response.body?.cancel();
      return response.status;
    },
    (error: unknown) => error,
  );
  assert.ok(late instanceof TypeError, `the admin server still answers: ${late}`);
});
