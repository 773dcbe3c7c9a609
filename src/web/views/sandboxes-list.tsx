import type { Sandbox } from '../../core/types.js';
import { PageHead } from './layout.js';
import { Empty, FlashNotice, Hosts, Pager, Time } from './ui.js';

export function SandboxesList(props: { sandboxes: Sandbox[]; nextCursor: string | null; notice?: string; paged: boolean }) {
  return (
    <>
      <PageHead
        title="Sandboxes"
        description="Environments that run untrusted code. Each gets placeholders instead of credentials and a proxy URL that swaps them in."
        actions={<a class="btn" href="/sandboxes/new">Create sandbox</a>}
      />
      <FlashNotice name={props.notice} />
      {props.sandboxes.length === 0 ? (
        <Empty title="No sandboxes yet">
          <p>Create a sandbox to get its environment: placeholders for the secrets you bind, and the proxy URL your agent or CI job sends its requests through.</p>
          <a class="btn" href="/sandboxes/new">Create sandbox</a>
        </Empty>
      ) : (
        <>
          <div class="table-wrap cards">
            <table>
              <caption class="sr-only">Sandboxes</caption>
              <thead>
                <tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">User</th><th scope="col">Egress allowlist</th><th scope="col">Created</th></tr>
              </thead>
              <tbody>
                {props.sandboxes.map((s) => (
                  <tr>
                    <td class="name" data-label="Name"><div><a href={`/sandboxes/${s.id}`}>{s.name ?? 'unnamed'}</a>{s.ephemeral ? <span class="muted small"> · ephemeral</span> : null}</div></td>
                    <td data-label="Id" class="mono small">{s.id}</td>
                    <td data-label="User" class="mono small">{s.userId ?? '—'}</td>
                    <td data-label="Egress allowlist">{s.egress.allowHosts ? <Hosts hosts={s.egress.allowHosts} max={3} /> : <span class="muted small">secret hosts only</span>}</td>
                    <td data-label="Created"><Time at={s.createdAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager next={props.nextCursor} first={props.paged ? '/sandboxes' : null} href={(cursor) => `/sandboxes?cursor=${encodeURIComponent(cursor)}`} />
        </>
      )}
    </>
  );
}
