/**
 * Opening a connection to an upstream: TCP, or TLS with the operator's CA bundle, SNI name and
 * client certificate, the handshake completed before the connection is handed over.
 *
 * @module
 */

/** TLS settings for `https://` upstreams, PEM text (see `upstream_tls` in the README). */
export interface UpstreamTlsOptions {
  /** CA certificates trusted besides the system's roots, one PEM bundle. */
  ca?: string | undefined;
  /**
   * Name sent in SNI and verified against the certificate instead of `hostname`. Not with
   * `cert`: `Deno.startTls`, the only way to send it, presents no client certificate.
   */
  serverName?: string | undefined;
  /** Client certificate chain (mutual TLS), with `key`. */
  cert?: string | undefined;
  /** Private key of `cert`. */
  key?: string | undefined;
}

/** Where to connect. */
export interface UpstreamAddress {
  /** Host name or IP address (IPv6 without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Whether to speak TLS (an `https:` upstream). */
  tls: boolean;
}

/**
 * Opens a connection to `target`. With TLS, the handshake is completed here, so a certificate
 * the upstream presents and Sluice refuses (unknown issuer, wrong name, expired) fails the
 * connection itself, as a connect failure, before any request byte is sent.
 * @param target host, port and whether to use TLS.
 * @param tls CA bundle, SNI name and client certificate. `{}` uses the system roots only.
 * @param signal aborting it closes the connection and rejects with `signal.reason`.
 * @returns the open connection (a `Deno.TlsConn` when `target.tls`).
 * @throws what `Deno.connect` / `Deno.connectTls` / the handshake throw (e.g.
 *   `Deno.errors.ConnectionRefused`, `InvalidData: invalid peer certificate: UnknownIssuer`).
 */
export async function connectUpstream(
  target: UpstreamAddress,
  tls: UpstreamTlsOptions,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  const { hostname, port } = target;
  if (!target.tls) return await Deno.connect({ hostname, port, signal });
  const caCerts = tls.ca === undefined ? [] : [tls.ca];
  let conn: Deno.TlsConn;
  if (tls.cert !== undefined && tls.key !== undefined) {
    // Only connectTls presents a client certificate; it takes no signal (see below).
    conn = await Deno.connectTls({ hostname, port, caCerts, cert: tls.cert, key: tls.key });
  } else {
    // TCP first, so that the signal (the connect timeout) can abort the connect itself.
    const tcp = await Deno.connect({ hostname, port, signal });
    conn = await Deno.startTls(tcp, { hostname: tls.serverName ?? hostname, caCerts });
  }
  if (signal.aborted) {
    conn.close();
    throw signal.reason;
  }
  // connectTls has no signal: an abort during the handshake closes the connection instead.
  const onAbort = () => closeQuietly(conn);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await conn.handshake();
  } catch (error) {
    closeQuietly(conn);
    throw signal.aborted ? signal.reason : error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  return conn;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
