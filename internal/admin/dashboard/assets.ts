/**
 * The dashboard's static files, keyed by URL path, for the admin server to serve as they are.
 * No build step and nothing fetched from elsewhere: `index.html`, `app.js`, `style.css` and
 * `favicon.svg` in this folder, imported as text (`with { type: "text" }`), so `deno fmt`,
 * `deno lint` and `deno check` (`app.js` is `// @ts-check` with JSDoc types) cover them and
 * `deno compile` embeds them.
 *
 * The page needs, from the same origin: `GET /api/events` (Server-Sent Events, also with the
 * token as `?access_token=`), `GET /api/status`, and `POST`/`PATCH`/`DELETE` on
 * `/api/upstreams` and `/api/pools/{pool}/upstreams`. It runs under
 * `Content-Security-Policy: default-src 'self'` (no inline script, style or event handler).
 *
 * @module
 */

import APP_JS from "./app.js" with { type: "text" };
import FAVICON_SVG from "./favicon.svg" with { type: "text" };
import INDEX_HTML from "./index.html" with { type: "text" };
import STYLE_CSS from "./style.css" with { type: "text" };

/** One static file of the dashboard. */
export interface DashboardAsset {
  /** Value of the `Content-Type` header. */
  contentType: string;
  /** The file's text. */
  body: string;
}

/**
 * The dashboard files by path: `/` (the page), `/dashboard.js`, `/dashboard.css`,
 * `/favicon.svg`.
 *
 * @example
 * ```ts
 * import { DASHBOARD_ASSETS } from "./assets.ts";
 * const asset = DASHBOARD_ASSETS.get("/");
 * if (asset) new Response(asset.body, { headers: { "content-type": asset.contentType } });
 * ```
 */
export const DASHBOARD_ASSETS: ReadonlyMap<string, DashboardAsset> = new Map([
  ["/", { contentType: "text/html; charset=utf-8", body: INDEX_HTML }],
  ["/dashboard.js", { contentType: "text/javascript; charset=utf-8", body: APP_JS }],
  ["/dashboard.css", { contentType: "text/css; charset=utf-8", body: STYLE_CSS }],
  ["/favicon.svg", { contentType: "image/svg+xml", body: FAVICON_SVG }],
]);
