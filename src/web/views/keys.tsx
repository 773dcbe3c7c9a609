import { API_SCOPES, type ApiKey, type ApiScope } from '../../core/types.js';
import type { StandinError } from '../../core/errors.js';
import { PageHead } from './layout.js';
import { Badge, Csrf, Empty, ErrorNotice, Field, FlashNotice, OnceBlock, Time } from './ui.js';

const SCOPE_TEXT: Record<ApiScope, string> = {
  'secrets:read': 'read secret metadata',
  'secrets:write': 'add, rotate, delete secrets',
  'secrets:inject': 'put real values into a sandbox env (env mode)',
  'sandboxes:read': 'list sandboxes and their logs',
  'sandboxes:write': 'create and delete sandboxes',
  'audit:read': 'read the audit log',
  'keys:read': 'list API keys',
  'keys:write': 'create and revoke API keys',
  admin: 'workspaces, users, keyring',
};

export interface KeyFormValues {
  name: string;
  scopes: string[];
  expires: string;
}

function status(k: ApiKey, now: number) {
  if (k.revokedAt) return <Badge tone="danger">revoked</Badge>;
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export function KeysPage(props: {
  keys: ApiKey[]; held: readonly ApiScope[]; currentKeyId: string; csrf: string; values: KeyFormValues; error?: StandinError | null; notice?: string; canWrite: boolean;
}) {
  const now = Date.now();
  const canGrant = (s: ApiScope) => props.held.includes(s) || props.held.includes('admin');
  const active = props.keys.filter((k) => !k.revokedAt);
  const revoked = props.keys.filter((k) => k.revokedAt).sort((a, b) => (b.revokedAt ?? '').localeCompare(a.revokedAt ?? ''));
  return (
    <>
      <PageHead title="API keys" description="Keys for the API, the CLI and this dashboard. A key is shown once, when it is created; standin keeps only its hash." />
      <FlashNotice name={props.notice} />
      <section class="card" aria-labelledby="keys-title">
        <h2 id="keys-title">Active keys</h2>
        {active.length === 0 ? (
          <Empty title="No keys you can see">
            <p>Create a key for a CI job or a teammate with the form below.</p>
          </Empty>
        ) : (
          <div class="table-wrap cards">
            <table>
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {active.map((k) => (
                  <tr>
                    <td class="name" data-label="Name">
                      <div>
                        {k.name}
                        {k.id === props.currentKeyId ? <div class="muted small">this session</div> : null}
                      </div>
                    </td>
                    <td data-label="Prefix" class="nowrap"><code>{k.prefix}…</code></td>
                    <td data-label="Scopes">
                      <div class="scopes">
                        {k.scopes.map((sc) => (sc === 'admin' ? <Badge tone="warn">admin</Badge> : <Badge>{sc}</Badge>))}
                      </div>
                    </td>
                    <td data-label="Created"><Time at={k.createdAt} /></td>
                    <td data-label="Last used"><Time at={k.lastUsedAt} /></td>
                    <td data-label="Status">
                      <div>
                        {status(k, now)}
                        {k.expiresAt ? <div class="muted small">expires <Time at={k.expiresAt} /></div> : null}
                      </div>
                    </td>
                    <td data-label="Actions" class={props.canWrite && !k.revokedAt ? undefined : 'no-card'}>
                      {props.canWrite && !k.revokedAt ? <a class="btn btn-secondary btn-small" href={`/keys/${k.id}/revoke`} aria-label={`Revoke ${k.name}`}>Revoke</a> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {revoked.length > 0 ? (
        <section class="card" aria-labelledby="revoked-title" id="revoked-keys">
          <h2 id="revoked-title">Revoked keys</h2>
          <p class="muted small">Revoked keys no longer work. They are listed so their rows in the audit log keep a name.</p>
          <div class="table-wrap cards">
            <table>
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Revoked</th></tr>
              </thead>
              <tbody>
                {revoked.map((k) => (
                  <tr>
                    <td class="name" data-label="Name">{k.name}</td>
                    <td data-label="Prefix" class="nowrap"><code>{k.prefix}…</code></td>
                    <td data-label="Created"><Time at={k.createdAt} /></td>
                    <td data-label="Last used"><Time at={k.lastUsedAt} /></td>
                    <td data-label="Revoked"><div><Badge tone="danger">revoked</Badge> <Time at={k.revokedAt} /></div></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      <section class="card" aria-labelledby="create-title">
        <h2 id="create-title">Create a key</h2>
        {!props.canWrite ? (
          <p class="muted">Your key cannot create keys (it lacks <code>keys:write</code>).</p>
        ) : (
          <>
            <ErrorNotice error={props.error} />
            <form method="post" action="/keys">
              <Csrf token={props.csrf} />
              <div class="form-grid">
                <Field id="key-name" label="Name" hint="Who or what uses it, e.g. ci-deploy or alice-laptop.">
                  <input type="text" id="key-name" name="name" value={props.values.name} required maxlength={100} aria-describedby="key-name-hint" />
                </Field>
                <Field id="expires" label="Expires" optional hint="The key stops working at the end of this day (UTC).">
                  <input type="date" id="expires" name="expires" value={props.values.expires} aria-describedby="expires-hint" />
                </Field>
              </div>
              <fieldset>
                <legend>Scopes</legend>
                <div class="check-grid">
                  {API_SCOPES.map((s) => (
                    <label class="check">
                      <input type="checkbox" name="scopes" value={s} checked={props.values.scopes.includes(s)} disabled={!canGrant(s)} />
                      <span><code>{s}</code><br /><span class="muted small">{SCOPE_TEXT[s]}</span></span>
                    </label>
                  ))}
                </div>
              </fieldset>
              <button type="submit" class="btn">Create key</button>
            </form>
          </>
        )}
      </section>
    </>
  );
}

export function KeyCreated(props: { apiKey: ApiKey; secret: string }) {
  return (
    <>
      <PageHead title="API key created" crumb={{ href: '/keys', label: 'API keys' }} description={<>{props.apiKey.name} · scopes {props.apiKey.scopes.join(', ')}</>} />
      <div class="notice notice-warn" role="status">
        <strong>Copy the key now: it is shown only this once.</strong>
        standin stores only its hash. If you lose it, revoke it and create another.
      </div>
      <section class="card">
        <OnceBlock id="new-key" label="API key" text={props.secret} copyLabel="Copy key" />
        <p class="muted small">Send it as <code>Authorization: Bearer …</code>, set it as <code>STANDIN_API_KEY</code> for the CLI, or sign in to this dashboard with it.</p>
      </section>
      <a class="btn" href="/keys">Done</a>
    </>
  );
}
