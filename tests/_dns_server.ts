/**
 * A tiny authoritative DNS server on a loopback UDP port for discovery tests (npm `dns2`):
 * answers A, AAAA and SRV questions from a table the test changes between lookups, and counts
 * the questions so a test can wait for the next lookup.
 *
 * @module
 */

import dns2 from "dns2";

const { Packet } = dns2;

/** What the server answers, by lower-case name; absent names get no answer (NXDOMAIN-like). */
export interface DnsZone {
  a?: Record<string, string[]>;
  srv?: Record<string, { target: string; port: number }[]>;
  /** TTL of every record, seconds. @default 1 */
  ttl?: number;
  /** When true, the server answers nothing at all (clients time out). */
  silent?: boolean;
}

/** A running test DNS server. */
export interface TestDnsServer extends AsyncDisposable {
  /** `{ ipAddr, port }` for `discovery.name_server`. */
  port: number;
  /** The answers; replace fields to change them. */
  zone: DnsZone;
  /** Resolves after `n` more questions have been answered. */
  questions(n: number): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 and a free UDP port.
 * @param zone the first answers.
 * @returns the server; dispose to stop it.
 */
export async function startDnsServer(zone: DnsZone): Promise<TestDnsServer> {
  let answered = 0;
  const waiters = new Set<{ target: number; resolve: () => void }>();
  const state = { zone };
  const server = dns2.createServer({
    udp: true,
    handle(request, send) {
      const current = state.zone;
      if (current.silent) return;
      const response = Packet.createResponseFromRequest(request);
      // dns2's Resource type wants its own class; plain records encode the same.
      const answers = response.answers as unknown as Record<string, unknown>[];
      const question = request.questions[0]!;
      const name = String(question.name).toLowerCase().replace(/\.$/, "");
      const ttl = current.ttl ?? 1;
      if (question.type === Packet.TYPE.A) {
        for (const address of current.a?.[name] ?? []) {
          answers.push({
            name: question.name,
            type: Packet.TYPE.A,
            class: Packet.CLASS.IN,
            ttl,
            address,
          });
        }
      } else if (question.type === Packet.TYPE.SRV) {
        for (const { target, port } of current.srv?.[name] ?? []) {
          answers.push({
            name: question.name,
            type: Packet.TYPE.SRV,
            class: Packet.CLASS.IN,
            ttl,
            priority: 1,
            weight: 1,
            port,
            target,
          });
        }
      }
      send(response);
      answered++;
      for (const waiter of waiters) {
        if (answered >= waiter.target) {
          waiters.delete(waiter);
          waiter.resolve();
        }
      }
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: "127.0.0.1" } });
  return {
    port: addresses.udp!.port,
    get zone() {
      return state.zone;
    },
    set zone(next: DnsZone) {
      state.zone = next;
    },
    questions(n: number) {
      return new Promise((resolve) => waiters.add({ target: answered + n, resolve }));
    },
    [Symbol.asyncDispose]: async () => {
      await server.close();
    },
  };
}
