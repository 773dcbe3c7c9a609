/** The dashboard's one stylesheet, served from /assets/app.css (CSP: style-src 'self'). */
export const STYLES = `
:root {
  --bg: #f5f6f8; --surface: #fff; --border: #e2e5ea; --border-strong: #c8cdd5;
  --text: #1a1f26; --muted: #5a6472; --accent: #2e58e6; --accent-hover: #2246c0; --accent-soft: #eaf0ff;
  --danger: #c0262d; --danger-hover: #a11f25; --danger-soft: #fdeeee; --ok: #17734a; --ok-soft: #e4f4ec;
  --warn: #865a00; --warn-soft: #fff5d9; --header: #111827; --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-underline-offset: 2px; }
a:hover { color: var(--accent-hover); }
:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; border-radius: 3px; }
code, pre, kbd { font-family: var(--mono); font-size: 13px; }
code { background: #eef1f5; padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
h1 { font-size: 24px; line-height: 1.25; margin: 0; }
h2 { font-size: 17px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 0 0 8px; }
p { margin: 0 0 12px; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link { position: absolute; left: 8px; top: -48px; background: var(--surface); color: var(--text); padding: 8px 12px; border-radius: var(--radius); z-index: 10; }
.skip-link:focus { top: 8px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.nowrap { white-space: nowrap; }
.mono { font-family: var(--mono); font-size: 13px; }

/* header */
.site-header { background: var(--header); color: #e5e7eb; }
.site-header .inner { max-width: 1200px; margin: 0 auto; padding: 0 24px; display: flex; align-items: center; gap: 28px; min-height: 56px; }
.brand { display: inline-flex; align-items: center; gap: 9px; color: #fff; text-decoration: none; font-weight: 700; font-size: 17px; letter-spacing: .2px; }
.brand:hover { color: #fff; }
.brand-mark { width: 22px; height: 22px; border-radius: 6px; background: linear-gradient(135deg, #5b82ff, #2e58e6 55%, #1b3aa8); box-shadow: inset 0 0 0 2px rgba(255,255,255,.18); }
.nav { display: flex; gap: 4px; flex: 1; overflow-x: auto; scrollbar-width: none; }
.nav a { color: #cbd2dc; text-decoration: none; padding: 8px 11px; border-radius: 6px; white-space: nowrap; font-size: 14px; font-weight: 500; }
.nav a:hover { color: #fff; background: rgba(255,255,255,.07); }
.nav a[aria-current="page"] { color: #fff; background: rgba(255,255,255,.13); }
.account { display: flex; align-items: center; gap: 12px; font-size: 13px; color: #aeb6c2; white-space: nowrap; }
.account form { margin: 0; }
.account .btn { background: transparent; border-color: #3b4656; color: #e5e7eb; }
.account .btn:hover { background: rgba(255,255,255,.08); color: #fff; }
.account code { background: rgba(255,255,255,.08); color: #dfe4ea; }

/* page */
main { max-width: 1200px; margin: 0 auto; padding: 28px 24px 64px; }
.page-head { display: flex; align-items: flex-end; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 20px; }
.page-head p { margin: 4px 0 0; color: var(--muted); }
.breadcrumb { font-size: 13px; margin-bottom: 6px; }
.breadcrumb a { color: var(--muted); }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: 10px; padding: 20px; margin-bottom: 20px; }
.card > h2:first-child { margin-top: 0; }
.card-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.card-head h2 { margin: 0; }
.grid-2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; align-items: start; margin-bottom: 20px; }
.grid-2 > .card { margin-bottom: 0; }
.stack > * + * { margin-top: 20px; }
.danger-zone { border-color: #f2c4c6; }

/* buttons */
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px; padding: 8px 15px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; font: inherit; font-size: 14px; font-weight: 600; line-height: 1.3; cursor: pointer; text-decoration: none; white-space: nowrap; }
.btn:hover { background: var(--accent-hover); border-color: var(--accent-hover); color: #fff; }
.btn-secondary { background: var(--surface); color: var(--text); border-color: var(--border-strong); }
.btn-secondary:hover { background: #f0f2f5; color: var(--text); border-color: var(--border-strong); }
.btn-danger { background: var(--danger); border-color: var(--danger); }
.btn-danger:hover { background: var(--danger-hover); border-color: var(--danger-hover); }
.btn-small { padding: 4px 10px; font-size: 13px; }
.actions { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
form.inline { display: inline; margin: 0; }

/* forms */
.field { display: flex; flex-direction: column; gap: 5px; margin-bottom: 16px; min-width: 0; }
.field > label, fieldset > legend { font-weight: 600; font-size: 14px; }
.hint { color: var(--muted); font-size: 13px; }
.optional { color: var(--muted); font-weight: 400; }
input[type="text"], input[type="password"], input[type="search"], input[type="date"], input[type="datetime-local"], select, textarea {
  font: inherit; font-size: 14px; color: var(--text); background: #fff; border: 1px solid var(--border-strong); border-radius: 6px; padding: 8px 10px; width: 100%; max-width: 100%; min-height: 38px;
}
textarea { resize: vertical; min-height: 76px; font-family: var(--mono); font-size: 13px; }
input:focus, select:focus, textarea:focus { outline: none; border-color: var(--accent); box-shadow: 0 0 0 3px rgba(46, 88, 230, .22); }
input[aria-invalid="true"] { border-color: var(--danger); }
.form-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); column-gap: 20px; }
.form-grid .span-2 { grid-column: 1 / -1; }
fieldset { border: 1px solid var(--border); border-radius: var(--radius); padding: 12px 14px 4px; margin: 0 0 16px; min-width: 0; }
.check { display: flex; gap: 8px; align-items: flex-start; font-size: 14px; margin-bottom: 10px; }
.check input { margin-top: 3px; width: 16px; height: 16px; flex: none; }
.check-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 0 12px; }
details.advanced { margin: 0 0 16px; }
details.advanced > summary { cursor: pointer; font-weight: 600; font-size: 14px; margin-bottom: 12px; }
.filters { display: flex; gap: 12px; align-items: flex-end; flex-wrap: wrap; margin-bottom: 16px; }
.filters .field { margin: 0; flex: 1 1 160px; }
.filters .field.grow { flex: 3 1 240px; }
.filters .field.submit { flex: 0 0 auto; }
.card-head .filters { margin: 0; flex-wrap: nowrap; align-items: flex-end; }
.card-head .filters .field { flex: 0 0 auto; }
.card-head .filters select { width: auto; }
.bind-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 10px; margin-bottom: 16px; }
.bind-item { border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 12px; background: #fafbfc; }
.bind-item .field { margin: 6px 0 0; }
.bind-item .field label { font-weight: 500; font-size: 13px; color: var(--muted); }

/* notices and badges */
.notice { border: 1px solid; border-left-width: 4px; border-radius: var(--radius); padding: 11px 14px; margin-bottom: 18px; font-size: 14px; }
.notice strong { display: block; margin-bottom: 2px; }
.notice-success { background: var(--ok-soft); border-color: #b7e0c9; border-left-color: var(--ok); }
.notice-error { background: var(--danger-soft); border-color: #f3c3c5; border-left-color: var(--danger); }
.notice-warn { background: var(--warn-soft); border-color: #f1dc9f; border-left-color: #d49a00; }
.notice-info { background: var(--accent-soft); border-color: #c9d6ff; border-left-color: var(--accent); }
.notice p:last-child { margin-bottom: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; line-height: 20px; background: #eef0f4; color: #3a4350; white-space: nowrap; }
.badge-ok { background: var(--ok-soft); color: var(--ok); }
.badge-danger { background: var(--danger-soft); color: var(--danger); }
.badge-warn { background: var(--warn-soft); color: var(--warn); }
.badge-info { background: var(--accent-soft); color: var(--accent-hover); }

/* tables */
.table-wrap { overflow-x: auto; border: 1px solid var(--border); border-radius: 10px; background: var(--surface); }
.card .table-wrap { border-radius: var(--radius); }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th { text-align: left; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #f9fafb; padding: 9px 12px; border-bottom: 1px solid var(--border); white-space: nowrap; }
td { padding: 10px 12px; border-bottom: 1px solid var(--border); vertical-align: top; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: #fafbfd; }
td.details { min-width: 240px; max-width: 420px; }
.kv { display: inline-block; margin: 0 10px 2px 0; overflow-wrap: anywhere; }
.kv .k { color: var(--muted); }
code.example { display: inline-block; margin-top: 2px; }
.scopes { display: flex; flex-wrap: wrap; gap: 4px; }
td.name { min-width: 130px; }
td.name a { font-weight: 600; text-decoration: none; }
td.name a:hover { text-decoration: underline; }
tr.row-blocked td { background: #fff6f6; }
tr.row-blocked td:first-child { box-shadow: inset 4px 0 0 var(--danger); }
tr.row-blocked:hover td { background: #ffefef; }
tr.row-error td:first-child { box-shadow: inset 4px 0 0 #d49a00; }
.hosts { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0; padding: 0; }
.preview { font-family: var(--mono); font-size: 13px; letter-spacing: .5px; white-space: nowrap; }
.pager { display: flex; justify-content: flex-end; gap: 10px; margin-top: 12px; }
dl.meta { display: grid; grid-template-columns: 150px minmax(0, 1fr); gap: 8px 16px; margin: 0; font-size: 14px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }

/* empty states */
.empty { text-align: center; padding: 40px 20px; border: 1px dashed var(--border-strong); border-radius: 10px; background: var(--surface); }
.empty h2 { margin-bottom: 6px; }
.empty p { color: var(--muted); max-width: 520px; margin: 0 auto 16px; }

/* shown-once blocks */
.once { position: relative; }
pre.once-value { background: #0f172a; color: #e2e8f0; padding: 14px 16px; border-radius: var(--radius); margin: 0 0 10px; white-space: pre-wrap; word-break: break-all; max-height: 340px; overflow: auto; }

/* providers */
.provider-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 16px; }
.provider { margin: 0; display: flex; flex-direction: column; gap: 10px; }
.provider h2 { margin: 0; font-size: 16px; }
.provider dl.meta { grid-template-columns: 96px minmax(0, 1fr); font-size: 13px; }
.provider .actions { margin-top: auto; }

/* sign-in */
.auth-page { min-height: 100vh; display: flex; align-items: center; justify-content: center; padding: 24px 16px; }
.auth-card { width: 100%; max-width: 420px; }
.auth-card .brand { color: var(--text); margin-bottom: 18px; font-size: 20px; }
.auth-card .brand:hover { color: var(--text); }
.auth-card .btn { width: 100%; padding: 10px 15px; }
.auth-card h1 { margin-bottom: 6px; }
.auth-card p.muted { margin-bottom: 18px; font-size: 14px; }

/* phones */
@media (max-width: 760px) {
  .site-header .inner { flex-wrap: wrap; gap: 4px 12px; padding: 10px 14px 0; }
  .nav { order: 3; flex-basis: 100%; margin: 0 -8px; padding-bottom: 6px; gap: 0; }
  .nav a { padding: 7px 8px; font-size: 13.5px; }
  .account { margin-left: auto; }
  .account .who { display: none; }
  main { padding: 20px 14px 48px; }
  h1 { font-size: 21px; }
  .card { padding: 16px; }
  .grid-2, .form-grid { grid-template-columns: minmax(0, 1fr); }
  .grid-2 { gap: 16px; }
  dl.meta { grid-template-columns: minmax(0, 1fr); gap: 2px; }
  dl.meta dd { margin-bottom: 8px; }
  .table-wrap.cards { border: 0; background: transparent; overflow: visible; }
  .cards table, .cards tbody, .cards tr, .cards td { display: block; width: 100%; }
  .cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .cards tr { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); margin-bottom: 10px; padding: 6px 0; }
  .cards td { border: 0; padding: 5px 14px; display: grid; grid-template-columns: 96px minmax(0, 1fr); gap: 10px; overflow-wrap: anywhere; }
  .cards td > * { min-width: 0; justify-self: start; }
  .cards td:empty, .cards td.no-card { display: none; }
  td.details { max-width: none; min-width: 0; }
  .cards td::before { content: attr(data-label); color: var(--muted); font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; padding-top: 2px; }
  .cards td.name { font-size: 15px; }
  .cards tr.row-blocked { border-left: 4px solid var(--danger); background: #fff6f6; }
  .cards tr.row-blocked td { background: transparent; box-shadow: none; }
  .filters .field { flex-basis: 100%; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
