/**
 * Free loopback ports for the servers the harness starts (never fixed ports: other runs and
 * tests share the machine).
 *
 * @module
 */

/**
 * Ports that are free on 127.0.0.1 now, all different: each is bound to port 0 and released.
 * @param count how many.
 */
export function freePorts(count: number): number[] {
  const listeners = Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((listener) => listener.addr.port);
  for (const listener of listeners) listener.close();
  return ports;
}
