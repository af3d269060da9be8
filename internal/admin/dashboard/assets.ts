/**
 * The dashboard's static files, keyed by URL path, for the admin server to serve as they are.
 * No build step and nothing fetched from elsewhere: HTML, script, style sheet and icon are
 * strings in this folder.
 *
 * The page needs, from the same origin: `GET /api/events` (Server-Sent Events, also with the
 * token as `?access_token=`), `GET /api/status`, and `POST`/`PATCH`/`DELETE` on
 * `/api/upstreams`. It runs under `Content-Security-Policy: default-src 'self'` (no inline
 * script, style or event handler).
 *
 * @module
 */

import { FAVICON_SVG } from "./favicon_svg.ts";
import { PAGE_CSS } from "./page_css.ts";
import { PAGE_HTML } from "./page_html.ts";
import { PAGE_JS } from "./page_js.ts";

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
  ["/", { contentType: "text/html; charset=utf-8", body: PAGE_HTML }],
  ["/dashboard.js", { contentType: "text/javascript; charset=utf-8", body: PAGE_JS }],
  ["/dashboard.css", { contentType: "text/css; charset=utf-8", body: PAGE_CSS }],
  ["/favicon.svg", { contentType: "image/svg+xml", body: FAVICON_SVG }],
]);
