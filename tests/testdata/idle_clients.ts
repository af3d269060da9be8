/**
 * A load of idle client connections, for tests/http1_connections_test.ts: opens `count`
 * connections to 127.0.0.1:`port` (at most 200 connects pending at once, each bounded), prints
 * one JSON line `{ "opened": n, "failed": n, "clientLimited": n }`, holds them until stdin
 * closes, then exits (closing them all, and abandoning connects the server never accepted).
 *
 * Usage: deno run --allow-net idle_clients.ts PORT COUNT
 *
 * @module
 */

const [portArg, countArg] = Deno.args;
const port = Number(portArg);
const count = Number(countArg);
const CONNECT_BOUND_MS = 1000;
const conns: Deno.Conn[] = [];
let failed = 0;
let clientLimited = 0;
let next = 0;

async function one(): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const conn = await Promise.race([
      Deno.connect({ hostname: "127.0.0.1", port }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("connect timed out")), CONNECT_BOUND_MS);
      }),
    ]);
    conns.push(conn);
  } catch (error) {
    // This process's own descriptor limit, or the server's full accept queue.
    if (/os error 24|Too many open files/i.test(String(error))) clientLimited++;
    else failed++;
  } finally {
    clearTimeout(timer);
  }
}

await Promise.all(Array.from({ length: 200 }, async () => {
  while (next < count) {
    next++;
    await one();
  }
}));
await Deno.stdout.write(
  new TextEncoder().encode(JSON.stringify({ opened: conns.length, failed, clientLimited }) + "\n"),
);
// Hold until the test closes stdin.
for await (const _ of Deno.stdin.readable) { /* discard */ }
Deno.exit(0);
