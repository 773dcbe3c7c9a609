import type { EgressEvent, Sandbox } from '../../core/types.js';
import type { BindingView } from '../../services/sandboxes.js';
import { scopeLabel } from '../format.js';
import { PageHead } from './layout.js';
import { Badge, DecisionBadge, Field, FlashNotice, Hosts, Pager, Time } from './ui.js';

export function BindingsTable(props: { bindings: BindingView[] }) {
  if (props.bindings.length === 0) return <p class="muted">No secrets bound. Plain variables and the proxy still work; create another sandbox to bind secrets.</p>;
  return (
    <div class="table-wrap cards">
      <table>
        <thead>
          <tr><th scope="col">Env name</th><th scope="col">Secret</th><th scope="col">Mode</th><th scope="col">Resolves to</th></tr>
        </thead>
        <tbody>
          {props.bindings.map((b) => (
            <tr>
              <td data-label="Env name" class="mono">{b.envName}</td>
              <td data-label="Secret">{b.resolved ? <a href={`/secrets/${b.resolved.secretId}`}>{b.secretName}</a> : b.secretName}</td>
              <td data-label="Mode">{b.mode === 'proxy' ? <Badge tone="info">placeholder</Badge> : <Badge tone="warn">value injected</Badge>}</td>
              <td data-label="Resolves to">
                {b.resolved ? <span class="small">{scopeLabel(b.resolved.scope, b.resolved.scopeRef)} · v{b.resolved.version}</span> : <Badge tone="danger">does not resolve</Badge>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const rowClass = (e: EgressEvent) => (e.decision === 'blocked' ? 'row-blocked' : e.decision === 'error' ? 'row-error' : undefined);

export function NetworkLog(props: { sandboxId: string; events: EgressEvent[]; nextCursor: string | null; decision: string; paged: boolean; secretNames: Map<string, string> }) {
  const base = `/sandboxes/${props.sandboxId}`;
  const withDecision = (cursor?: string) => {
    const u = new URLSearchParams();
    if (props.decision) u.set('decision', props.decision);
    if (cursor) u.set('cursor', cursor);
    const s = u.toString();
    return `${base}${s ? `?${s}` : ''}#network`;
  };
  return (
    <section class="card" id="network" aria-labelledby="network-title">
      <div class="card-head">
        <h2 id="network-title">Network log</h2>
        <form method="get" action={`${base}#network`} class="filters" hx-get={base} hx-trigger="change" hx-target="#network-results" hx-select="#network-results" hx-swap="outerHTML" hx-push-url="true">
          <Field id="decision" label="Decision">
            <select id="decision" name="decision">
              <option value="">All requests</option>
              <option value="allowed" selected={props.decision === 'allowed'}>Allowed</option>
              <option value="blocked" selected={props.decision === 'blocked'}>Blocked</option>
              <option value="error" selected={props.decision === 'error'}>Errors</option>
            </select>
          </Field>
          <div class="field submit"><button type="submit" class="btn btn-secondary">Show</button></div>
        </form>
      </div>
      <div id="network-results">
        {props.events.length === 0 ? (
          <p class="muted">{props.decision ? 'No requests with this decision.' : 'No requests yet. Requests the sandbox sends through its proxy URL appear here, with the decision and the reason.'}</p>
        ) : (
          <>
            <div class="table-wrap cards">
              <table>
                <caption class="sr-only">Requests through the proxy, newest first</caption>
                <thead>
                  <tr><th scope="col">When</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Decision</th><th scope="col">Reason</th><th scope="col">Secrets</th></tr>
                </thead>
                <tbody>
                  {props.events.map((e) => (
                    <tr class={rowClass(e)}>
                      <td data-label="When"><Time at={e.at} /></td>
                      <td data-label="Request" class="mono">{e.method} {e.scheme}://{e.host}{(e.scheme === 'https' && e.port === 443) || (e.scheme === 'http' && e.port === 80) ? '' : `:${e.port}`}{e.path}</td>
                      <td data-label="Status">{e.status ?? '—'}</td>
                      <td data-label="Decision"><DecisionBadge decision={e.decision} /></td>
                      <td data-label="Reason" class="small">{e.reason ?? <span class="muted">—</span>}</td>
                      <td data-label="Secrets" class="small">
                        {e.secrets.length === 0 ? <span class="muted">none</span> : <div>{e.secrets.map((s) => (
                          <div>{/^sec_[0-9A-Za-z]+$/.test(s.secret) ? <a href={`/secrets/${s.secret}`}>{props.secretNames.get(s.secret) ?? s.secret}</a> : s.secret} v{s.version}</div>
                        ))}</div>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager next={props.nextCursor} first={props.paged ? withDecision() : null} href={(c) => withDecision(c)} />
          </>
        )}
      </div>
    </section>
  );
}

export function SandboxDetail(props: { sandbox: Sandbox; bindings: BindingView[]; log: Parameters<typeof NetworkLog>[0]; notice?: string }) {
  const s = props.sandbox;
  const env = Object.entries(s.env);
  return (
    <>
      <PageHead
        title={s.name ?? 'Unnamed sandbox'}
        crumb={{ href: '/sandboxes', label: 'Sandboxes' }}
        description={<code>{s.id}</code>}
        actions={<a class="btn btn-secondary" href={`/sandboxes/${s.id}/delete`}>Delete</a>}
      />
      <FlashNotice name={props.notice} />
      <div class="grid-2">
        <section class="card" aria-labelledby="identity-title">
          <h2 id="identity-title">Identity</h2>
          <dl class="meta">
            <dt>Created</dt><dd><Time at={s.createdAt} /></dd>
            <dt>User</dt><dd class="mono small">{s.userId ?? '—'}</dd>
            <dt>Workspace</dt><dd class="mono small">{s.workspaceId ?? '—'}</dd>
            <dt>External ids</dt><dd class="mono small">{s.externalWorkspace || s.externalUser ? `${s.externalWorkspace ?? '—'} / ${s.externalUser ?? '—'}` : '—'}</dd>
            <dt>Session</dt><dd class="mono small">{s.sessionId ?? '—'}</dd>
            <dt>Egress allowlist</dt><dd>{s.egress.allowHosts ? <Hosts hosts={s.egress.allowHosts} /> : <span class="muted">any host (credentials only to their own hosts)</span>}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="env-title">
          <h2 id="env-title">Plain variables</h2>
          {env.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <dl class="meta">
              {env.map(([k, v]) => (
                <>
                  <dt class="mono">{k}</dt>
                  <dd class="mono">{v}</dd>
                </>
              ))}
            </dl>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="bindings-title">
        <h2 id="bindings-title">Bindings</h2>
        <BindingsTable bindings={props.bindings} />
      </section>
      <NetworkLog {...props.log} />
    </>
  );
}
