/**
 * The dashboard's style sheet (`GET /dashboard.css`): system fonts, light and dark schemes,
 * a table on wide screens that turns into stacked cards on narrow ones.
 *
 * @module
 */

/** The dashboard style sheet, served as `text/css`. */
export const PAGE_CSS: string = String.raw`:root {
  color-scheme: light dark;
  --bg: #f3f5f8;
  --panel: #ffffff;
  --panel-alt: #f8f9fb;
  --text: #17202b;
  --muted: #5a6573;
  --border: #d9dee5;
  --border-strong: #b9c1cc;
  --topbar: #121a26;
  --topbar-text: #e8edf4;
  --topbar-muted: #9aa7b8;
  --accent: #1f5fd6;
  --accent-text: #ffffff;
  --focus: #1f6feb;
  --up: #17713a;
  --up-bg: #e3f4e8;
  --down: #b42318;
  --down-bg: #fde8e6;
  --unknown: #596474;
  --unknown-bg: #eceff3;
  --drain: #8a5a00;
  --drain-bg: #fff1cf;
  --maint: #5b3cc4;
  --maint-bg: #eee9fb;
  --warn: #8a5a00;
  --bad: #b42318;
  --chart-rps: #1f5fd6;
  --chart-rps-fill: rgba(31, 95, 214, 0.12);
  --chart-p99: #c2410c;
  --grid: #e7eaef;
  --radius: 6px;
  --mono: ui-monospace, "SFMono-Regular", "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e131a;
    --panel: #161d27;
    --panel-alt: #1b2330;
    --text: #e4e9f0;
    --muted: #9aa6b5;
    --border: #2a3544;
    --border-strong: #3b4859;
    --topbar: #0a0e14;
    --accent: #4d8af0;
    --accent-text: #07101f;
    --focus: #79a8ff;
    --up: #5fd08a;
    --up-bg: #133021;
    --down: #ff8a80;
    --down-bg: #3a1715;
    --unknown: #a9b4c2;
    --unknown-bg: #232c38;
    --drain: #f3c560;
    --drain-bg: #3a2c0b;
    --maint: #b9a4ff;
    --maint-bg: #2a2148;
    --warn: #f3c560;
    --bad: #ff8a80;
    --chart-rps: #6aa0ff;
    --chart-rps-fill: rgba(106, 160, 255, 0.14);
    --chart-p99: #ff9a5c;
    --grid: #232c38;
  }
}

*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }

body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font-variant-numeric: tabular-nums;
}

h1, h2, h3 { margin: 0; line-height: 1.2; }
h2 { font-size: 15px; font-weight: 650; }
h3 { font-size: 13px; font-weight: 650; }
code { font-family: var(--mono); font-size: 0.92em; }

:focus-visible {
  outline: 2px solid var(--focus);
  outline-offset: 2px;
  border-radius: 3px;
}
h2:focus { outline: none; }
h2:focus-visible { outline: 2px solid var(--focus); }

.visually-hidden {
  position: absolute !important;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}

.skip-link {
  position: absolute;
  left: 8px;
  top: -40px;
  z-index: 10;
  padding: 6px 10px;
  background: var(--panel);
  color: var(--text);
  border: 1px solid var(--border-strong);
  border-radius: var(--radius);
}
.skip-link:focus { top: 8px; }

/* ---- Top bar ---------------------------------------------------------------------------- */

.topbar {
  display: flex;
  align-items: center;
  justify-content: space-between;
  flex-wrap: wrap;
  gap: 8px 16px;
  padding: 10px 20px;
  background: var(--topbar);
  color: var(--topbar-text);
}
.brand { display: flex; align-items: baseline; gap: 10px; }
.brand h1 { font-size: 18px; font-weight: 700; letter-spacing: 0.2px; }
.logo { width: 22px; height: 22px; align-self: center; fill: var(--topbar-muted); }
.logo .gate { fill: #6aa0ff; }
.logo .flow { fill: none; stroke: #6aa0ff; stroke-width: 2; stroke-linecap: round; }
.version { color: var(--topbar-muted); font-family: var(--mono); font-size: 12px; }
.topbar-end { display: flex; align-items: center; gap: 12px; }

.conn {
  display: inline-flex;
  align-items: center;
  gap: 6px;
  margin: 0;
  padding: 3px 10px;
  border: 1px solid #2d3a4d;
  border-radius: 999px;
  font-size: 12px;
  color: var(--topbar-text);
}
.conn-label { color: var(--topbar-muted); }
.conn-dot { width: 8px; height: 8px; border-radius: 50%; background: #9aa7b8; }
.conn[data-state="live"] .conn-dot { background: #3ecf74; box-shadow: 0 0 0 3px rgba(62, 207, 116, 0.22); }
.conn[data-state="reconnecting"] .conn-dot,
.conn[data-state="connecting"] .conn-dot,
.conn[data-state="stale"] .conn-dot { background: #f3b93c; }
.conn[data-state="offline"] .conn-dot { background: #ff6b5e; }
.conn[data-state="offline"] { border-color: #7a2b26; }

@media (prefers-reduced-motion: no-preference) {
  .conn[data-state="reconnecting"] .conn-dot,
  .conn[data-state="connecting"] .conn-dot { animation: pulse 1.2s ease-in-out infinite; }
}
@keyframes pulse { 50% { opacity: 0.3; } }

/* ---- Layout ----------------------------------------------------------------------------- */

main {
  max-width: 1440px;
  margin: 0 auto;
  padding: 14px 20px 28px;
  display: grid;
  gap: 14px;
}

.panel {
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  min-width: 0;
}
.panel-head {
  display: flex;
  align-items: baseline;
  justify-content: space-between;
  gap: 12px;
  padding: 10px 14px;
  border-bottom: 1px solid var(--border);
}
.panel-meta { color: var(--muted); font-size: 12px; }

.lower {
  display: grid;
  grid-template-columns: minmax(0, 2fr) minmax(0, 1fr);
  gap: 14px;
  align-items: start;
}

.hint { color: var(--muted); font-size: 12px; margin: 0; }
.empty { color: var(--muted); margin: 0; padding: 14px; }

/* Stale data is dimmed while the stream is down (the indicator says why). */
body[data-connection="reconnecting"] .tiles dd,
body[data-connection="reconnecting"] .upstreams tbody,
body[data-connection="offline"] .tiles dd,
body[data-connection="offline"] .upstreams tbody,
body[data-connection="stale"] .tiles dd,
body[data-connection="stale"] .upstreams tbody { opacity: 0.55; }

/* ---- Summary tiles ---------------------------------------------------------------------- */

.tiles {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(118px, 1fr));
  gap: 0;
  margin: 0;
  background: var(--panel);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  overflow: hidden;
}
.tile {
  padding: 8px 12px;
  min-width: 0;
  box-shadow: 1px 0 0 var(--border), 0 1px 0 var(--border);
}
.tile dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: 0.4px; }
.tile dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tile-key dd { font-size: 20px; }
#s-strategy { font-family: var(--mono); font-size: 14px; line-height: 24px; }
#s-ready[data-state="ready"] { color: var(--up); }
#s-ready[data-state="ready"]::before { content: "● " / ""; }
#s-ready[data-state="not-ready"],
#s-ready[data-state="stopping"] { color: var(--down); }
#s-ready[data-state="not-ready"]::before,
#s-ready[data-state="stopping"]::before { content: "■ " / ""; }
#s-errors[data-level="warn"] { color: var(--warn); }

/* ---- Messages --------------------------------------------------------------------------- */

.messages { display: grid; gap: 8px; }
.messages:has(> .alert:empty):has(> .notice:empty) { display: none; }
.alert:empty, .notice:empty { display: none; }
.alert {
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 12px;
  padding: 8px 12px;
  border: 1px solid var(--down);
  border-left-width: 4px;
  border-radius: var(--radius);
  background: var(--down-bg);
  color: var(--text);
}
.alert p { margin: 0; overflow-wrap: anywhere; }
.notice {
  margin: 0;
  padding: 8px 12px;
  border: 1px solid var(--border);
  border-left: 4px solid var(--up);
  border-radius: var(--radius);
  background: var(--panel);
}

/* ---- Buttons and inputs ----------------------------------------------------------------- */

.btn {
  appearance: none;
  display: inline-flex;
  align-items: center;
  justify-content: center;
  gap: 4px;
  min-height: 28px;
  padding: 3px 10px;
  border: 1px solid var(--border-strong);
  border-radius: 5px;
  background: var(--panel);
  color: var(--text);
  font: inherit;
  font-size: 13px;
  line-height: 1.2;
  cursor: pointer;
  white-space: nowrap;
}
.btn:hover { background: var(--panel-alt); border-color: var(--muted); }
.btn[aria-busy="true"] { cursor: progress; opacity: 0.7; }
.btn-small { min-height: 26px; padding: 2px 8px; font-size: 12px; }
.btn-primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); font-weight: 600; }
.btn-primary:hover { background: var(--accent); filter: brightness(1.08); border-color: var(--accent); }
.btn-danger { background: var(--down); border-color: var(--down); color: #fff; font-weight: 600; }
.btn-danger:hover { background: var(--down); filter: brightness(1.1); border-color: var(--down); }
.btn-danger-quiet { color: var(--down); }
.btn-quiet { background: transparent; border-color: transparent; color: inherit; text-decoration: underline; }
.topbar .btn-quiet { color: var(--topbar-text); }
.topbar .btn-quiet:hover { background: rgba(255, 255, 255, 0.08); }

input[type="text"], input[type="url"], input[type="number"], input[type="password"] {
  min-height: 28px;
  padding: 3px 8px;
  border: 1px solid var(--border-strong);
  border-radius: 5px;
  background: var(--panel);
  color: var(--text);
  font: inherit;
  font-size: 13px;
  min-width: 0;
}

/* A segmented control: the current state is pressed (filled, bold and ticked). */
.seg { display: inline-flex; }
.btn-seg { border-radius: 0; margin-left: -1px; font-size: 12px; min-height: 26px; padding: 2px 8px; }
.btn-seg:first-child { border-radius: 5px 0 0 5px; margin-left: 0; }
.btn-seg:last-child { border-radius: 0 5px 5px 0; }
.btn-seg:focus-visible { position: relative; z-index: 1; }
.btn-seg[aria-pressed="true"] { font-weight: 650; position: relative; }
.btn-seg[aria-pressed="true"]::before { content: "✓" / ""; }
.btn-seg[data-state="ready"][aria-pressed="true"] { background: var(--up-bg); color: var(--up); border-color: var(--up); }
.btn-seg[data-state="draining"][aria-pressed="true"] { background: var(--drain-bg); color: var(--drain); border-color: var(--drain); }
.btn-seg[data-state="maintenance"][aria-pressed="true"] { background: var(--maint-bg); color: var(--maint); border-color: var(--maint); }

/* ---- Upstreams table -------------------------------------------------------------------- */

.upstreams {
  width: 100%;
  border-collapse: collapse;
}
.upstreams th, .upstreams td {
  padding: 7px 10px;
  text-align: left;
  vertical-align: top;
  border-bottom: 1px solid var(--border);
}
.upstreams thead th {
  position: sticky;
  top: 0;
  background: var(--panel-alt);
  color: var(--muted);
  font-size: 11px;
  font-weight: 600;
  text-transform: uppercase;
  letter-spacing: 0.4px;
}
.upstreams .num { text-align: right; white-space: nowrap; }
.upstreams thead .num { white-space: normal; }
.table-scroll { overflow-x: auto; }
.upstreams tbody tr:hover { background: var(--panel-alt); }
.upstreams tbody tr[aria-busy="true"] { cursor: progress; }
.upstreams tbody tr.is-removing { opacity: 0.6; }
.upstreams tbody tr:last-child > * { border-bottom: none; }

.c-name { min-width: 160px; }
.u-name { display: block; font-weight: 600; overflow-wrap: break-word; }
.u-url { display: block; color: var(--muted); font-family: var(--mono); font-size: 12px; font-weight: 400; overflow-wrap: break-word; }
.u-id { display: block; color: var(--muted); font-size: 11px; font-weight: 400; }
.sub { display: block; margin-top: 2px; color: var(--muted); font-size: 12px; }
.c-health { min-width: 150px; }
.c-state { min-width: 110px; }
.sub[data-ok="false"] { color: var(--down); }

.badge {
  display: inline-flex;
  align-items: center;
  gap: 5px;
  padding: 1px 8px;
  border-radius: 999px;
  border: 1px solid currentColor;
  font-size: 12px;
  font-weight: 650;
  white-space: nowrap;
}
.badge::before { font-size: 10px; }
.badge[data-state="up"] { color: var(--up); background: var(--up-bg); }
.badge[data-state="up"]::before { content: "▲" / ""; }
.badge[data-state="down"] { color: var(--down); background: var(--down-bg); }
.badge[data-state="down"]::before { content: "▼" / ""; }
.badge[data-state="unknown"] { color: var(--unknown); background: var(--unknown-bg); }
.badge[data-state="unknown"]::before { content: "?" / ""; }
.badge[data-state="ready"] { color: var(--up); background: var(--up-bg); border-color: transparent; }
.badge[data-state="draining"] { color: var(--drain); background: var(--drain-bg); }
.badge[data-state="draining"]::before { content: "↓" / ""; }
.badge[data-state="maintenance"] { color: var(--maint); background: var(--maint-bg); }
.badge[data-state="maintenance"]::before { content: "⊘" / ""; }
.badge[data-state="removing"] { color: var(--down); background: var(--down-bg); }
.badge[data-state="removing"]::before { content: "✕" / ""; }

.err-rate[data-level="warn"] { color: var(--warn); font-weight: 650; }
.err-rate[data-level="bad"] { color: var(--bad); font-weight: 650; }

.weight-form { display: flex; gap: 4px; align-items: center; }
.weight-input { width: 64px; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
@media (min-width: 1400px) {
  .upstreams .actions { flex-wrap: nowrap; }
}

/* ---- Add form --------------------------------------------------------------------------- */

.add-form {
  display: flex;
  flex-wrap: wrap;
  align-items: flex-end;
  gap: 8px 12px;
  padding: 12px 14px;
  border-top: 1px solid var(--border);
  background: var(--panel-alt);
  border-radius: 0 0 var(--radius) var(--radius);
}
.add-form h3 { flex-basis: 100%; }
.field { display: grid; gap: 3px; }
.field label { font-size: 12px; color: var(--muted); font-weight: 600; }
.field-url { flex: 1 1 260px; }
.field-url input { width: 100%; }
.field-weight input { width: 80px; }
.optional { font-weight: 400; }
.field-hint { flex-basis: 100%; }
#upstreams-hint { padding: 8px 14px 10px; border-top: 1px solid var(--border); }

/* ---- Charts ----------------------------------------------------------------------------- */

.charts {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
  gap: 4px 18px;
  padding: 10px 14px 12px;
}
.chart { margin: 0; min-width: 0; }
.chart figcaption { display: flex; align-items: center; gap: 6px; font-size: 12px; font-weight: 600; margin-bottom: 4px; }
.chart-now { margin-left: auto; color: var(--muted); font-weight: 400; }
.swatch { display: inline-block; width: 12px; height: 3px; border-radius: 2px; }
.swatch-rps { background: var(--chart-rps); }
.swatch-p99 { background: var(--chart-p99); }
.chart svg { display: block; width: 100%; height: 150px; overflow: visible; }
.chart .grid { stroke: var(--grid); stroke-width: 1; }
.chart .grid-v { stroke-dasharray: 2 3; }
.chart .axis { stroke: var(--border-strong); stroke-width: 1; }
.chart .tick { fill: var(--muted); font-size: 10px; }
.chart .axis-title { fill: var(--muted); font-size: 10px; font-weight: 600; }
.chart .waiting { fill: var(--muted); font-size: 12px; }
.chart .line { fill: none; stroke-width: 1.75; stroke-linejoin: round; stroke-linecap: round; }
.chart .line-rps { stroke: var(--chart-rps); }
.chart .line-p99 { stroke: var(--chart-p99); }
.chart .area { fill: var(--chart-rps-fill); stroke: none; }
.chart .dot-rps { fill: var(--chart-rps); }
.chart .dot-p99 { fill: var(--chart-p99); }

/* ---- Change log ------------------------------------------------------------------------- */

.log {
  list-style: none;
  margin: 0;
  padding: 4px 0;
  max-height: 340px;
  overflow-y: auto;
}
.log:empty { display: none; }
.log-item {
  display: grid;
  grid-template-columns: 64px minmax(0, 1fr);
  column-gap: 10px;
  padding: 5px 14px;
  border-left: 3px solid transparent;
  font-size: 13px;
}
.log-item + .log-item { border-top: 1px solid var(--grid); }
.log-item time { grid-row: span 3; color: var(--muted); font-family: var(--mono); font-size: 12px; padding-top: 1px; }
.log-who { grid-column: 2; font-weight: 600; overflow-wrap: anywhere; }
.log-change { grid-column: 2; }
.log-detail { grid-column: 2; color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.log-item[data-tone="health-up"], .log-item[data-tone="admin-ready"], .log-item[data-tone="added"] { border-left-color: var(--up); }
.log-item[data-tone="health-down"], .log-item[data-tone="removed"] { border-left-color: var(--down); }
.log-item[data-tone="admin-draining"] { border-left-color: var(--drain); }
.log-item[data-tone="admin-maintenance"] { border-left-color: var(--maint); }
.log-item[data-tone="weight"] { border-left-color: var(--accent); }

/* ---- Dialogs ---------------------------------------------------------------------------- */

.dialog {
  width: min(440px, calc(100vw - 24px));
  padding: 18px;
  border: 1px solid var(--border-strong);
  border-radius: 8px;
  background: var(--panel);
  color: var(--text);
  box-shadow: 0 16px 48px rgba(0, 0, 0, 0.25);
}
.dialog::backdrop { background: rgba(10, 14, 20, 0.5); }
.dialog h2 { font-size: 16px; margin-bottom: 8px; }
.dialog p { margin: 0 0 10px; overflow-wrap: anywhere; }
.dialog label { display: block; font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.dialog input { width: 100%; margin-bottom: 6px; }
.field-error { color: var(--down); font-size: 12px; min-height: 1em; }
.dialog-actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 8px; }

/* ---- Medium screens: charts and log stack ----------------------------------------------- */

@media (max-width: 1080px) {
  .lower { grid-template-columns: minmax(0, 1fr); }
  .log { max-height: 260px; }
}

/* ---- Below 1100px each upstream becomes a card (side by side, stacked when narrow) ------- */

@media (max-width: 1100px) {
  .tiles { grid-template-columns: repeat(5, minmax(0, 1fr)); }
  .upstreams, .upstreams tbody, .upstreams tr, .upstreams td, .upstreams th { display: block; }
  .upstreams thead {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
  .upstreams tbody {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
    gap: 10px;
    padding: 10px;
  }
  .upstreams tbody tr {
    display: grid;
    grid-template-columns: repeat(4, minmax(0, 1fr));
    border: 1px solid var(--border);
    border-radius: var(--radius);
    background: var(--panel);
  }
  .upstreams tbody tr:hover { background: var(--panel); }
  .upstreams tbody tr > * { border-bottom: 1px solid var(--grid); padding: 6px 10px; }
  .upstreams tbody tr:last-child > * { border-bottom: 1px solid var(--grid); }
  .upstreams tbody tr > .c-actions { border-bottom: none; }
  .upstreams td[data-label]::before {
    content: attr(data-label) / "";
    display: block;
    color: var(--muted);
    font-size: 10px;
    font-weight: 600;
    text-transform: uppercase;
    letter-spacing: 0.4px;
    margin-bottom: 2px;
  }
  .upstreams .num { text-align: left; }
  .c-name { grid-column: 1 / -1; background: var(--panel-alt); border-radius: var(--radius) var(--radius) 0 0; }
  .c-health, .c-state { grid-column: span 2; }
  .c-errors, .c-weight { grid-column: span 2; }
  .c-actions { grid-column: 1 / -1; }
}

@media (max-width: 760px) {
  main { padding: 10px 10px 20px; gap: 10px; }
  .topbar { padding: 8px 12px; }
  .upstreams tbody { grid-template-columns: minmax(0, 1fr); padding: 8px; gap: 8px; }
}

@media (max-width: 480px) {
  .tiles { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .tile { padding: 6px 8px; }
  .tile dd, .tile-key dd { font-size: 15px; }
  #s-strategy { font-size: 13px; line-height: 20px; }
  .upstreams tbody { padding: 6px; }
  .upstreams tbody tr > * { padding: 5px 8px; }
  .c-errors, .c-weight { grid-column: span 2; }
  .conn-label { display: none; }
  .panel-head { flex-wrap: wrap; }
  .add-form > .btn { width: 100%; }
  .field-url, .field { flex: 1 1 100%; }
  .field-weight input { width: 100%; }
  .c-actions .actions { flex-wrap: wrap; }
  .actions .seg { flex: 1 1 auto; }
  .actions .btn-seg { flex: 1; }
}

@media (max-width: 360px) {
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
`;
