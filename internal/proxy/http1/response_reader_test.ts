import assert from "node:assert/strict";
import { UpstreamClosedError } from "../../net/mod.ts";
import { MalformedResponseError } from "./errors.ts";
import { ResponseHeadReader } from "./response_reader.ts";
import type { ResponseHead } from "./response_head.ts";
import { scriptedConnection } from "./_test_connection.ts";
import type { Http1Connection } from "./connection.ts";

/** Drives a ResponseHeadReader as the transport does; counts the reads it asked for. */
async function drive(
  conn: Http1Connection,
  upgrade = false,
): Promise<{ head: ResponseHead; reads: number; started: boolean }> {
  const progress = { requestSent: true, responseStarted: false };
  const heads = new ResponseHeadReader(conn, upgrade, progress);
  let head: ResponseHead | null;
  let reads = 0;
  while ((head = heads.next()) === null) {
    reads++;
    heads.readDone(await conn.read());
  }
  return { head, reads, started: progress.responseStarted };
}

const WIRE = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiREST";
const BODY_AT = WIRE.length - "hiREST".length;

Deno.test("ResponseHeadReader: interim answers skipped at every split, body left buffered", async () => {
  for (let i = 1; i < WIRE.length; i++) {
    // A small buffer too, so that reads move the buffered bytes (the scan position follows).
    for (const size of [undefined, 64]) {
      const conn = scriptedConnection([WIRE.slice(0, i), WIRE.slice(i)], undefined, size);
      const { head, reads, started } = await drive(conn);
      assert.equal(head.status, 200, `split at ${i}`);
      assert.equal(head.contentLength, 2);
      assert.ok(reads >= 1 && started);
      // The head consumed, nothing after it: the buffer holds the start of the body, all
      // that the reads asked for brought.
      const rest = String.fromCharCode(...conn.buf.subarray(conn.start, conn.end));
      assert.ok("hiREST".startsWith(rest), `split at ${i}: ${rest}`);
      if (size === undefined) assert.equal(rest, i < BODY_AT ? "hiREST" : WIRE.slice(BODY_AT, i));
    }
  }
});

Deno.test("ResponseHeadReader: a buffered head asks for no read", async () => {
  const conn = scriptedConnection(["HTTP/1.1 204 No Content\r\n\r\n"]);
  await conn.read();
  const { head, reads } = await drive(conn);
  assert.equal(head.status, 204);
  assert.equal(reads, 0);
});

Deno.test("ResponseHeadReader: end of stream before or inside the head, unsolicited 101", async () => {
  await assert.rejects(drive(scriptedConnection([])), (error: unknown) => {
    assert.ok(error instanceof UpstreamClosedError);
    assert.match(error.message, /before the response head/);
    return true;
  });
  await assert.rejects(drive(scriptedConnection(["HTTP/1.1 200 OK\r\n"])), (error: unknown) => {
    assert.ok(error instanceof UpstreamClosedError);
    assert.match(error.message, /inside the response head/);
    return true;
  });
  const switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  await assert.rejects(drive(scriptedConnection([switching])), MalformedResponseError);
  assert.equal((await drive(scriptedConnection([switching]), true)).head.status, 101);
});
