import { SCOPES } from '../../core/types.js';
import type { Provider } from '../../core/providers.js';
import type { StandinError } from '../../core/errors.js';
import { PageHead } from './layout.js';
import { Csrf, ErrorNotice, Field } from './ui.js';

/** What the form shows again after a failed save. Never the value or the username. */
export interface SecretFormValues {
  name: string;
  type: string;
  provider: string;
  hosts: string;
  scope: string;
  scopeId: string;
  exposeAs: string;
  description: string;
  allowInsecureHttp: boolean;
  bodyPlaceholders: boolean;
  autoBind: boolean;
}

export const emptySecretForm = (scope: string): SecretFormValues => ({
  name: '', type: 'token', provider: '', hosts: '', scope, scopeId: '', exposeAs: '', description: '',
  allowInsecureHttp: false, bodyPlaceholders: false, autoBind: false,
});

export function providerHint(p: Provider | undefined): string {
  if (!p) return 'Custom: list the hosts this credential may be sent to.';
  if (p.hosts.length === 0) return `${p.name} has no fixed host: enter yours, e.g. ${p.hostHint ?? 'your-tenant.example.com'}.`;
  return `${p.name}: the hosts below are filled in from the catalog. Leave them empty to use the catalog's.`;
}

export function SecretNew(props: { values: SecretFormValues; providers: Provider[]; csrf: string; error?: StandinError | null }) {
  const v = props.values;
  const field = props.error?.details?.field;
  const invalid = (name: string) => (field === name ? 'true' : undefined);
  const selected = props.providers.find((p) => p.id === v.provider);
  return (
    <>
      <PageHead
        title="Add secret"
        crumb={{ href: '/secrets', label: 'Secrets' }}
        description="Paste the credential once. It is encrypted at rest and never shown again — sandboxes get a placeholder instead."
      />
      <ErrorNotice error={props.error} />
      <form method="post" action="/secrets" class="card" autocomplete="off">
        <Csrf token={props.csrf} />
        <div class="form-grid">
          <Field id="name" label="Name" hint="Letters, digits, “.”, “_” and “-”, e.g. openai-api-key.">
            <input type="text" id="name" name="name" value={v.name} required maxlength={128} aria-describedby="name-hint" aria-invalid={invalid('name')} spellcheck={false} />
          </Field>
          <Field id="provider" label="Provider" hint={<span id="provider-hint">{providerHint(selected)}</span>}>
            <select id="provider" name="provider" aria-describedby="provider-hint">
              <option value="" data-hosts="" data-env="" data-hint={providerHint(undefined)}>Custom (no provider)</option>
              {props.providers.map((p) => (
                <option value={p.id} selected={v.provider === p.id} data-hosts={p.hosts.join(' ')} data-env={p.exposeAs} data-hint={providerHint(p)}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="value" label="Value" class="span-2" hint="Write-only: this field is never filled in again, not even after an error.">
            <input type="password" id="value" name="value" required autocomplete="new-password" spellcheck={false} aria-describedby="value-hint" aria-invalid={invalid('value')} />
          </Field>
          <Field id="type" label="Type" hint="Basic sends a username and the value as password (RFC 7617).">
            <select id="type" name="type" aria-describedby="type-hint">
              <option value="token" selected={v.type !== 'basic'}>Token</option>
              <option value="basic" selected={v.type === 'basic'}>Basic (username + password)</option>
            </select>
          </Field>
          <div id="username-field">
            <Field id="username" label="Username" optional hint="Only for Basic secrets. Stored encrypted like the value.">
              <input type="text" id="username" name="username" autocomplete="off" spellcheck={false} aria-describedby="username-hint" aria-invalid={invalid('username')} />
            </Field>
          </div>
          <Field id="hosts" label="Hosts" class="span-2" hint={<>One per line: <code>api.example.com</code>, <code>api.example.com:8443</code>, or <code>*.example.com</code> for subdomains. The proxy sends the real value to these hosts only.</>}>
            <textarea id="hosts" name="hosts" rows={3} spellcheck={false} aria-describedby="hosts-hint" aria-invalid={invalid('hosts')}>{v.hosts}</textarea>
          </Field>
          <Field id="scope" label="Scope" hint="Where the secret lives; the most specific match wins for a sandbox.">
            <select id="scope" name="scope" aria-describedby="scope-hint" aria-invalid={invalid('scope')}>
              {SCOPES.map((s) => <option value={s} selected={v.scope === s}>{s}</option>)}
            </select>
          </Field>
          <Field id="scopeId" label="Scope id" optional hint="Workspace, user, external, session or sandbox id. Empty for tenant, or your own user.">
            <input type="text" id="scopeId" name="scopeId" value={v.scopeId} spellcheck={false} aria-describedby="scopeId-hint" aria-invalid={invalid('scopeId')} />
          </Field>
          <Field id="exposeAs" label="Expose as" optional hint="The environment variable sandboxes see. Default: the name in upper case (openai-api-key → OPENAI_API_KEY).">
            <input type="text" id="exposeAs" name="exposeAs" value={v.exposeAs} spellcheck={false} aria-describedby="exposeAs-hint" aria-invalid={invalid('exposeAs')} />
          </Field>
          <Field id="description" label="Description" optional>
            <input type="text" id="description" name="description" value={v.description} maxlength={500} />
          </Field>
        </div>
        <details class="advanced">
          <summary>Advanced options</summary>
          <label class="check"><input type="checkbox" name="autoBind" checked={v.autoBind} /> <span>Bind to every new sandbox that can see it (as its env name)</span></label>
          <label class="check"><input type="checkbox" name="bodyPlaceholders" checked={v.bodyPlaceholders} /> <span>Also swap the placeholder in request bodies</span></label>
          <label class="check"><input type="checkbox" name="allowInsecureHttp" checked={v.allowInsecureHttp} /> <span>Allow plain <code>http://</code> (the value then travels unencrypted)</span></label>
        </details>
        <div class="actions">
          <button type="submit" class="btn">Add secret</button>
          <a class="btn btn-secondary" href="/secrets">Cancel</a>
        </div>
      </form>
    </>
  );
}
