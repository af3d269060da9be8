/**
 * End-to-end: upstream responses Sluice must not relay (issue 9, items 7 and 8), from a raw TCP
 * upstream that writes them byte for byte. Whatever the transport, the client gets a 502 and
 * the upstream's connection is closed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startSluice, within } from "./_fixtures.ts";
import { proxyTest } from "./_matrix.ts";
import { rawGet } from "./_raw_http.ts";
import { startRawUpstream } from "./_raw_upstream.ts";

const decoder = new TextDecoder();

proxyTest(
  "upstream framing: Content-Length with Transfer-Encoding → 502, connection closed",
  async (variant) => {
    // Read as chunked it is "hello"; read by its Content-Length, "hel" and a smuggled tail.
    await using up = startRawUpstream(() =>
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n0\r\n\r\n"
    );
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
    ]);

    const response = await within(rawGet(sluice.url, "/both"), 5_000, "the response");
    const body = decoder.decode(response.body);
    assert.equal(response.status, 502, `relayed ${response.status}: ${body}`);
    assert.doesNotMatch(body, /hel/);
    assert.equal(up.heads.length, 1, "one upstream: nothing else to try");
    await within(up.closed(0), 2_000, "Sluice closing the upstream connection");
  },
);

proxyTest(
  "upstream framing: 101 to a request that asked for no upgrade → 502, connection closed",
  async (variant) => {
    await using up = startRawUpstream(() =>
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    );
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
    ]);

    const response = await within(rawGet(sluice.url, "/plain"), 5_000, "the response");
    assert.equal(response.status, 502, `relayed ${response.status}`);
    assert.match(up.heads[0] ?? "", /^GET \/plain HTTP\/1\.1/);
    assert.doesNotMatch(up.heads[0] ?? "", /^upgrade:/im, "the request asked for no upgrade");
    await within(up.closed(0), 2_000, "Sluice closing the upstream connection");
  },
);

proxyTest(
  "upstream framing: a status outside 200-599 (999) → 502 (the upstream's fault, not a 500)",
  async (variant) => {
    // Deno's fetch hands such a status on as a Response; the http1 transport's parser refuses it.
    await using up = startRawUpstream(() => "HTTP/1.1 999 Weird\r\nContent-Length: 2\r\n\r\nok");
    await using sluice = await startSluice(variant, [
      "--backends",
      up.url,
      "--health-interval",
      "1m",
    ]);

    const response = await within(rawGet(sluice.url, "/weird"), 5_000, "the response");
    const body = decoder.decode(response.body);
    assert.equal(response.status, 502, `answered ${response.status}: ${body}`);
    assert.match(body, /upstream/);
  },
);
