import type { CredentialPlacement, Provider } from '../../core/providers.js';
import { PageHead } from './layout.js';
import { Hosts } from './ui.js';

/** What the proxy puts on the wire for a provider, in words and as the header a client sends. */
export function placementText(a: CredentialPlacement): { text: string; example: string } {
  switch (a.kind) {
    case 'header':
      return { text: `${a.name} header`, example: `${a.name}: ${a.format.replace('{value}', '<credential>')}` };
    case 'basic':
      return a.username
        ? { text: `HTTP Basic, username “${a.username}”, credential as password`, example: `Authorization: Basic ${a.username}:<credential>` }
        : { text: 'HTTP Basic, credential as password', example: 'Authorization: Basic <user>:<credential>' };
    case 'query':
      return { text: `${a.param} query parameter`, example: `?${a.param}=<credential>` };
  }
}

export function ProvidersPage(props: { providers: Provider[] }) {
  return (
    <>
      <PageHead
        title="Providers"
        description="Well-known APIs. Picking one when you add a secret fills in the hosts its credential may go to and the environment variable its SDK reads."
      />
      <div class="notice notice-info" role="note">
        The sandbox sends its placeholder exactly where the real credential would go — the header, Basic auth or query parameter below. The proxy swaps in the
        credential only on requests to the listed hosts, and blocks the request anywhere else. Placeholders carry the provider's key prefix for clients that check it.
      </div>
      <div class="table-wrap cards">
        <table>
          <caption class="sr-only">Provider catalog</caption>
          <thead>
            <tr><th scope="col">Provider</th><th scope="col">Hosts</th><th scope="col">Credential goes in</th><th scope="col">Env var</th><th scope="col">Placeholder</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {props.providers.map((p) => {
              const how = placementText(p.auth);
              return (
                <tr id={`provider-${p.id}`}>
                  <td class="name" data-label="Provider">
                    <div>
                      <strong>{p.name}</strong>
                      <div><a class="small" href={p.docsUrl} rel="noopener noreferrer" target="_blank">docs</a></div>
                    </div>
                  </td>
                  <td data-label="Hosts">{p.hosts.length ? <Hosts hosts={p.hosts} /> : <span class="small">your own, e.g. <code>{p.hostHint ?? '—'}</code></span>}</td>
                  <td data-label="Credential">
                    <div>
                      <div class="small">{how.text}</div>
                      <code class="example">{how.example}</code>
                    </div>
                  </td>
                  <td data-label="Env var" class="nowrap"><code>{p.exposeAs}</code></td>
                  <td data-label="Placeholder" class="nowrap"><code>{p.placeholderPrefix ?? ''}stn_ph_…</code></td>
                  <td data-label="Actions">
                    <a class="btn btn-secondary btn-small" href={`/secrets/new?provider=${p.id}`} aria-label={`Add a ${p.name} secret`}>Add secret</a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
