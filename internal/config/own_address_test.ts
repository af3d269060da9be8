import assert from "node:assert/strict";
import { ownListenerMessage, ownListenerReached } from "./own_address.ts";

const proxy = { what: "the proxy", host: "0.0.0.0", port: 8080 };
const admin = { what: "the admin server", host: "127.0.0.1", port: 8090 };

Deno.test("ownListenerReached: a wildcard listener is reached by any local address", () => {
  for (
    const url of [
      "http://127.0.0.1:8080",
      "http://localhost:8080",
      "http://[::1]:8080",
      "http://0.0.0.0:8080",
    ]
  ) {
    assert.equal(ownListenerReached(url, [proxy, admin]), proxy, url);
  }
  assert.equal(ownListenerReached("http://10.1.2.3:8080", [proxy], ["10.1.2.3"]), proxy);
  assert.equal(ownListenerReached("http://10.1.2.3:8080", [proxy]), undefined, "not ours");
  assert.equal(ownListenerReached("http://127.0.0.1:8081", [proxy]), undefined, "another port");
});

Deno.test("ownListenerReached: a loopback listener by its address or localhost only", () => {
  assert.equal(ownListenerReached("http://127.0.0.1:8090", [admin]), admin);
  assert.equal(ownListenerReached("http://localhost:8090", [admin]), admin);
  assert.equal(ownListenerReached("http://127.0.0.2:8090", [admin]), undefined);
  assert.equal(ownListenerReached("http://127.0.0.1:80", [{ ...admin, port: 80 }])?.port, 80);
  assert.equal(ownListenerReached("http://127.0.0.1", [{ ...admin, port: 80 }])?.port, 80);
  assert.equal(ownListenerReached("http://127.0.0.1:8090", [{ ...admin, port: 0 }]), undefined);
});

Deno.test("ownListenerMessage names the listener and says why", () => {
  assert.equal(
    ownListenerMessage("http://127.0.0.1:8090", admin),
    "http://127.0.0.1:8090 is Sluice's own admin server (listening on 127.0.0.1:8090): an " +
      "upstream must be another server",
  );
});
