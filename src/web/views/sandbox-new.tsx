import type { SecretMeta } from '../../core/types.js';
import type { StandinError } from '../../core/errors.js';
import { PageHead } from './layout.js';
import { Csrf, ErrorNotice, Field } from './ui.js';

/** The form's entries, shown again after an error (no credential is ever among them). */
export interface SandboxFormValues {
  name: string;
  /** Secret name → env name, for the secrets ticked to bind. */
  bind: Map<string, string>;
  envNames: Map<string, string>;
  env: string;
  allowHosts: string;
  workspaceId: string;
  externalWorkspace: string;
  externalUser: string;
  sessionId: string;
}

export const emptySandboxForm = (): SandboxFormValues => ({
  name: '', bind: new Map(), envNames: new Map(), env: '', allowHosts: '', workspaceId: '', externalWorkspace: '', externalUser: '', sessionId: '',
});

export function SandboxNew(props: { secrets: SecretMeta[]; values: SandboxFormValues; csrf: string; error?: StandinError | null; secretsHidden: boolean }) {
  const v = props.values;
  // One entry per name: bindings resolve by name for the sandbox's coordinates.
  const byName = new Map<string, SecretMeta>();
  for (const s of props.secrets) if (!byName.has(s.name)) byName.set(s.name, s);
  const secrets = [...byName.values()];
  return (
    <>
      <PageHead title="Create sandbox" crumb={{ href: '/sandboxes', label: 'Sandboxes' }} description="Choose the secrets the sandbox may use. It gets a placeholder for each, never the value." />
      <ErrorNotice error={props.error} />
      <form method="post" action="/sandboxes" class="card">
        <Csrf token={props.csrf} />
        <Field id="sandbox-name" label="Name" optional hint="To recognise it in lists, e.g. ci-nightly or agent-42.">
          <input type="text" id="sandbox-name" name="name" value={v.name} maxlength={128} aria-describedby="sandbox-name-hint" />
        </Field>
        <fieldset>
          <legend>Secrets to bind</legend>
          {props.secretsHidden ? (
            <p class="muted small">Your key cannot list secrets (it lacks <code>secrets:read</code>).</p>
          ) : secrets.length === 0 ? (
            <p class="muted small">No secrets yet. <a href="/secrets/new">Add a secret</a> first, then bind it here.</p>
          ) : (
            <div class="bind-list">
              {secrets.map((s, i) => {
                const noHosts = s.hosts.length === 0;
                return (
                  <div class="bind-item">
                    <label class="check">
                      <input type="checkbox" id={`bind-${i}`} name="bind" value={s.name} checked={v.bind.has(s.name)} disabled={noHosts} />
                      <span>
                        Bind <strong>{s.name}</strong>
                        <span class="muted small"> · {noHosts ? 'no hosts, cannot be bound' : s.hosts.slice(0, 2).join(', ') + (s.hosts.length > 2 ? ', …' : '')}</span>
                      </span>
                    </label>
                    <Field id={`env-${i}`} label="Env name">
                      <input type="text" id={`env-${i}`} name={`env:${s.name}`} value={v.envNames.get(s.name) ?? s.exposeAs} spellcheck={false} disabled={noHosts} />
                    </Field>
                  </div>
                );
              })}
            </div>
          )}
        </fieldset>
        <div class="form-grid">
          <Field id="plain-env" label="Plain environment variables" optional hint="One KEY=value per line. Not secret: they are shown on the sandbox page.">
            <textarea id="plain-env" name="env" rows={4} spellcheck={false} aria-describedby="plain-env-hint">{v.env}</textarea>
          </Field>
          <Field id="allow-hosts" label="Egress allowlist" optional hint="Hosts the sandbox may reach at all, one per line. Empty: any host; credentials still go only to their own hosts.">
            <textarea id="allow-hosts" name="allowHosts" rows={4} spellcheck={false} aria-describedby="allow-hosts-hint">{v.allowHosts}</textarea>
          </Field>
        </div>
        <details class="advanced">
          <summary>Identity (optional)</summary>
          <p class="muted small">Coordinates that pick workspace-, external- and session-scoped secrets. External ids and sessions need an admin key.</p>
          <div class="form-grid">
            <Field id="workspaceId" label="Workspace" optional>
              <input type="text" id="workspaceId" name="workspaceId" value={v.workspaceId} spellcheck={false} />
            </Field>
            <Field id="sessionId" label="Session id" optional>
              <input type="text" id="sessionId" name="sessionId" value={v.sessionId} spellcheck={false} />
            </Field>
            <Field id="externalWorkspace" label="External workspace id" optional>
              <input type="text" id="externalWorkspace" name="externalWorkspace" value={v.externalWorkspace} spellcheck={false} />
            </Field>
            <Field id="externalUser" label="External user id" optional>
              <input type="text" id="externalUser" name="externalUser" value={v.externalUser} spellcheck={false} />
            </Field>
          </div>
        </details>
        <div class="actions">
          <button type="submit" class="btn">Create sandbox</button>
          <a class="btn btn-secondary" href="/sandboxes">Cancel</a>
        </div>
      </form>
    </>
  );
}
