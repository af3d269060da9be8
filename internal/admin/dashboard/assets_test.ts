import assert from "node:assert/strict";
import { DASHBOARD_ASSETS } from "./assets.ts";

function asset(path: string): { contentType: string; body: string } {
  const found = DASHBOARD_ASSETS.get(path);
  assert.ok(found, `no dashboard asset at ${path}`);
  return found;
}

Deno.test("dashboard assets: the page and every file it links to are served with a type", () => {
  const html = asset("/").body;
  assert.match(asset("/").contentType, /^text\/html; charset=utf-8$/);
  const linked = [...html.matchAll(/\s(?:src|href)="(\/[^"]*)"/g)].map((m) => m[1]!);
  assert.deepEqual(linked.sort(), ["/dashboard.css", "/dashboard.js", "/favicon.svg"]);
  for (const path of linked) assert.ok(asset(path).body.length > 0, path);
  assert.match(asset("/dashboard.js").contentType, /^text\/javascript/);
  assert.match(asset("/dashboard.css").contentType, /^text\/css/);
  assert.equal(asset("/favicon.svg").contentType, "image/svg+xml");
});

Deno.test("dashboard assets: the page runs under default-src 'self' (nothing inline)", () => {
  const html = asset("/").body;
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, "inline <script>");
  assert.doesNotMatch(html, /<style/, "inline <style>");
  assert.doesNotMatch(html, /\sstyle=/, "style attribute");
  assert.doesNotMatch(html, /\son[a-z]+=/, "inline event handler");
  for (const [, url] of html.matchAll(/\s(?:src|href|action)="([^"]*)"/g)) {
    assert.match(url!, /^[/#]/, `a link off the admin origin: ${url}`);
  }
  assert.doesNotMatch(asset("/dashboard.css").body, /@import|url\(/, "external CSS resource");
  assert.doesNotMatch(asset("/dashboard.js").body, /setAttribute\("style"|\.innerHTML\s*=/);
});

Deno.test("dashboard assets: the script is valid JavaScript as served", () => {
  // Parsing catches escapes that a TypeScript template literal would have changed.
  assert.doesNotThrow(() => new Function(asset("/dashboard.js").body));
});

Deno.test("dashboard assets: every element id the script looks up exists in the page", () => {
  const html = asset("/").body;
  const js = asset("/dashboard.js").body;
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
  const wanted = new Set([...js.matchAll(/byId\("([^"]+)"\)/g)].map((m) => m[1]!));
  for (const match of js.matchAll(/(?:svg|now|summary): "([^"]+)"/g)) wanted.add(match[1]!);
  assert.ok(wanted.size > 20, "the script's lookups were found");
  const missing = [...wanted].filter((id) => !ids.has(id));
  assert.deepEqual(missing, []);
});
