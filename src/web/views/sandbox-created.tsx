import type { Sandbox } from '../../core/types.js';
import type { BindingView } from '../../services/sandboxes.js';
import { PageHead } from './layout.js';
import { OnceBlock } from './ui.js';
import { BindingsTable } from './sandbox-detail.js';

export function SandboxCreated(props: { sandbox: Sandbox; bindings: BindingView[]; envText: string; proxyUrl: string; caCertPem: string }) {
  const s = props.sandbox;
  return (
    <>
      <PageHead title="Sandbox created" crumb={{ href: '/sandboxes', label: 'Sandboxes' }} description={<>{s.name ?? 'Unnamed sandbox'} · <code>{s.id}</code></>} />
      <div class="notice notice-warn" role="status">
        <strong>Copy the environment now: the proxy credential is shown only this once.</strong>
        <p>The placeholders in it are useless outside this sandbox and its proxy. If you lose the proxy URL, delete the sandbox and create a new one.</p>
      </div>
      <section class="card stack" aria-label="Environment">
        <OnceBlock id="proxy-url" label="Proxy URL (HTTPS_PROXY)" text={props.proxyUrl} copyLabel="Copy proxy URL" />
        <OnceBlock id="sandbox-env" label="Environment (.env)" text={props.envText} copyLabel="Copy environment" />
        <details>
          <summary><strong>CA certificate</strong> — the sandbox must trust it for HTTPS through the proxy</summary>
          <p class="muted small">Save it as <code>standin-ca.pem</code> and point <code>SSL_CERT_FILE</code>, <code>NODE_EXTRA_CA_CERTS</code> or <code>REQUESTS_CA_BUNDLE</code> at it (<code>standin run</code> does this for you).</p>
          <OnceBlock id="ca-cert" label="standin-ca.pem" text={props.caCertPem} copyLabel="Copy certificate" />
        </details>
      </section>
      <section class="card" aria-labelledby="bindings-title">
        <h2 id="bindings-title">Bindings</h2>
        <BindingsTable bindings={props.bindings} />
      </section>
      <div class="actions">
        <a class="btn" href={`/sandboxes/${s.id}`}>Open sandbox</a>
        <a class="btn btn-secondary" href="/sandboxes">All sandboxes</a>
      </div>
    </>
  );
}
