/**
 * The dashboard's client script (`GET /dashboard.js`): plain ES2022, no framework, no build
 * step, type-checked by `deno check` from its JSDoc. It renders the live `GET /api/events`
 * stream (see `../views.ts` for the shapes): upstreams grouped by pool with per-pool totals,
 * and the route table with hit counts; and it sends the operator's changes to
 * `/api/upstreams` (the pool `default`) and `/api/pools/{pool}/upstreams`.
 *
 * @module
 */
// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
"use strict";

/**
 * The JSON shapes of `internal/admin/views.ts`, as the page reads them.
 * @typedef {"up" | "down" | "unknown"} HealthState
 * @typedef {"ready" | "draining" | "maintenance"} AdminState
 * @typedef {{ ok: boolean, latencyMs: number, at: string, detail: string }} CheckView
 * @typedef {{
 *   id: string,
 *   name: string,
 *   url: string,
 *   weight: number,
 *   health: { state: HealthState, lastCheck: CheckView | null },
 *   admin: AdminState,
 *   ejectedUntil: string | null,
 *   available: boolean,
 *   inFlight: number,
 *   requestsTotal: number,
 *   failuresTotal: number,
 *   rps: number,
 *   p50Ms: number | null,
 *   p99Ms: number | null,
 *   errorRate: number,
 *   pool?: string,
 * }} UpstreamView An upstream; `pool` is added by the page.
 * @typedef {{ upstreams: number, available: number, inFlight: number, rps: number }} PoolTotals
 * @typedef {{ name: string, strategy: string, totals: PoolTotals, upstreams: UpstreamView[] }}
 *   PoolView
 * @typedef {{ name: string, strategy: string, totals: PoolTotals }} PoolSummary
 * @typedef {{ name: string, match: string, target: string, pool: string | null, hits: number }}
 *   RouteView
 * @typedef {{
 *   version: string,
 *   startedAt: string,
 *   uptimeSeconds: number,
 *   strategy: string,
 *   ready: boolean,
 *   shuttingDown: boolean,
 *   upstreams: { total: number, available: number },
 *   totals: { requests: number, errors: number, inFlight: number, retries: number },
 *   clients?: { listener: string, connections: number, refused: number, tunnels: number },
 *   tlsCertificateExpiresAt?: string | null,
 *   rps: number,
 *   p99Ms: number | null,
 * }} StatusView
 * @typedef {{
 *   status: StatusView,
 *   upstreams: UpstreamView[],
 *   pools?: PoolView[],
 *   routes?: RouteView[],
 *   at?: string,
 * }} StreamData A `snapshot` or `stats` event.
 * @typedef {{
 *   type: string,
 *   at: string,
 *   pool?: string,
 *   upstream: UpstreamView,
 *   from?: string | number,
 *   to?: string | number,
 * }} UpstreamEvent
 * @typedef {{ t: number, rps: number, p99: number | null }} HistoryPoint
 * @typedef {"connecting" | "live" | "reconnecting" | "stale" | "offline"} Connection
 * @typedef {{ button: HTMLElement, nameSpan: HTMLElement, state: AdminState }} StateButton
 * @typedef {{
 *   row: HTMLElement,
 *   id: string,
 *   view: UpstreamView,
 *   name: HTMLElement,
 *   url: HTMLElement,
 *   idText: HTMLElement,
 *   health: HTMLElement,
 *   check: HTMLElement,
 *   checkAge: HTMLElement,
 *   admin: HTMLElement,
 *   serving: HTMLElement,
 *   inFlight: HTMLElement,
 *   rps: HTMLElement,
 *   p50: HTMLElement,
 *   p99: HTMLElement,
 *   errorRate: HTMLElement,
 *   errorCounts: HTMLElement,
 *   weightInput: HTMLInputElement,
 *   weightLabel: HTMLElement,
 *   weightButton: HTMLElement,
 *   weightButtonName: HTMLElement,
 *   weightDirty: boolean,
 *   group: HTMLElement,
 *   stateButtons: StateButton[],
 *   removeName: HTMLElement,
 *   removeButton: HTMLElement,
 * }} Row The elements of one upstream's row.
 */

// ---------------------------------------------------------------------------------------------
// Constants and state
// ---------------------------------------------------------------------------------------------

const TOKEN_KEY = "sluice.adminToken";
const HISTORY_MS = 5 * 60 * 1000;
const GAP_MS = 3500; // a longer hole between two ticks breaks the chart line
const LOG_CAP = 50;
const STALE_MS = 5000;
const SVG_NS = "http://www.w3.org/2000/svg";

/** @type {Record<HealthState, string>} */
const HEALTH_LABEL = { up: "Up", down: "Down", unknown: "Unknown" };
/** @type {Record<AdminState, string>} */
const ADMIN_LABEL = { ready: "Ready", draining: "Draining", maintenance: "Maintenance" };
/** @type {{ state: AdminState, label: string, done: string }[]} */
const ADMIN_ACTIONS = [
  { state: "ready", label: "Ready", done: "ready: takes traffic" },
  { state: "draining", label: "Drain", done: "draining: no new requests, in-flight ones finish" },
  { state: "maintenance", label: "Maintenance", done: "in maintenance: takes no traffic" },
];

/**
 * @type {{
 *   status: StatusView | null,
 *   statusReceivedAt: number,
 *   clockOffsetMs: number,
 *   lastDataAt: number,
 *   hasStreamData: boolean,
 *   connection: Connection,
 *   upstreams: Map<string, UpstreamView>,
 *   pools: PoolSummary[],
 *   poolRows: Map<string, HTMLElement>,
 *   rows: Map<string, Row>,
 *   removing: Set<string>,
 *   history: HistoryPoint[],
 * }}
 */
const state = {
  status: null,
  statusReceivedAt: 0, // local ms when the status arrived (uptime ticks on from there)
  clockOffsetMs: 0, // server clock minus local clock, from the stats ticks
  lastDataAt: 0, // local ms of the latest event
  hasStreamData: false,
  connection: "connecting",
  upstreams: new Map(), // id -> UpstreamView (with its pool's name as `pool`)
  pools: [], // PoolView without upstreams, in configuration order
  poolRows: new Map(), // pool name -> its header row in the table
  rows: new Map(), // id -> row record
  removing: new Set(), // ids with a DELETE accepted, until the "removed" event
  history: [], // { t, rps, p99 } per stats tick, server time
};

/**
 * The page's element with this id.
 * @param {string} id
 * @returns {HTMLElement}
 * @throws {Error} when the page has none (a mismatch between the page and the script).
 */
function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error("the page has no element #" + id);
  return node;
}

/**
 * The page's element with this id, of this type.
 * @template {Element} T
 * @param {string} id
 * @param {{ new (): T, prototype: T }} type e.g. `HTMLInputElement`.
 * @returns {T}
 * @throws {Error} when the page has none, or another kind of element.
 */
function byIdAs(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error("#" + id + " is not a " + type.name);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

const integerFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** @param {number} n */
function fmtInt(n) {
  return integerFormat.format(n);
}

/** @param {number | null | undefined} n requests per second */
function fmtRps(n) {
  if (n === null || n === undefined) return "—";
  if (n === 0) return "0";
  if (n < 10) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return fmtInt(Math.round(n));
}

/** @param {number | null | undefined} ms */
function fmtMs(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1) return ms.toFixed(2) + " ms";
  if (ms < 10) return ms.toFixed(1) + " ms";
  if (ms < 1000) return Math.round(ms) + " ms";
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
}

/** @param {number} ratio 0–1 */
function fmtPct(ratio) {
  if (ratio === 0) return "0%";
  if (ratio < 0.001) return "<0.1%";
  return (ratio * 100).toFixed(ratio < 0.1 ? 1 : 0) + "%";
}

/** @param {number} seconds */
function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return d + "d " + h + "h";
  if (h > 0) return h + "h " + m + "m";
  if (m > 0) return m + "m " + (s % 60) + "s";
  return s + "s";
}

/** @param {number} ms */
function fmtAgo(ms) {
  if (ms < 1500) return "just now";
  const s = Math.round(ms / 1000);
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

/** @param {string} iso */
function fmtClock(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  /** @param {number} n */
  const pad = (n) => String(n).padStart(2, "0");
  return pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
}

function serverNow() {
  return Date.now() + state.clockOffsetMs;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------------

/**
 * Creates an element: attrs (class, text, data-*, aria-*, anything else) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | null | undefined>} [attrs]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = String(value);
    else if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/**
 * Creates an SVG element with attributes (`text` sets its text).
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @returns {SVGElement}
 */
function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  return node;
}

/**
 * Sets text only when it changed, so screen readers and selections are not disturbed.
 * @param {Node | null | undefined} node
 * @param {string} text
 */
function setText(node, text) {
  if (!node) return;
  if (node.textContent !== text) node.textContent = text;
}

/**
 * @param {Element} node
 * @param {string} name
 * @param {string} value
 */
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** @param {string} text */
function visuallyHidden(text) {
  return el("span", { class: "visually-hidden", text });
}

// ---------------------------------------------------------------------------------------------
// Messages (aria-live regions)
// ---------------------------------------------------------------------------------------------

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/** @param {string} text */
function notify(text) {
  const notice = byId("notice");
  clearTimeout(noticeTimer);
  notice.textContent = text;
  noticeTimer = setTimeout(() => {
    notice.textContent = "";
  }, 10000);
}

/**
 * @param {string} what
 * @param {unknown} error
 */
function showError(what, error) {
  const alert = byId("alert");
  const detail = error instanceof ApiError
    ? error.describe()
    : error instanceof Error
    ? error.message
    : String(error);
  const dismiss = el("button", { type: "button", class: "btn btn-quiet", text: "Dismiss" });
  dismiss.addEventListener("click", () => {
    alert.replaceChildren();
  });
  alert.replaceChildren(
    el("p", {}, el("strong", { text: what + ": " }), detail),
    dismiss,
  );
}

function clearError() {
  byId("alert").replaceChildren();
}

// ---------------------------------------------------------------------------------------------
// Admin token (asked for on a 401, kept in sessionStorage)
// ---------------------------------------------------------------------------------------------

/** @type {string | null} */
let memoryToken = null; // used when sessionStorage is not available

function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return memoryToken;
  }
}

/** @param {string | null} token */
function setToken(token) {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    memoryToken = token;
  }
  byId("forget-token").hidden = token === null;
}

/**
 * While the token dialog is open: its answer, and where the focus goes back to.
 * @type {{
 *   promise: Promise<string | null>,
 *   resolve: (token: string | null) => void,
 *   returnFocus: Element | null,
 * } | null}
 */
let tokenRequest = null;

/**
 * Opens the token dialog; resolves with the token, or null when the user cancels.
 * @param {string} reason
 * @returns {Promise<string | null>}
 */
function askForToken(reason) {
  if (tokenRequest) return tokenRequest.promise;
  const dialog = byIdAs("token-dialog", HTMLDialogElement);
  /** @type {(token: string | null) => void} */
  let resolve = () => {};
  /** @type {Promise<string | null>} */
  const promise = new Promise((r) => {
    resolve = r;
  });
  tokenRequest = { promise, resolve, returnFocus: document.activeElement };
  byId("token-reason").textContent = reason;
  byId("token-error").textContent = "";
  const input = byIdAs("token-input", HTMLInputElement);
  input.value = "";
  dialog.showModal();
  input.focus();
  return promise;
}

/** @param {string | null} token */
function finishTokenRequest(token) {
  const request = tokenRequest;
  if (!request) return;
  tokenRequest = null;
  const dialog = byIdAs("token-dialog", HTMLDialogElement);
  if (dialog.open) dialog.close();
  if (token !== null) setToken(token);
  const back = request.returnFocus;
  if (back instanceof HTMLElement && back.isConnected) back.focus();
  request.resolve(token);
}

function setUpTokenDialog() {
  const dialog = byId("token-dialog");
  byId("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = byIdAs("token-input", HTMLInputElement).value.trim();
    if (token === "") {
      byId("token-error").textContent = "Enter the token, or cancel.";
      byId("token-input").focus();
      return;
    }
    finishTokenRequest(token);
  });
  byId("token-cancel").addEventListener("click", () => finishTokenRequest(null));
  // Escape closes a modal dialog by itself; treat it as cancel.
  dialog.addEventListener("close", () => finishTokenRequest(null));
  byId("forget-token").addEventListener("click", () => {
    setToken(null);
    notify("Admin token forgotten for this tab.");
    reconnect();
  });
  byId("forget-token").hidden = getToken() === null;
}

// ---------------------------------------------------------------------------------------------
// API client (RFC 9457 problem details on errors)
// ---------------------------------------------------------------------------------------------

/** A refusal of the admin API (RFC 9457 problem), or a failure to reach it (status 0). */
class ApiError extends Error {
  /**
   * @param {number} status the HTTP status, 0 when there was no answer.
   * @param {string} title
   * @param {string} detail
   */
  constructor(status, title, detail) {
    super(title + (detail ? ": " + detail : ""));
    this.name = "ApiError";
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  describe() {
    const head = this.status ? this.title + " (" + this.status + ")" : this.title;
    return this.detail ? head + ": " + this.detail : head;
  }
}

/**
 * @param {Response} response
 * @returns {Promise<ApiError>}
 */
async function readProblem(response) {
  const type = response.headers.get("content-type") || "";
  let title = response.statusText || "HTTP " + response.status;
  let detail = "";
  try {
    if (type.includes("json")) {
      const problem = await response.json();
      if (problem && typeof problem.title === "string") title = problem.title;
      if (problem && typeof problem.detail === "string") detail = problem.detail;
    } else {
      detail = (await response.text()).trim().slice(0, 300);
    }
  } catch {
    // an unreadable body leaves the status line as the message
  }
  return new ApiError(response.status, title, detail);
}

/**
 * Sends one admin API request. On a 401 it asks for the token and tries again with it, until
 * the server accepts or the user cancels.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON.
 * @returns {Promise<any>} the JSON answer, `null` when there is none.
 * @throws {ApiError} when the server refuses, or cannot be reached.
 */
async function api(method, path, body) {
  for (;;) {
    /** @type {Record<string, string>} */
    const headers = { accept: "application/json, application/problem+json" };
    // Every change says JSON, DELETE too: the admin server refuses other changes (CSRF guard).
    if (body !== undefined || method !== "GET") headers["content-type"] = "application/json";
    const token = getToken();
    if (token !== null) headers.authorization = "Bearer " + token;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        cache: "no-store",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiError(
        0,
        "Admin server unreachable",
        error instanceof Error ? error.message : String(error),
      );
    }
    if (response.status === 401) {
      const problem = await readProblem(response);
      const reason = token === null
        ? "This action needs the admin token. (" + problem.describe() + ")"
        : "The saved token was not accepted. (" + problem.describe() + ")";
      if (token !== null) setToken(null);
      const entered = await askForToken(reason);
      if (entered === null) throw problem;
      continue;
    }
    if (!response.ok) throw await readProblem(response);
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? await response.json() : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Summary header
// ---------------------------------------------------------------------------------------------

/** @param {StatusView} status */
function applyStatus(status) {
  state.status = status;
  state.statusReceivedAt = Date.now();
  renderStatus();
}

function renderStatus() {
  const s = state.status;
  if (!s) return;
  setText(byId("version"), "v" + s.version);
  const ready = byId("s-ready");
  const readiness = s.shuttingDown ? "stopping" : s.ready ? "ready" : "not-ready";
  setAttr(ready, "data-state", readiness);
  setText(ready, s.shuttingDown ? "Shutting down" : s.ready ? "Ready" : "Not ready");
  renderUptime();
  setText(byId("s-strategy"), s.strategy);
  setText(byId("s-available"), s.upstreams.available + " / " + s.upstreams.total);
  setText(byId("s-rps"), fmtRps(s.rps));
  setText(byId("s-p99"), fmtMs(s.p99Ms));
  setText(byId("s-inflight"), fmtInt(s.totals.inFlight));
  setText(byId("s-requests"), fmtInt(s.totals.requests));
  const errors = byId("s-errors");
  setText(errors, fmtInt(s.totals.errors));
  setAttr(errors, "data-level", s.totals.errors > 0 ? "warn" : "ok");
  setText(byId("s-retries"), fmtInt(s.totals.retries));
  if (s.clients) {
    const listening = s.clients.listener === "http1";
    setText(byId("s-connections"), listening ? fmtInt(s.clients.connections) : "n/a (serve)");
    const refused = byId("s-refused");
    setText(refused, listening ? fmtInt(s.clients.refused) : "n/a (serve)");
    setAttr(refused, "data-level", s.clients.refused > 0 ? "warn" : "ok");
    setText(byId("s-tunnels"), listening ? fmtInt(s.clients.tunnels) : "n/a (serve)");
  }
  const tls = byId("s-tls");
  if (s.tlsCertificateExpiresAt) {
    const days = Math.floor((Date.parse(s.tlsCertificateExpiresAt) - Date.now()) / 86_400_000);
    setText(tls, s.tlsCertificateExpiresAt.slice(0, 10) + " (" + days + " d)");
    setAttr(tls, "data-level", days < 14 ? "warn" : "ok");
  } else {
    setText(tls, "no TLS");
    setAttr(tls, "data-level", "ok");
  }
  document.title = "Sluice · " + s.upstreams.available + "/" + s.upstreams.total + " available";
}

function renderUptime() {
  const s = state.status;
  if (!s) return;
  const seconds = s.uptimeSeconds + (Date.now() - state.statusReceivedAt) / 1000;
  setText(byId("s-uptime"), fmtDuration(seconds));
}

// ---------------------------------------------------------------------------------------------
// Upstream rows
// ---------------------------------------------------------------------------------------------

/**
 * @param {string} key
 * @param {string} label
 */
function cell(key, label) {
  return el("td", { class: "c-" + key, "data-label": label, role: "cell" });
}

/**
 * @param {UpstreamView} view
 * @returns {Row}
 */
function createRow(view) {
  const id = view.id;
  const weightId = "weight-" + id;
  /** @type {Row} */
  const rec = {
    row: el("tr", { "data-id": id, role: "row" }),
    id,
    view,
    name: el("span", { class: "u-name" }),
    url: el("span", { class: "u-url" }),
    idText: el("span", { class: "u-id" }),
    health: el("span", { class: "badge" }),
    check: el("span", { class: "sub" }),
    checkAge: el("span", { class: "sub" }),
    admin: el("span", { class: "badge" }),
    serving: el("span", { class: "sub" }),
    inFlight: cell("inflight", "In flight"),
    rps: cell("rps", "Req/s"),
    p50: cell("p50", "p50"),
    p99: cell("p99", "p99"),
    errorRate: el("span", { class: "err-rate" }),
    errorCounts: el("span", { class: "sub" }),
    weightInput: el("input", {
      id: weightId,
      type: "number",
      min: "1",
      step: "1",
      inputmode: "numeric",
      required: true,
      class: "weight-input",
    }),
    weightLabel: el("label", { for: weightId, class: "visually-hidden" }),
    weightButton: el("button", { type: "submit", class: "btn btn-small" }, "Apply"),
    weightButtonName: visuallyHidden(""),
    weightDirty: false,
    group: el("div", { class: "seg", role: "group" }),
    stateButtons: [],
    removeName: visuallyHidden(""),
    removeButton: el(
      "button",
      { type: "button", class: "btn btn-small btn-danger-quiet" },
      "Remove",
    ),
  };
  const row = rec.row;

  // Name, URL, id
  row.append(
    el("th", { scope: "row", role: "rowheader", class: "c-name" }, rec.name, rec.url, rec.idText),
  );

  // Health
  const health = cell("health", "Health");
  health.append(rec.health, rec.check, rec.checkAge);
  row.append(health);

  // Admin state
  const admin = cell("state", "State");
  admin.append(rec.admin, rec.serving);
  row.append(admin);

  // Numbers
  for (const td of [rec.inFlight, rec.rps, rec.p50, rec.p99]) td.classList.add("num");
  const errors = cell("errors", "Errors");
  errors.classList.add("num");
  errors.append(rec.errorRate, rec.errorCounts);
  row.append(rec.inFlight, rec.rps, rec.p50, rec.p99, errors);

  // Weight
  rec.weightButton.append(rec.weightButtonName);
  const weightForm = el(
    "form",
    { class: "weight-form", novalidate: true },
    rec.weightLabel,
    rec.weightInput,
    rec.weightButton,
  );
  rec.weightInput.addEventListener("input", () => {
    rec.weightDirty = true;
  });
  rec.weightInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && rec.weightDirty) {
      rec.weightDirty = false;
      rec.weightInput.value = String(rec.view.weight);
    }
  });
  weightForm.addEventListener("submit", (event) => {
    event.preventDefault();
    setWeight(rec);
  });
  const weight = cell("weight", "Weight");
  weight.append(weightForm);
  row.append(weight);

  // Actions
  for (const action of ADMIN_ACTIONS) {
    const nameSpan = visuallyHidden("");
    const button = el(
      "button",
      { type: "button", class: "btn btn-seg", "data-state": action.state, "aria-pressed": "false" },
      action.label,
      nameSpan,
    );
    button.addEventListener("click", () => setAdminState(rec, action.state));
    rec.group.append(button);
    rec.stateButtons.push({ button, nameSpan, state: action.state });
  }
  rec.removeButton.append(rec.removeName);
  rec.removeButton.addEventListener("click", () => confirmRemove(rec));
  const actions = cell("actions", "Actions");
  actions.append(el("div", { class: "actions" }, rec.group, rec.removeButton));
  row.append(actions);

  return rec;
}

/**
 * @param {Row} rec
 * @param {UpstreamView} view
 */
function updateRow(rec, view) {
  rec.view = view;
  const removing = state.removing.has(view.id);
  setAttr(rec.row, "data-url", view.url);
  setAttr(rec.row, "data-health", view.health.state);
  setAttr(rec.row, "data-admin", view.admin);
  setAttr(rec.row, "data-available", String(view.available));
  rec.row.classList.toggle("is-removing", removing);

  setText(rec.name, view.name);
  setText(rec.url, view.url);
  setText(rec.idText, "id " + view.id);

  setAttr(rec.health, "data-state", view.health.state);
  setText(rec.health, HEALTH_LABEL[view.health.state] || view.health.state);
  renderCheck(rec);

  setAttr(rec.admin, "data-state", removing ? "removing" : view.admin);
  setText(rec.admin, removing ? "Removing" : ADMIN_LABEL[view.admin] || view.admin);
  setText(rec.serving, servingText(view, removing));

  setText(rec.inFlight, fmtInt(view.inFlight));
  setText(rec.rps, fmtRps(view.rps));
  setText(rec.p50, fmtMs(view.p50Ms));
  setText(rec.p99, fmtMs(view.p99Ms));
  setText(rec.errorRate, fmtPct(view.errorRate));
  setAttr(
    rec.errorRate,
    "data-level",
    view.errorRate >= 0.05 ? "bad" : view.errorRate >= 0.01 ? "warn" : "ok",
  );
  setText(rec.errorCounts, fmtInt(view.failuresTotal) + " failed / " + fmtInt(view.requestsTotal));

  setText(rec.weightLabel, "Weight of " + view.name);
  setText(rec.weightButtonName, " weight of " + view.name);
  if (!rec.weightDirty && document.activeElement !== rec.weightInput) {
    if (rec.weightInput.value !== String(view.weight)) rec.weightInput.value = String(view.weight);
  }

  setAttr(rec.group, "aria-label", "Admin state of " + view.name);
  for (const { button, nameSpan, state: s } of rec.stateButtons) {
    setAttr(button, "aria-pressed", String(view.admin === s));
    setText(nameSpan, " " + view.name);
  }
  setText(rec.removeName, " " + view.name);
}

/**
 * @param {UpstreamView} view
 * @param {boolean} removing
 */
function servingText(view, removing) {
  if (removing) return "leaves after draining";
  if (view.available) return "serving";
  if (view.admin === "draining") {
    return view.inFlight > 0 ? "finishing " + view.inFlight + " request(s)" : "no new requests";
  }
  if (view.admin === "maintenance") return "not serving";
  if (view.health.state === "down") return "not serving: health down";
  if (view.health.state === "unknown") return "waiting for a check";
  return "not serving";
}

/** @param {Row} rec */
function renderCheck(rec) {
  const check = rec.view.health.lastCheck;
  if (!check) {
    setText(rec.check, "not checked yet");
    setText(rec.checkAge, "");
    rec.check.removeAttribute("data-ok");
    return;
  }
  setText(rec.check, (check.ok ? "✓ " : "✗ ") + check.detail + " · " + fmtMs(check.latencyMs));
  setAttr(rec.check, "data-ok", String(check.ok));
  setText(rec.checkAge, "checked " + fmtAgo(serverNow() - Date.parse(check.at)));
  setAttr(
    rec.checkAge,
    "title",
    "Last check " + (check.ok ? "passed" : "failed") + " at " + check.at,
  );
}

/**
 * Adds or updates one upstream.
 * @param {UpstreamView} view
 */
function applyUpstream(view) {
  state.upstreams.set(view.id, view);
  let rec = state.rows.get(view.id);
  if (!rec) {
    rec = createRow(view);
    state.rows.set(view.id, rec);
    byId("upstream-rows").append(rec.row);
  }
  updateRow(rec, view);
  renderCount();
}

/** @param {string} id */
function removeUpstream(id) {
  const rec = state.rows.get(id);
  state.upstreams.delete(id);
  state.removing.delete(id);
  if (!rec) return;
  const hadFocus = rec.row.contains(document.activeElement);
  rec.row.remove();
  state.rows.delete(id);
  if (hadFocus) byId("upstreams-heading").focus();
  renderCount();
}

/**
 * Makes the table match the pools of a snapshot or stats event (or, from an older server, its
 * `upstreams` alone): upstreams grouped by pool, a header row with each pool's totals when there
 * is more than one pool, rows and focus kept in place.
 * @param {StreamData} data
 */
function syncPools(data) {
  const pools = Array.isArray(data.pools) ? data.pools : [{
    name: "default",
    strategy: data.status.strategy,
    totals: { upstreams: data.upstreams.length, available: 0, inFlight: 0, rps: 0 },
    upstreams: data.upstreams,
  }];
  state.pools = pools.map((p) => ({ name: p.name, strategy: p.strategy, totals: p.totals }));
  /** @type {UpstreamView[]} */
  const list = [];
  for (const pool of pools) {
    for (const view of pool.upstreams) list.push(Object.assign(view, { pool: pool.name }));
  }
  const ids = new Set(list.map((u) => u.id));
  for (const id of [...state.rows.keys()]) if (!ids.has(id)) removeUpstream(id);
  for (const view of list) applyUpstream(view);
  const grouped = pools.length > 1;
  for (const [name, row] of [...state.poolRows]) {
    if (!grouped || !pools.some((p) => p.name === name)) {
      row.remove();
      state.poolRows.delete(name);
    }
  }
  // The rows in order; reorder only when the order differs: moving a row drops the focus in it.
  /** @type {HTMLElement[]} */
  const order = [];
  for (const pool of pools) {
    if (grouped) order.push(poolRow(pool));
    for (const view of pool.upstreams) {
      const rec = state.rows.get(view.id);
      if (rec) order.push(rec.row);
    }
  }
  const body = byId("upstream-rows");
  let expected = body.firstElementChild;
  for (const row of order) {
    if (row !== expected) body.insertBefore(row, expected);
    else expected = expected.nextElementSibling;
  }
  renderPoolChoice();
  if (Array.isArray(data.routes)) renderRoutes(data.routes, pools.length);
}

/**
 * The header row of a pool: name, strategy and totals.
 * @param {PoolSummary} pool
 * @returns {HTMLElement}
 */
function poolRow(pool) {
  let row = state.poolRows.get(pool.name);
  if (!row) {
    row = el("tr", { class: "pool-row", role: "row", "data-pool": pool.name });
    row.append(el("th", { scope: "rowgroup", role: "rowheader", colspan: "10" }));
    state.poolRows.set(pool.name, row);
  }
  const t = pool.totals;
  const text = "Pool " + pool.name + " · " + pool.strategy.replaceAll("_", " ") + " · " +
    t.available + " of " + t.upstreams + " available · " + fmtInt(t.inFlight) + " in flight · " +
    fmtRps(t.rps) + " req/s";
  setText(row.firstElementChild, text);
  return row;
}

/** The pools the add form may add to (shown when there is more than one). */
function renderPoolChoice() {
  const select = byIdAs("add-pool", HTMLSelectElement);
  const names = state.pools.map((p) => p.name);
  const current = [...select.options].map((o) => o.value);
  if (names.join("\n") !== current.join("\n")) {
    const chosen = select.value;
    select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
    if (names.includes(chosen)) select.value = chosen;
  }
  byId("add-pool-field").hidden = names.length < 2;
}

/**
 * The route table: match → target, with hit counts; shown when there is more than a catch-all.
 * @param {RouteView[]} routes
 * @param {number} poolCount
 */
function renderRoutes(routes, poolCount) {
  const panel = byId("routes-panel");
  panel.hidden = routes.length < 2 && poolCount < 2;
  const body = byId("route-rows");
  const rows = [...body.children];
  routes.forEach((route, index) => {
    let row = rows[index];
    if (!row) {
      row = el(
        "tr",
        { role: "row" },
        el("th", { scope: "row", role: "rowheader", class: "r-name" }),
        el("td", { role: "cell", class: "r-match" }),
        el("td", { role: "cell", class: "r-target" }),
        el("td", { role: "cell", class: "num r-hits" }),
      );
      body.append(row);
    }
    const [name, match, target, hits] = row.children;
    setText(name, route.name);
    setText(match, route.match);
    setText(target, route.target);
    setText(hits, fmtInt(route.hits));
  });
  for (const row of rows.slice(routes.length)) row.remove();
  setText(byId("route-count"), routes.length + (routes.length === 1 ? " route" : " routes"));
}

/**
 * The admin API path of an upstream: under its pool, `/api/upstreams` for `default`.
 * @param {UpstreamView} view
 */
function upstreamPath(view) {
  return poolPath(view.pool || "default") + "/" + encodeURIComponent(view.id);
}

/**
 * The admin API path of a pool's upstreams.
 * @param {string} pool
 */
function poolPath(pool) {
  return pool === "default"
    ? "/api/upstreams"
    : "/api/pools/" + encodeURIComponent(pool) + "/upstreams";
}

function renderCount() {
  const total = state.upstreams.size;
  let available = 0;
  for (const view of state.upstreams.values()) if (view.available) available++;
  setText(byId("upstream-count"), total === 0 ? "" : available + " of " + total + " available");
  byId("no-upstreams").hidden = total !== 0;
  byId("upstreams").hidden = total === 0;
}

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------

/**
 * @param {Row} rec
 * @param {AdminState} target
 */
async function setAdminState(rec, target) {
  const name = rec.view.name;
  const action = ADMIN_ACTIONS.find((a) => a.state === target);
  rec.row.setAttribute("aria-busy", "true");
  try {
    const view = await api("PATCH", upstreamPath(rec.view), { state: target });
    if (view && state.rows.has(view.id)) applyUpstream(view);
    clearError();
    notify(name + " is " + (action ? action.done : target) + ".");
  } catch (error) {
    showError("Could not set " + name + " to " + target, error);
  } finally {
    rec.row.removeAttribute("aria-busy");
  }
}

/** @param {Row} rec */
async function setWeight(rec) {
  const name = rec.view.name;
  const raw = rec.weightInput.value.trim();
  const weight = Number(raw);
  if (raw === "" || !Number.isInteger(weight) || weight < 1) {
    showError(
      "Weight of " + name + " not changed",
      new ApiError(0, "Invalid weight", 'enter a whole number of 1 or more (got "' + raw + '")'),
    );
    rec.weightInput.focus();
    return;
  }
  try {
    const view = await api("PATCH", upstreamPath(rec.view), { weight });
    rec.weightDirty = false;
    if (view && state.rows.has(view.id)) applyUpstream(view);
    clearError();
    notify("Weight of " + name + " is now " + weight + ".");
  } catch (error) {
    showError("Could not change the weight of " + name, error);
  }
}

/** @type {Row | null} */
let removeTarget = null;

/** @param {Row} rec */
function confirmRemove(rec) {
  removeTarget = rec;
  const view = rec.view;
  byId("remove-title").textContent = "Remove " + view.name + "?";
  byId("remove-desc").textContent = view.url + " stops taking new requests" +
    (view.inFlight > 0 ? ", finishes the " + view.inFlight + " in flight," : "") +
    " then leaves the pool. To bring it back, add it again.";
  byId("remove-confirm").textContent = "Remove " + view.name;
  const dialog = byIdAs("remove-dialog", HTMLDialogElement);
  dialog.showModal();
  byId("remove-cancel").focus(); // the safe choice has the focus
}

function setUpRemoveDialog() {
  const dialog = byIdAs("remove-dialog", HTMLDialogElement);
  byId("remove-cancel").addEventListener("click", () => dialog.close());
  byId("remove-confirm").addEventListener("click", async () => {
    const rec = removeTarget;
    dialog.close();
    if (!rec) return;
    const name = rec.view.name;
    try {
      await api("DELETE", upstreamPath(rec.view));
      state.removing.add(rec.id);
      if (state.rows.has(rec.id)) updateRow(rec, rec.view);
      clearError();
      notify(name + " is draining and leaves the pool when its in-flight requests finish.");
    } catch (error) {
      showError("Could not remove " + name, error);
    }
  });
  dialog.addEventListener("close", () => {
    const rec = removeTarget;
    removeTarget = null;
    if (rec && rec.row.isConnected) rec.removeButton.focus();
  });
}

function setUpAddForm() {
  const form = byIdAs("add-form", HTMLFormElement);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    /** @type {{ url: string, name?: string, weight?: number }} */
    const body = { url: byIdAs("add-url", HTMLInputElement).value.trim() };
    const name = byIdAs("add-name", HTMLInputElement).value.trim();
    if (name !== "") body.name = name;
    const weight = byIdAs("add-weight", HTMLInputElement).value.trim();
    if (weight !== "") body.weight = Number(weight);
    const submit = byId("add-submit");
    submit.setAttribute("aria-busy", "true");
    try {
      const pool = byIdAs("add-pool", HTMLSelectElement).value || "default";
      const view = await api("POST", poolPath(pool), body);
      if (view) {
        view.pool = pool;
        applyUpstream(view);
        addLogEntry(
          { type: "added", at: new Date(serverNow()).toISOString(), pool, upstream: view },
          true,
        );
      }
      form.reset();
      clearError();
      notify(
        "Added " + (view ? view.name : body.url) +
          ". It takes traffic after a passing health check.",
      );
    } catch (error) {
      showError("Could not add " + body.url, error);
    } finally {
      submit.removeAttribute("aria-busy");
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Change log
// ---------------------------------------------------------------------------------------------

const seenLogKeys = new Set(); // avoids a double "added" (from our POST and from the stream)

/** @param {UpstreamEvent} event */
function describeEvent(event) {
  const u = event.upstream;
  switch (event.type) {
    case "added":
      return { change: "added", detail: u.url };
    case "removed":
      return { change: "removed", detail: u.url };
    case "health": {
      const check = u.health.lastCheck;
      return {
        change: "health " + event.from + " → " + event.to,
        detail: check ? check.detail + " · " + fmtMs(check.latencyMs) : "",
      };
    }
    case "admin":
      return { change: "state " + event.from + " → " + event.to, detail: "" };
    case "weight":
      return { change: "weight " + event.from + " → " + event.to, detail: "" };
    default:
      return { change: String(event.type), detail: "" };
  }
}

/**
 * @param {UpstreamEvent} event
 * @param {boolean} [local] added by this page (not from the stream)
 */
function addLogEntry(event, local) {
  const key = event.type === "added" ? "added:" + event.upstream.id : null;
  if (key !== null) {
    if (seenLogKeys.has(key)) return;
    seenLogKeys.add(key);
  }
  if (local === undefined && event.type === "removed") {
    seenLogKeys.delete("added:" + event.upstream.id);
  }
  const { change, detail } = describeEvent(event);
  const tone = event.type === "health"
    ? "health-" + event.to
    : event.type === "admin"
    ? "admin-" + event.to
    : event.type;
  const item = el(
    "li",
    { class: "log-item", "data-tone": tone },
    el("time", { datetime: event.at, text: fmtClock(event.at) }),
    el("span", {
      class: "log-who",
      text: event.pool && event.pool !== "default"
        ? event.pool + " / " + event.upstream.name
        : event.upstream.name,
    }),
    el("span", { class: "log-change", text: change }),
    detail ? el("span", { class: "log-detail", text: detail }) : null,
  );
  const log = byId("log");
  log.prepend(item);
  while (log.children.length > LOG_CAP) log.lastElementChild?.remove();
  byId("log-empty").hidden = true;
}

// ---------------------------------------------------------------------------------------------
// Charts (inline SVG drawn from the stats ticks)
// ---------------------------------------------------------------------------------------------

/**
 * @typedef {{
 *   key: "rps" | "p99",
 *   svg: string,
 *   now: string,
 *   summary: string,
 *   unit: string,
 *   title: string,
 *   min: number,
 *   format: (value: number | null | undefined) => string,
 * }} Chart
 */

/** @type {Chart[]} */
const CHARTS = [
  {
    key: "rps",
    svg: "chart-rps",
    now: "chart-rps-now",
    summary: "chart-rps-summary",
    unit: "req/s",
    title: "Requests per second",
    min: 1,
    format: fmtRps,
  },
  {
    key: "p99",
    svg: "chart-p99",
    now: "chart-p99-now",
    summary: "chart-p99-summary",
    unit: "ms",
    title: "p99 latency",
    min: 1,
    format: fmtMs,
  },
];

/**
 * @param {string} at
 * @param {StatusView} status
 */
function pushHistory(at, status) {
  const t = Date.parse(at);
  if (Number.isNaN(t)) return;
  const last = state.history[state.history.length - 1];
  if (last && t <= last.t) return;
  state.history.push({ t, rps: status.rps, p99: status.p99Ms });
  const cutoff = t - HISTORY_MS - 5000;
  while ((state.history[0]?.t ?? Infinity) < cutoff) state.history.shift();
}

/**
 * Rounds a raw step up to 1, 2 or 5 times a power of ten.
 * @param {number} raw
 */
function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

/**
 * @param {number} value
 * @param {number} step
 */
function tickLabel(value, step) {
  if (step >= 1) return fmtInt(value);
  const digits = Math.min(3, Math.ceil(-Math.log10(step)));
  return value.toFixed(digits);
}

/** @param {Chart} chart */
function drawChart(chart) {
  const svg = byId(chart.svg);
  const width = Math.max(220, Math.round(svg.getBoundingClientRect().width || 480));
  const height = 150;
  const m = { left: 46, right: 12, top: 10, bottom: 30 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.setAttribute("height", String(height));

  const last = state.history[state.history.length - 1];
  const end = last ? last.t : serverNow();
  const start = end - HISTORY_MS;
  const points = state.history.filter((p) => p.t >= start);
  let max = 0;
  let peak = null;
  for (const p of points) {
    const v = p[chart.key];
    if (v !== null && v !== undefined && v > max) max = v;
    if (v !== null && v !== undefined && (peak === null || v > peak)) peak = v;
  }
  const step = niceStep(Math.max(max, chart.min) / 4);
  const top = step * Math.max(1, Math.ceil(Math.max(max, chart.min) / step));
  /** @param {number} t server time, ms */
  const x = (t) => m.left + ((t - start) / HISTORY_MS) * plotW;
  /** @param {number} v */
  const y = (v) => m.top + plotH - (v / top) * plotH;

  const nodes = [];
  // Horizontal grid and y labels
  for (let v = 0; v <= top + step / 2; v += step) {
    const yy = y(v).toFixed(1);
    nodes.push(svgEl("line", { class: "grid", x1: m.left, x2: width - m.right, y1: yy, y2: yy }));
    nodes.push(
      svgEl("text", {
        class: "tick",
        x: m.left - 6,
        y: yy,
        "text-anchor": "end",
        "dominant-baseline": "middle",
        text: tickLabel(v, step),
      }),
    );
  }
  // Vertical grid and x labels, one a minute
  for (let k = 0; k <= 5; k++) {
    const xx = (m.left + (k / 5) * plotW).toFixed(1);
    nodes.push(
      svgEl("line", {
        class: k === 0 ? "axis" : "grid grid-v",
        x1: xx,
        x2: xx,
        y1: m.top,
        y2: m.top + plotH,
      }),
    );
    nodes.push(
      svgEl("text", {
        class: "tick",
        x: xx,
        y: height - m.bottom + 14,
        "text-anchor": k === 0 ? "start" : k === 5 ? "end" : "middle",
        text: k === 5 ? "now" : "−" + (5 - k) + (plotW < 360 ? "m" : " min"),
      }),
    );
  }
  nodes.push(
    svgEl("line", {
      class: "axis",
      x1: m.left,
      x2: width - m.right,
      y1: m.top + plotH,
      y2: m.top + plotH,
    }),
  );
  // Axis titles
  nodes.push(
    svgEl("text", {
      class: "axis-title",
      x: 0,
      y: 0,
      transform: "translate(11 " + (m.top + plotH / 2) + ") rotate(-90)",
      "text-anchor": "middle",
      text: chart.unit,
    }),
  );
  nodes.push(
    svgEl("text", {
      class: "axis-title",
      x: m.left + plotW / 2,
      y: height - 2,
      "text-anchor": "middle",
      text: "time",
    }),
  );

  // The line, broken into segments where ticks are missing
  /** @type {[string, string][][]} */
  const segments = [];
  /** @type {[string, string][] | null} */
  let segment = null;
  /** @type {HistoryPoint | null} */
  let prev = null;
  for (const p of points) {
    const v = p[chart.key];
    if (v === null || v === undefined) {
      segment = null;
      prev = null;
      continue;
    }
    if (!segment || prev === null || p.t - prev.t > GAP_MS) {
      segment = [];
      segments.push(segment);
    }
    segment.push([x(p.t).toFixed(1), y(v).toFixed(1)]);
    prev = p;
  }
  const baseY = y(0).toFixed(1);
  let d = "";
  let area = "";
  for (const seg of segments) {
    const first = seg[0];
    const final = seg[seg.length - 1];
    if (!first || !final) continue;
    d += "M" + seg.map((xy) => xy[0] + "," + xy[1]).join("L");
    area += "M" + first[0] + "," + baseY + "L" + seg.map((xy) => xy[0] + "," + xy[1]).join("L") +
      "L" + final[0] + "," + baseY + "Z";
  }
  if (chart.key === "rps" && area !== "") nodes.push(svgEl("path", { class: "area", d: area }));
  if (d !== "") nodes.push(svgEl("path", { class: "line line-" + chart.key, d }));
  const lastXY = segments.at(-1)?.at(-1);
  if (lastXY && prev === last) {
    nodes.push(
      svgEl("circle", { class: "dot dot-" + chart.key, cx: lastXY[0], cy: lastXY[1], r: 3 }),
    );
  }
  if (points.length === 0) {
    nodes.push(
      svgEl("text", {
        class: "waiting",
        x: m.left + plotW / 2,
        y: m.top + plotH / 2,
        "text-anchor": "middle",
        "dominant-baseline": "middle",
        text: "Waiting for data…",
      }),
    );
  }
  svg.replaceChildren(...nodes);

  const nowValue = last ? last[chart.key] : null;
  const nowText = last ? chart.format(nowValue) : "";
  setText(
    byId(chart.now),
    last ? "now " + (chart.key === "rps" ? nowText + " req/s" : nowText) : "",
  );
  setText(
    byId(chart.summary),
    points.length === 0
      ? "No data yet."
      : "Over the last " + Math.round((end - (points[0]?.t ?? end)) / 60000 * 10) / 10 +
        " minutes: now " +
        chart.format(nowValue) +
        ", peak " + chart.format(peak) + (chart.key === "rps" ? " requests per second." : "."),
  );
}

let drawPending = false;

function drawCharts() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    for (const chart of CHARTS) drawChart(chart);
  });
}

// ---------------------------------------------------------------------------------------------
// Event stream (EventSource reconnects by itself; a closed stream is retried with back-off)
// ---------------------------------------------------------------------------------------------

/** @type {EventSource | null} */
let source = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let retryTimer;
let retryDelayMs = 1000;
let everConnected = false;

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  stale: "No updates — waiting",
  offline: "Disconnected — retrying",
};

/** @param {Connection} next */
function setConnection(next) {
  if (state.connection === next) return;
  state.connection = next;
  document.body.dataset.connection = next;
  setText(byId("connection-text"), CONNECTION_TEXT[next]);
  byId("connection").dataset.state = next;
}

/**
 * @param {Event} event a `MessageEvent` of the stream.
 * @returns {any} the parsed JSON, `null` when it is not JSON.
 */
function parseData(event) {
  try {
    return event instanceof MessageEvent ? JSON.parse(event.data) : null;
  } catch {
    return null;
  }
}

function received() {
  state.lastDataAt = Date.now();
  state.hasStreamData = true;
  if (state.connection !== "live") setConnection("live");
}

function eventsUrl() {
  // EventSource cannot send headers; the admin API also takes the token as access_token.
  const token = getToken();
  return token === null ? "/api/events" : "/api/events?access_token=" + encodeURIComponent(token);
}

function connect() {
  clearTimeout(retryTimer);
  if (source) source.close();
  setConnection(everConnected ? "reconnecting" : "connecting");
  const es = new EventSource(eventsUrl());
  source = es;
  es.addEventListener("open", () => {
    everConnected = true;
    retryDelayMs = 1000;
  });
  es.addEventListener("snapshot", (event) => {
    const data = parseData(event);
    if (!data) return;
    received();
    applyStatus(data.status);
    syncPools(data);
    drawCharts();
  });
  es.addEventListener("stats", (event) => {
    const data = parseData(event);
    if (!data) return;
    received();
    const at = Date.parse(data.at);
    if (!Number.isNaN(at)) state.clockOffsetMs = at - Date.now();
    applyStatus(data.status);
    syncPools(data);
    pushHistory(data.at, data.status);
    drawCharts();
  });
  es.addEventListener("upstream", (event) => {
    const data = parseData(event);
    if (!data || !data.upstream) return;
    received();
    data.upstream.pool = typeof data.pool === "string" ? data.pool : "default";
    if (data.type === "removed") removeUpstream(data.upstream.id);
    else if (state.rows.has(data.upstream.id) || data.type === "added") {
      applyUpstream(data.upstream);
    }
    addLogEntry(data);
  });
  es.addEventListener("error", () => {
    if (source !== es) return;
    if (es.readyState === EventSource.CONNECTING) {
      setConnection("reconnecting");
      return;
    }
    // Closed for good (an HTTP error such as 401, or a wrong content type): retry ourselves.
    es.close();
    setConnection("offline");
    const delay = retryDelayMs;
    retryDelayMs = Math.min(retryDelayMs * 2, 30000);
    retryTimer = setTimeout(() => void probeThenConnect(), delay);
  });
}

function reconnect() {
  retryDelayMs = 1000;
  connect();
}

/**
 * After the stream was refused, find out why with a plain read: on a 401 (a non-loopback
 * client needs the token for reads too) ask for the token first.
 */
async function probeThenConnect() {
  try {
    const response = await fetch("/api/status", {
      headers: getToken() === null ? {} : { authorization: "Bearer " + getToken() },
      cache: "no-store",
    });
    if (response.status === 401) {
      const problem = await readProblem(response);
      if (getToken() !== null) setToken(null);
      const token = await askForToken(
        "Reading this dashboard from here needs the admin token. (" + problem.describe() + ")",
      );
      if (token === null) {
        setConnection("offline");
        showError("Not connected", problem);
        return;
      }
    }
  } catch {
    // unreachable: connect() below fails again and backs off
  }
  connect();
}

// ---------------------------------------------------------------------------------------------
// Clock: ages, uptime and staleness once a second
// ---------------------------------------------------------------------------------------------

function tick() {
  renderUptime();
  for (const rec of state.rows.values()) renderCheck(rec);
  if (
    state.connection === "live" && state.hasStreamData && Date.now() - state.lastDataAt > STALE_MS
  ) {
    setConnection("stale");
  }
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

function start() {
  setUpTokenDialog();
  setUpRemoveDialog();
  setUpAddForm();
  renderCount();
  drawCharts();
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(() => drawCharts());
    for (const chart of CHARTS) {
      const parent = byId(chart.svg).parentElement;
      if (parent) observer.observe(parent);
    }
  }
  setInterval(tick, 1000);
  connect();
}

start();
