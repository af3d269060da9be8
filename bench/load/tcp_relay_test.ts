import assert from "node:assert/strict";
import { serveTcpRelay } from "./tcp_relay.ts";

function upstream(name: string): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => new Response(`${name} ${request.method} ${(await request.text()).length}\n`),
  );
}

Deno.test("tcp relay: bytes go through both ways; each client connection gets the next upstream", async () => {
  await using a = upstream("a");
  await using b = upstream("b");
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const relaying = serveTcpRelay(listener, [a.addr.port, b.addr.port]);
  const url = `http://127.0.0.1:${listener.addr.port}/`;
  const answers: string[] = [];
  try {
    for (let connection = 0; connection < 2; connection++) {
      using client = Deno.createHttpClient({ poolMaxIdlePerHost: 1 });
      answers.push(await (await fetch(url, { client })).text());
      const body = new Uint8Array(300_000).fill(97);
      answers.push(await (await fetch(url, { client, method: "POST", body })).text());
    }
  } finally {
    listener.close();
    await relaying;
  }
  assert.deepEqual(answers, ["a GET 0\n", "a POST 300000\n", "b GET 0\n", "b POST 300000\n"]);
});
