/**
 * A WebSocket echo upstream in its own process, for tests/websocket_test.ts to kill mid-session.
 * Prints its port on one line, then echoes every message.
 *
 * Usage: deno run --allow-net ws_echo.ts
 *
 * @module
 */

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("not a websocket");
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.onmessage = (event) => socket.send(event.data);
  return response;
});
await Deno.stdout.write(new TextEncoder().encode(`${server.addr.port}\n`));
await server.finished;
