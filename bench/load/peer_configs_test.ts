import assert from "node:assert/strict";
import { findBinary } from "./binaries.ts";
import { caddyConfig } from "./caddy_config.ts";
import { haproxyConfig } from "./haproxy_config.ts";
import { nginxProxyConfig, nginxUpstreamsConfig } from "./nginx_config.ts";

const UPSTREAMS = [40001, 40002, 40003];

/** Runs a program's own config check; returns its output when it refuses. */
async function check(command: string, args: string[]): Promise<string | undefined> {
  const out = await new Deno.Command(command, { args, stdin: "null" }).output();
  if (out.success) return undefined;
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test("nginx configs name every upstream and keep-alive; nginx -t accepts them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
  try {
    const upstreams = nginxUpstreamsConfig(dir, UPSTREAMS);
    for (const port of UPSTREAMS) assert.ok(upstreams.includes(`listen 127.0.0.1:${port};`));
    assert.ok(upstreams.includes(`return 200 "hello\\n";`));
    const proxy = nginxProxyConfig(dir, 40000, UPSTREAMS);
    for (const port of UPSTREAMS) assert.ok(proxy.includes(`server 127.0.0.1:${port};`));
    assert.match(proxy, /keepalive 64;/);
    assert.match(proxy, /worker_processes 1;/);
    const nginx = findBinary("nginx");
    if (!nginx) return; // the template checks above still ran
    for (const [name, text] of [["upstreams", upstreams], ["proxy", proxy]] as const) {
      await Deno.writeTextFile(`${dir}/${name}.conf`, text);
      const refused = await check(nginx, [
        "-t",
        "-q",
        "-e",
        `${dir}/${name}.test.log`,
        "-p",
        dir,
        "-c",
        `${dir}/${name}.conf`,
      ]);
      assert.equal(refused, undefined, `nginx -t refused the ${name} config`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("haproxy config: 1 thread, every upstream checked; haproxy -c accepts it", async () => {
  const text = haproxyConfig(40000, UPSTREAMS);
  assert.match(text, /nbthread 1/);
  assert.match(text, /bind 127\.0\.0\.1:40000/);
  assert.equal(text.match(/check inter 10s/g)?.length, 3);
  const haproxy = findBinary("haproxy");
  if (!haproxy) return;
  const file = await Deno.makeTempFile({ suffix: ".cfg" });
  try {
    await Deno.writeTextFile(file, text);
    assert.equal(await check(haproxy, ["-c", "-q", "-f", file]), undefined);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("caddy config: round robin to every upstream, admin off; caddy validate accepts it", async () => {
  const config = caddyConfig(40000, UPSTREAMS);
  const text = JSON.stringify(config);
  for (const port of UPSTREAMS) assert.ok(text.includes(`"dial":"127.0.0.1:${port}"`));
  assert.ok(text.includes(`"admin":{"disabled":true}`));
  const caddy = findBinary("caddy");
  if (!caddy) return;
  const dir = await Deno.makeTempDir({ prefix: "sluice-bench-test-" });
  try {
    await Deno.writeTextFile(`${dir}/caddy.json`, text);
    const refused = await new Deno.Command(caddy, {
      args: ["validate", "--config", `${dir}/caddy.json`],
      env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      stdin: "null",
    }).output();
    assert.ok(refused.success, new TextDecoder().decode(refused.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
