import { SCOPES, type SecretMeta } from '../../core/types.js';
import type { Provider } from '../../core/providers.js';
import type { StandinError } from '../../core/errors.js';
import { qs, scopeLabel } from '../format.js';
import { PageHead } from './layout.js';
import { Empty, ErrorNotice, Field, FlashNotice, Hosts, Pager, Preview, Time } from './ui.js';

export interface SecretFilters {
  q: string;
  provider: string;
  scope: string;
}

export function SecretsList(props: {
  secrets: SecretMeta[]; nextCursor: string | null; filters: SecretFilters; providers: Provider[]; notice?: string;
  error?: StandinError | null; paged: boolean;
}) {
  const f = props.filters;
  const filtered = Boolean(f.q || f.provider || f.scope);
  const providerName = new Map(props.providers.map((p) => [p.id, p.name]));
  return (
    <>
      <PageHead
        title="Secrets"
        description="Credentials sandboxes use through the proxy. Values are write-only: after saving, only the last 4 characters are ever shown."
        actions={<a class="btn" href="/secrets/new">Add secret</a>}
      />
      <FlashNotice name={props.notice} />
      <ErrorNotice error={props.error} />
      <form
        method="get" action="/secrets" class="filters" role="search"
        hx-get="/secrets" hx-trigger="input delay:300ms, change, submit" hx-target="#secret-results" hx-select="#secret-results" hx-swap="outerHTML" hx-push-url="true"
      >
        <Field id="q" label="Search by name" class="grow">
          <input type="search" id="q" name="q" value={f.q} placeholder="Name starts with…" autocomplete="off" />
        </Field>
        <Field id="filter-provider" label="Provider">
          <select id="filter-provider" name="provider">
            <option value="">All providers</option>
            {props.providers.map((p) => <option value={p.id} selected={f.provider === p.id}>{p.name}</option>)}
          </select>
        </Field>
        <Field id="filter-scope" label="Scope">
          <select id="filter-scope" name="scope">
            <option value="">All scopes</option>
            {SCOPES.map((s) => <option value={s} selected={f.scope === s}>{s}</option>)}
          </select>
        </Field>
        <div class="field submit">
          <button type="submit" class="btn btn-secondary">Filter</button>
        </div>
      </form>
      <div id="secret-results" aria-live="polite">
        {props.secrets.length === 0 ? (
          filtered ? (
            <Empty title="No secrets match these filters">
              <p>Try another name prefix, or clear the filters to see every secret you can read.</p>
              <a class="btn btn-secondary" href="/secrets">Clear filters</a>
            </Empty>
          ) : (
            <Empty title="No secrets yet">
              <p>Add a credential once — an OpenAI key, a GitHub token — and sandboxes get a stand-in that only works through the proxy, only towards that credential's hosts.</p>
              <a class="btn" href="/secrets/new">Add secret</a>
            </Empty>
          )
        ) : (
          <>
            <div class="table-wrap cards">
              <table>
                <caption class="sr-only">Secrets</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Hosts</th>
                    <th scope="col">Preview</th>
                    <th scope="col">Version</th>
                    <th scope="col">Last used</th>
                  </tr>
                </thead>
                <tbody>
                  {props.secrets.map((s) => (
                    <tr>
                      <td class="name" data-label="Name">
                        <div>
                          <a href={`/secrets/${s.id}`}>{s.name}</a>
                          <div class="muted small mono">{s.exposeAs}</div>
                        </div>
                      </td>
                      <td data-label="Provider">{s.provider ? providerName.get(s.provider) ?? s.provider : <span class="muted">custom</span>}</td>
                      <td data-label="Scope"><span class="small">{scopeLabel(s.scope, s.scopeRef)}</span></td>
                      <td data-label="Hosts"><Hosts hosts={s.hosts} max={3} empty="no hosts" /></td>
                      <td data-label="Preview"><Preview preview={s.preview} /></td>
                      <td data-label="Version">v{s.version}</td>
                      <td data-label="Last used"><Time at={s.lastUsedAt} /></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              next={props.nextCursor}
              first={props.paged ? `/secrets${qs({ q: f.q, provider: f.provider, scope: f.scope })}` : null}
              href={(cursor) => `/secrets${qs({ q: f.q, provider: f.provider, scope: f.scope, cursor })}`}
            />
          </>
        )}
      </div>
    </>
  );
}
