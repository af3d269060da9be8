/**
 * Two Sluice replicas (separate processes, as two pods of the Kubernetes Deployment) agree on
 * `consistent_hash` placement without talking to each other: given the same upstream URLs, in any
 * order, every key goes to the same upstream on both.
 */
import assert from "node:assert/strict";
import { startUpstream } from "./_fixtures.ts";
import { isListeningLine, spawnMain } from "./_process.ts";

/** The upstream (its name, which it answers with) that a replica sends `key` to. */
async function placement(port: number, key: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { "x-user-id": key } });
  assert.equal(response.status, 200);
  return await response.text();
}

Deno.test("two replicas with the same upstreams send every consistent_hash key to the same upstream", async () => {
  await using a = startUpstream("a");
  await using b = startUpstream("b");
  await using c = startUpstream("c");
  await using d = startUpstream("d");
  const urls = [a.url, b.url, c.url, d.url];
  const replica = (backends: string[]) =>
    spawnMain(["--allow-net"], [
      "--port",
      "0",
      "--strategy",
      "consistent_hash",
      "--hash-key",
      "header:X-User-Id",
      "--backends",
      backends.join(","),
    ]);
  // The second replica lists the upstreams in another order, as a hand-edited config might.
  await using first = replica(urls);
  await using second = replica([...urls].reverse());
  const [one, two] = await Promise.all([first.line(isListeningLine), second.line(isListeningLine)]);

  const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
  const placed = new Map<string, number>();
  for (const key of keys) {
    const [onFirst, onSecond] = await Promise.all([
      placement(one.port as number, key),
      placement(two.port as number, key),
    ]);
    assert.equal(
      onSecond,
      onFirst,
      `key ${key}: ${onFirst} on one replica, ${onSecond} on the other`,
    );
    placed.set(onFirst, (placed.get(onFirst) ?? 0) + 1);
  }
  // Not one upstream for everything: 200 keys spread over all four.
  assert.deepEqual([...placed.keys()].sort(), ["a", "b", "c", "d"]);
  // And a key stays where it is on a replica (no round robin in disguise).
  assert.equal(
    await placement(one.port as number, "user-7"),
    await placement(one.port as number, "user-7"),
  );
});
