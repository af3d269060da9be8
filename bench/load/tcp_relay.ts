/**
 * The JavaScript floor: an L4 relay in Deno (HAProxy's `mode tcp`, in 40 lines). Each client
 * connection gets its own upstream connection (round robin over the upstreams) and the bytes are
 * copied both ways with `Deno.Conn.read`/`write` and a 64 KiB buffer per direction — no HTTP
 * parsing, no headers, no pool, no logs. What it costs per request is what two reads and two
 * writes from JavaScript cost on this runtime: Sluice's own HTTP work is measured above it.
 *
 * Run: `deno run --allow-net bench/load/tcp_relay.ts PORT UPSTREAM_PORT...`
 *
 * @module
 */

/** Size of each direction's copy buffer, bytes. */
const BUFFER_BYTES = 64 * 1024;

/** Copies `from` into `to` until `from` ends or either fails; never rejects. */
async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(BUFFER_BYTES);
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) return;
      for (let written = 0; written < n;) {
        written += await to.write(buffer.subarray(written, n));
      }
    }
  } catch {
    // A reset on either side ends the relay of this connection.
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * Relays every connection accepted on `listener` to one of `upstreamPorts` on 127.0.0.1, in
 * turn, until the listener closes; then closes the connections still open.
 * @param listener where clients connect.
 * @param upstreamPorts the upstreams' ports on 127.0.0.1; at least one.
 * @returns resolves when the listener is closed and every relay has ended.
 */
export async function serveTcpRelay(
  listener: Deno.Listener,
  upstreamPorts: readonly number[],
): Promise<void> {
  let next = 0;
  const open = new Set<Deno.Conn>();
  const relays = new Set<Promise<void>>();
  const relay = async (client: Deno.Conn) => {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({
        hostname: "127.0.0.1",
        port: upstreamPorts[next++ % upstreamPorts.length]!,
      });
    } catch {
      closeQuietly(client);
      return;
    }
    open.add(client).add(upstream);
    const toUpstream = copy(client, upstream);
    const toClient = copy(upstream, client);
    // Whichever direction ends first (a close, a reset) ends both.
    await Promise.race([toUpstream, toClient]);
    closeQuietly(client);
    closeQuietly(upstream);
    open.delete(client);
    open.delete(upstream);
    await Promise.all([toUpstream, toClient]);
  };
  try {
    for await (const client of listener) {
      const running = relay(client);
      relays.add(running);
      void running.finally(() => relays.delete(running));
    }
  } catch {
    // The listener was closed.
  }
  for (const conn of open) closeQuietly(conn);
  await Promise.all(relays);
}

if (import.meta.main) {
  const [port, ...upstreams] = Deno.args;
  await serveTcpRelay(
    Deno.listen({ hostname: "127.0.0.1", port: Number(port) }),
    upstreams.map(Number),
  );
}
