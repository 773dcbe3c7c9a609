import type { ApiKey, AuditEvent } from '../../core/types.js';
import type { ChainReport } from '../../store/repos/audit.js';
import type { StandinError } from '../../core/errors.js';
import { PageHead } from './layout.js';
import { Badge, Empty, ErrorNotice, Field, Pager, Time } from './ui.js';

export interface AuditFilters {
  action: string;
  key: string;
  since: string;
  until: string;
}

/** Actions the services record, offered as suggestions (the field accepts any, and `prefix.*`). */
export const KNOWN_ACTIONS = [
  'secrets.*', 'secrets.create', 'secrets.update', 'secrets.rotate', 'secrets.delete', 'secrets.inject',
  'sandboxes.*', 'sandboxes.create', 'sandboxes.delete', 'keys.*', 'keys.create', 'keys.revoke',
  'workspaces.create', 'users.create', 'tenant.init', 'auth.*', 'auth.signin', 'auth.signout',
];

/** Details as `key value` pairs: they are value-free facts (names, ids, versions, reasons). */
function Details(props: { details: Record<string, unknown> }) {
  const text = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v !== 'object') return String(v);
    if (Array.isArray(v)) return v.length ? v.map(text).join(', ') : '—';
    const s = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${text(x)}`).join(' ');
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  };
  return (
    <div>
      {Object.entries(props.details).map(([k, v]) => (
        <span class="kv"><span class="k">{k}</span> {text(v)}</span>
      ))}
    </div>
  );
}

function ChainStatus(props: { chain: ChainReport | null }) {
  const c = props.chain;
  if (!c) return null;
  if (c.ok) {
    return (
      <div class="notice notice-success" role="status">
        <strong>Chain verified</strong>
        All {c.rows} rows link to the one before them: none was changed, removed or reordered.
      </div>
    );
  }
  return (
    <div class="notice notice-error" role="alert">
      <strong>Chain broken at row {c.brokenAt?.seq}</strong>
      {c.brokenAt?.reason}{c.brokenAt?.id ? <> (row <code>{c.brokenAt.id}</code>)</> : null}. Rows from there on cannot be trusted; restore from a backup and investigate.
    </div>
  );
}

export function AuditPage(props: {
  events: AuditEvent[]; nextCursor: string | null; filters: AuditFilters; keys: ApiKey[] | null; chain: ChainReport | null;
  error?: StandinError | null; href: (cursor?: string) => string; paged: boolean;
}) {
  const f = props.filters;
  const filtered = Boolean(f.action || f.key || f.since || f.until);
  return (
    <>
      <PageHead title="Audit log" description="Every control-plane change and credential use, hash-chained so tampering shows." />
      <ChainStatus chain={props.chain} />
      <ErrorNotice error={props.error} />
      <form method="get" action="/audit" class="filters" role="search" hx-get="/audit" hx-trigger="change, submit" hx-target="#audit-results" hx-select="#audit-results" hx-swap="outerHTML" hx-push-url="true">
        <Field id="action" label="Action">
          <input type="text" id="action" name="action" value={f.action} list="known-actions" placeholder="e.g. secrets.* " spellcheck={false} autocomplete="off" />
        </Field>
        <datalist id="known-actions">
          {KNOWN_ACTIONS.map((a) => <option value={a} />)}
        </datalist>
        <Field id="key" label="API key">
          {props.keys ? (
            <select id="key" name="key">
              <option value="">Any key</option>
              {props.keys.map((k) => <option value={k.id} selected={f.key === k.id}>{`${k.name} (${k.prefix}…)${k.revokedAt ? ', revoked' : ''}`}</option>)}
              {f.key && !props.keys.some((k) => k.id === f.key) ? <option value={f.key} selected>{f.key}</option> : null}
            </select>
          ) : (
            <input type="text" id="key" name="key" value={f.key} placeholder="key_…" spellcheck={false} />
          )}
        </Field>
        <Field id="since" label="From (UTC)">
          <input type="datetime-local" id="since" name="since" value={f.since} />
        </Field>
        <Field id="until" label="To (UTC)">
          <input type="datetime-local" id="until" name="until" value={f.until} />
        </Field>
        <div class="field submit">
          <button type="submit" class="btn btn-secondary">Filter</button>
        </div>
      </form>
      <div id="audit-results">
        {props.events.length === 0 ? (
          filtered ? (
            <Empty title="No events match these filters">
              <p>Widen the time range, or use a prefix such as <code>secrets.*</code> for the action.</p>
              <a class="btn btn-secondary" href="/audit">Clear filters</a>
            </Empty>
          ) : (
            <Empty title="No events yet">
              <p>Add a secret or create a sandbox; every change and every credential use is recorded here.</p>
            </Empty>
          )
        ) : (
          <>
            <div class="table-wrap cards">
              <table>
                <caption class="sr-only">Audit events, newest first</caption>
                <thead>
                  <tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Details</th></tr>
                </thead>
                <tbody>
                  {props.events.map((e) => (
                    <tr class={e.outcome === 'denied' ? 'row-blocked' : e.outcome === 'error' ? 'row-error' : undefined}>
                      <td data-label="When"><div><Time at={e.at} /><div class="muted small">#{e.seq}</div></div></td>
                      <td data-label="Action" class="mono">{e.action}</td>
                      <td data-label="Outcome">
                        <Badge tone={e.outcome === 'success' ? 'ok' : e.outcome === 'denied' ? 'danger' : 'warn'}>{e.outcome}</Badge>
                      </td>
                      <td data-label="Actor" class="small mono"><div>{e.actor.split(' ').map((part) => <div>{part}</div>)}</div></td>
                      <td data-label="Target" class="small mono">
                        {e.target && /^sec_[0-9A-Za-z]+$/.test(e.target) ? <a href={`/secrets/${e.target}`}>{e.target}</a>
                          : e.target && /^sbx_[0-9A-Za-z]+$/.test(e.target) ? <a href={`/sandboxes/${e.target}`}>{e.target}</a>
                          : e.target ?? '—'}
                      </td>
                      <td data-label="Details" class="small details"><Details details={e.details} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager next={props.nextCursor} first={props.paged ? props.href() : null} href={(cursor) => props.href(cursor)} />
          </>
        )}
      </div>
    </>
  );
}
