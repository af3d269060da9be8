import assert from "node:assert/strict";
import { Http1Connection } from "./connection.ts";
import { ConnectionPool } from "./connection_pool.ts";

/** A connection whose pending read waits until `hangUp()` (end of stream) or `close()`. */
function idleConnection(key = "http://a") {
  const pending = Promise.withResolvers<number | null>();
  let closed = false;
  const conn = {
    read: () => pending.promise,
    close() {
      closed = true;
      pending.reject(new Deno.errors.BadResource("closed"));
    },
  } as unknown as Deno.Conn;
  pending.promise.catch(() => {});
  return {
    connection: new Http1Connection(conn, key, 64),
    hangUp: () => pending.resolve(null),
    get closed() {
      return closed;
    },
  };
}

Deno.test("connection pool: most recently used first, at most maxIdlePerUpstream kept", () => {
  const pool = new ConnectionPool({ maxIdlePerUpstream: 2, idleTimeoutMs: 60_000 });
  try {
    const [a, b, c] = [idleConnection(), idleConnection(), idleConnection()];
    pool.put(a.connection);
    pool.put(b.connection);
    pool.put(c.connection);
    assert.equal(c.closed, true, "the third is closed: the list is full");
    assert.equal(pool.idle, 2);
    assert.equal(pool.take("http://a"), b.connection);
    assert.equal(pool.take("http://a"), a.connection);
    assert.equal(pool.take("http://a"), undefined);
    assert.equal(pool.take("http://other"), undefined);
  } finally {
    pool.close();
  }
});

Deno.test("connection pool: an idle connection the upstream closes is evicted", async () => {
  const pool = new ConnectionPool();
  try {
    const a = idleConnection();
    pool.put(a.connection);
    a.hangUp();
    for (let i = 0; i < 10 && pool.idle > 0; i++) await Promise.resolve();
    assert.equal(pool.idle, 0);
    assert.equal(a.closed, true);
  } finally {
    pool.close();
  }
});

Deno.test("connection pool: close() closes idle connections, later ones are closed on put", () => {
  const pool = new ConnectionPool();
  const [a, b] = [idleConnection(), idleConnection("http://b")];
  pool.put(a.connection);
  pool.close();
  assert.equal(a.closed, true);
  pool.put(b.connection);
  assert.equal(b.closed, true);
  assert.equal(pool.idle, 0);
});
