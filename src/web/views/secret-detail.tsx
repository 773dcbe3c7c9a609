import type { EgressEvent, Sandbox, SecretMeta, SecretVersionMeta } from '../../core/types.js';
import type { StandinError } from '../../core/errors.js';
import type { Provider } from '../../core/providers.js';
import { scopeLabel } from '../format.js';
import { PageHead } from './layout.js';
import { Badge, Csrf, DecisionBadge, ErrorNotice, Field, FlashNotice, Hosts, Preview, Time } from './ui.js';

export interface ExplainView {
  sandboxId: string;
  steps: Array<{ scope: string; scopeRef: string | null; status: string; secretId: string | null }>;
  resolved: { scope: string; scopeRef: string; secretId: string | null; version: number | null } | null;
  reason: string;
}

export interface SecretDetailProps {
  secret: SecretMeta;
  provider: Provider | undefined;
  versions: SecretVersionMeta[];
  usage: EgressEvent[];
  sandboxes: Sandbox[] | null;
  explain: ExplainView | null;
  explainError: StandinError | null;
  csrf: string;
  notice?: string;
  editError?: StandinError | null;
  rotateError?: StandinError | null;
  edit?: { hosts: string; description: string; exposeAs: string };
}

const STEP_TEXT: Record<string, string> = {
  hit: 'Wins',
  shadowed: 'Shadowed by a more specific level',
  miss: 'Nothing here',
  not_applicable: 'The sandbox has no id for this level',
};

export function SecretDetail(props: SecretDetailProps) {
  const s = props.secret;
  const edit = props.edit ?? { hosts: s.hosts.join('\n'), description: s.description ?? '', exposeAs: s.exposeAs };
  const base = `/secrets/${s.id}`;
  return (
    <>
      <PageHead
        title={s.name}
        crumb={{ href: '/secrets', label: 'Secrets' }}
        description={s.description ?? undefined}
        actions={<a class="btn btn-secondary" href={`${base}/delete`}>Delete</a>}
      />
      <FlashNotice name={props.notice} />
      {s.hosts.length === 0 ? (
        <div class="notice notice-warn" role="status">This secret has no hosts, so the proxy never sends it anywhere. Add hosts below before binding it to a sandbox.</div>
      ) : null}
      <div class="grid-2">
        <section class="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl class="meta">
            <dt>Preview</dt><dd><Preview preview={s.preview} /></dd>
            <dt>Version</dt><dd>v{s.version}</dd>
            <dt>Type</dt><dd>{s.type === 'basic' ? 'Basic (username + password)' : 'Token'}</dd>
            <dt>Provider</dt><dd>{props.provider ? props.provider.name : <span class="muted">custom</span>}</dd>
            <dt>Scope</dt><dd>{scopeLabel(s.scope, s.scopeRef)}</dd>
            <dt>Expose as</dt><dd><code>{s.exposeAs}</code></dd>
            <dt>Hosts</dt><dd><Hosts hosts={s.hosts} /></dd>
            <dt>Options</dt>
            <dd>
              {s.autoBind ? <Badge tone="info">auto-bind</Badge> : null} {s.bodyPlaceholders ? <Badge tone="info">body swap</Badge> : null}{' '}
              {s.allowInsecureHttp ? <Badge tone="warn">plain HTTP allowed</Badge> : null}
              {!s.autoBind && !s.bodyPlaceholders && !s.allowInsecureHttp ? <span class="muted">defaults</span> : null}
            </dd>
            <dt>Created</dt><dd><Time at={s.createdAt} /></dd>
            <dt>Updated</dt><dd><Time at={s.updatedAt} /></dd>
            <dt>Last used</dt><dd><Time at={s.lastUsedAt} /></dd>
            <dt>Id</dt><dd><code>{s.id}</code></dd>
          </dl>
        </section>
        <div class="stack">
          <section class="card" aria-labelledby="edit-title">
            <h2 id="edit-title">Edit</h2>
            <ErrorNotice error={props.editError} />
            <form method="post" action={base}>
              <Csrf token={props.csrf} />
              <Field id="hosts" label="Hosts" hint="One host rule per line.">
                <textarea id="hosts" name="hosts" rows={3} spellcheck={false} aria-describedby="hosts-hint">{edit.hosts}</textarea>
              </Field>
              <Field id="exposeAs" label="Expose as">
                <input type="text" id="exposeAs" name="exposeAs" value={edit.exposeAs} spellcheck={false} />
              </Field>
              <Field id="description" label="Description" optional>
                <input type="text" id="description" name="description" value={edit.description} maxlength={500} />
              </Field>
              <button type="submit" class="btn">Save</button>
            </form>
          </section>
          <section class="card" aria-labelledby="rotate-title">
            <h2 id="rotate-title">Rotate</h2>
            <p class="muted small">Stores a new value as v{s.version + 1}. Sandboxes keep their placeholders and use the new value on their next request.</p>
            <ErrorNotice error={props.rotateError} />
            <form method="post" action={`${base}/rotate`} autocomplete="off">
              <Csrf token={props.csrf} />
              <Field id="new-value" label="New value">
                <input type="password" id="new-value" name="value" required autocomplete="new-password" spellcheck={false} />
              </Field>
              {s.type === 'basic' ? (
                <Field id="new-username" label="New username" optional hint="Leave empty to keep the current one.">
                  <input type="text" id="new-username" name="username" autocomplete="off" spellcheck={false} aria-describedby="new-username-hint" />
                </Field>
              ) : null}
              <button type="submit" class="btn">Rotate</button>
            </form>
          </section>
        </div>
      </div>

      <section class="card" aria-labelledby="usage-title">
        <div class="card-head">
          <h2 id="usage-title">Usage</h2>
          <span class="muted small">Recent requests the proxy swapped this secret into</span>
        </div>
        {props.usage.length === 0 ? (
          <p class="muted">Not used yet. Bind it to a sandbox; each request that carries its placeholder shows up here.</p>
        ) : (
          <div class="table-wrap cards">
            <table>
              <thead>
                <tr><th scope="col">When</th><th scope="col">Sandbox</th><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Decision</th></tr>
              </thead>
              <tbody>
                {props.usage.map((e) => (
                  <tr class={e.decision === 'blocked' ? 'row-blocked' : e.decision === 'error' ? 'row-error' : undefined}>
                    <td data-label="When"><Time at={e.at} /></td>
                    <td data-label="Sandbox"><a href={`/sandboxes/${e.sandboxId}`} class="mono">{e.sandboxId}</a></td>
                    <td data-label="Request" class="mono">{e.method} {e.host}{e.port === 443 ? '' : `:${e.port}`}{e.path}</td>
                    <td data-label="Status">{e.status ?? '—'}</td>
                    <td data-label="Decision"><DecisionBadge decision={e.decision} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <div class="grid-2">
        <section class="card" aria-labelledby="versions-title">
          <h2 id="versions-title">Versions</h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr><th scope="col">Version</th><th scope="col">Preview</th><th scope="col">Saved</th><th scope="col">By</th></tr>
              </thead>
              <tbody>
                {props.versions.map((v) => (
                  <tr>
                    <td>v{v.version}{v.version === s.version ? <> <Badge tone="ok">current</Badge></> : null}</td>
                    <td><Preview preview={v.preview} /></td>
                    <td><Time at={v.createdAt} /></td>
                    <td class="mono small">{v.createdBy ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section class="card" aria-labelledby="explain-title">
          <h2 id="explain-title">Explain for a sandbox</h2>
          <p class="muted small">Which secret named <code>{s.name}</code> a sandbox gets, level by level (most specific first).</p>
          {props.sandboxes === null ? (
            <p class="muted">Your key cannot list sandboxes (it lacks <code>sandboxes:read</code>).</p>
          ) : props.sandboxes.length === 0 ? (
            <p class="muted">No sandboxes yet. <a href="/sandboxes/new">Create a sandbox</a> to see how this secret resolves for it.</p>
          ) : (
            <form method="get" action={base} class="filters">
              <Field id="explain-sandbox" label="Sandbox" class="grow">
                <select id="explain-sandbox" name="sandbox">
                  {props.sandboxes.map((b) => (
                    <option value={b.id} selected={props.explain?.sandboxId === b.id}>{b.name ? `${b.name} (${b.id})` : b.id}</option>
                  ))}
                </select>
              </Field>
              <div class="field submit"><button type="submit" class="btn btn-secondary">Explain</button></div>
            </form>
          )}
          <ErrorNotice error={props.explainError} />
          {props.explain ? <ExplainResult explain={props.explain} /> : null}
        </section>
      </div>
    </>
  );
}

function ExplainResult(props: { explain: ExplainView }) {
  const e = props.explain;
  return (
    <div id="explain-result">
      <div class={`notice ${e.resolved ? 'notice-success' : 'notice-warn'}`} role="status">
        <p>{e.reason}</p>
      </div>
      <div class="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">Level</th><th scope="col">Id</th><th scope="col">Result</th></tr>
          </thead>
          <tbody>
            {e.steps.map((st) => (
              <tr>
                <td>{st.scope}</td>
                <td class="mono small">{st.scopeRef ?? '—'}</td>
                <td>
                  {st.status === 'hit' ? <Badge tone="ok">{STEP_TEXT.hit}</Badge> : st.status === 'shadowed' ? <Badge tone="warn">Shadowed</Badge> : <span class="muted small">{STEP_TEXT[st.status] ?? st.status}</span>}
                  {st.secretId && st.status !== 'hit' ? <> <a class="small" href={`/secrets/${st.secretId}`}>view</a></> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
