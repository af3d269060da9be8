/**
 * The dashboard's HTML document (`GET /`). Scripts and styles are external files so the page
 * runs under `Content-Security-Policy: default-src 'self'`; nothing here is inline.
 *
 * @module
 */

/** The dashboard page, served as `text/html`. */
export const PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sluice dashboard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard.css">
<script type="module" src="/dashboard.js"></script>
</head>
<body data-connection="connecting">
<a class="skip-link" href="#upstreams-heading">Skip to upstreams</a>
<header class="topbar">
  <div class="brand">
    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="2" y="4" width="5" height="24" rx="1"></rect>
      <rect x="25" y="4" width="5" height="24" rx="1"></rect>
      <rect class="gate" x="9" y="7" width="14" height="11" rx="1"></rect>
      <path class="flow" d="M7 23c3-2 6 2 9 0s6-2 9 0"></path>
    </svg>
    <h1>Sluice</h1>
    <span class="version" id="version">&nbsp;</span>
  </div>
  <div class="topbar-end">
    <p class="conn" id="connection" role="status">
      <span class="conn-dot" aria-hidden="true"></span>
      <span class="conn-label">Event stream:</span>
      <span id="connection-text">Connecting…</span>
    </p>
    <button type="button" class="btn btn-quiet" id="forget-token" hidden>Forget token</button>
  </div>
</header>

<main>
  <section class="summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" class="visually-hidden">Summary</h2>
    <dl class="tiles">
      <div class="tile tile-ready"><dt>Readiness</dt><dd id="s-ready" data-state="unknown">—</dd></div>
      <div class="tile"><dt>Uptime</dt><dd id="s-uptime">—</dd></div>
      <div class="tile"><dt>Strategy</dt><dd id="s-strategy">—</dd></div>
      <div class="tile"><dt>Available</dt><dd id="s-available">—</dd></div>
      <div class="tile tile-key"><dt>Requests/s</dt><dd id="s-rps">—</dd></div>
      <div class="tile tile-key"><dt>p99 latency</dt><dd id="s-p99">—</dd></div>
      <div class="tile"><dt>In flight</dt><dd id="s-inflight">—</dd></div>
      <div class="tile"><dt>Requests</dt><dd id="s-requests">—</dd></div>
      <div class="tile"><dt>5xx</dt><dd id="s-errors">—</dd></div>
      <div class="tile"><dt>Retries</dt><dd id="s-retries">—</dd></div>
    </dl>
  </section>

  <div class="messages">
    <div id="alert" class="alert" role="alert"></div>
    <p id="notice" class="notice" role="status"></p>
  </div>

  <section class="panel" aria-labelledby="upstreams-heading">
    <div class="panel-head">
      <h2 id="upstreams-heading" tabindex="-1">Upstreams</h2>
      <span class="panel-meta" id="upstream-count"></span>
    </div>
    <div class="table-scroll">
    <table class="upstreams" id="upstreams" role="table" aria-labelledby="upstreams-heading" aria-describedby="upstreams-hint">
      <thead role="rowgroup">
        <tr role="row">
          <th scope="col" role="columnheader">Upstream</th>
          <th scope="col" role="columnheader">Health</th>
          <th scope="col" role="columnheader">State</th>
          <th scope="col" role="columnheader" class="num">In flight</th>
          <th scope="col" role="columnheader" class="num">Req/s</th>
          <th scope="col" role="columnheader" class="num">p50</th>
          <th scope="col" role="columnheader" class="num">p99</th>
          <th scope="col" role="columnheader" class="num">Errors</th>
          <th scope="col" role="columnheader">Weight</th>
          <th scope="col" role="columnheader">Actions</th>
        </tr>
      </thead>
      <tbody id="upstream-rows" role="rowgroup"></tbody>
    </table>
    </div>
    <p class="empty" id="no-upstreams" hidden>No upstreams yet. Add one below.</p>
    <p class="hint" id="upstreams-hint">Rates and error share cover the last 10 s and 60 s;
      latency is time to response headers over the last 60 s.
      Drain stops new requests and lets in-flight ones finish; maintenance takes no traffic.</p>

    <form class="add-form" id="add-form" aria-labelledby="add-heading">
      <h3 id="add-heading">Add upstream</h3>
      <div class="field field-url">
        <label for="add-url">URL</label>
        <input id="add-url" name="url" type="url" required placeholder="http://10.0.0.5:8080" autocomplete="off" spellcheck="false">
      </div>
      <div class="field">
        <label for="add-name">Name <span class="optional">(optional)</span></label>
        <input id="add-name" name="name" type="text" autocomplete="off" spellcheck="false">
      </div>
      <div class="field field-weight">
        <label for="add-weight">Weight</label>
        <input id="add-weight" name="weight" type="number" min="1" step="1" value="1" inputmode="numeric">
      </div>
      <button type="submit" class="btn btn-primary" id="add-submit">Add upstream</button>
      <p class="hint field-hint">New upstreams take traffic only after a passing health check.</p>
    </form>
  </section>

  <div class="lower">
    <section class="panel" aria-labelledby="traffic-heading">
      <div class="panel-head">
        <h2 id="traffic-heading">Traffic</h2>
        <span class="panel-meta">last 5 minutes, one point a second</span>
      </div>
      <div class="charts">
        <figure class="chart" data-key="rps">
          <figcaption id="chart-rps-caption"><span class="swatch swatch-rps" aria-hidden="true"></span>Requests per second <span class="chart-now" id="chart-rps-now"></span></figcaption>
          <svg id="chart-rps" role="img" aria-labelledby="chart-rps-caption chart-rps-summary"></svg>
          <p class="visually-hidden" id="chart-rps-summary"></p>
        </figure>
        <figure class="chart" data-key="p99">
          <figcaption id="chart-p99-caption"><span class="swatch swatch-p99" aria-hidden="true"></span>p99 latency <span class="chart-now" id="chart-p99-now"></span></figcaption>
          <svg id="chart-p99" role="img" aria-labelledby="chart-p99-caption chart-p99-summary"></svg>
          <p class="visually-hidden" id="chart-p99-summary"></p>
        </figure>
      </div>
    </section>

    <section class="panel log-panel" aria-labelledby="log-heading">
      <div class="panel-head">
        <h2 id="log-heading">Recent changes</h2>
        <span class="panel-meta">newest first</span>
      </div>
      <ol class="log" id="log"></ol>
      <p class="empty" id="log-empty">No changes since this page opened.</p>
    </section>
  </div>
</main>

<dialog id="token-dialog" class="dialog" aria-labelledby="token-title" aria-describedby="token-reason">
  <form id="token-form" novalidate>
    <h2 id="token-title">Admin token required</h2>
    <p id="token-reason">This change needs the admin token.</p>
    <label for="token-input">Admin token</label>
    <input id="token-input" name="token" type="password" autocomplete="off" spellcheck="false" required>
    <p class="hint">Kept in this tab only (session storage) and sent as <code>Authorization: Bearer</code>.</p>
    <p class="field-error" id="token-error" aria-live="polite"></p>
    <div class="dialog-actions">
      <button type="button" class="btn" id="token-cancel">Cancel</button>
      <button type="submit" class="btn btn-primary" id="token-submit">Use token</button>
    </div>
  </form>
</dialog>

<dialog id="remove-dialog" class="dialog" aria-labelledby="remove-title" aria-describedby="remove-desc">
  <h2 id="remove-title">Remove upstream?</h2>
  <p id="remove-desc"></p>
  <div class="dialog-actions">
    <button type="button" class="btn" id="remove-cancel">Cancel</button>
    <button type="button" class="btn btn-danger" id="remove-confirm">Remove</button>
  </div>
</dialog>
</body>
</html>
`;
