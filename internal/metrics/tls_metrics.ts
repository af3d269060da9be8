/**
 * The expiry of the proxy listener's TLS certificate, for alerts before it lapses.
 *
 * @module
 */

import { Gauge, type Registry } from "prom-client";

/**
 * Registers `sluice_tls_certificate_expiry_seconds`: the `notAfter` time of the certificate the
 * proxy listener serves, as a Unix timestamp in seconds (like cert-manager's
 * `certmanager_certificate_expiration_timestamp_seconds`), read at each scrape, so a reloaded
 * certificate shows at once. Absent while no certificate is served. Alert with e.g.
 * `sluice_tls_certificate_expiry_seconds - time() < 14 * 86400`.
 * @param registry where to register it.
 * @param notAfter the current certificate's expiry, ms since the epoch, or `undefined`.
 * @throws {Error} when the name is already registered in `registry`.
 */
export function registerTlsMetrics(registry: Registry, notAfter: () => number | undefined): void {
  new Gauge({
    name: "sluice_tls_certificate_expiry_seconds",
    help: "Expiry (notAfter) of the proxy listener's TLS certificate, Unix time in seconds",
    registers: [registry],
    collect() {
      this.reset();
      const ms = notAfter();
      if (ms !== undefined) this.set(Math.floor(ms / 1000));
    },
  });
}
