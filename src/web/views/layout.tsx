import type { Child } from 'hono/jsx';
import { Csrf } from './ui.js';

export type Section = 'secrets' | 'sandboxes' | 'audit' | 'keys' | 'providers';

const NAV: Array<[Section, string, string]> = [
  ['secrets', '/secrets', 'Secrets'],
  ['sandboxes', '/sandboxes', 'Sandboxes'],
  ['audit', '/audit', 'Audit log'],
  ['keys', '/keys', 'API keys'],
  ['providers', '/providers', 'Providers'],
];

/** What every page around its content needs: asset URLs, and the session's account and token. */
export interface Chrome {
  assets: { css: string; js: string; htmx: string };
  account: { keyPrefix: string; csrf: string } | null;
}

/**
 * htmx settings: no inline indicator <style> (CSP), no eval, no script tags from responses, only
 * same-origin requests, and no page snapshots in localStorage (pages may show a key once).
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false, allowEval: false, allowScriptTags: false, selfRequestsOnly: true,
  historyCacheSize: 0, refreshOnHistoryMiss: true,
});

function Head(props: { title: string; chrome: Chrome }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <title>{`${props.title} · standin`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={props.chrome.assets.css} />
      <script src={props.chrome.assets.htmx} defer></script>
      <script src={props.chrome.assets.js} defer></script>
    </head>
  );
}

export function Brand() {
  return (
    <a class="brand" href="/">
      <span class="brand-mark" aria-hidden="true"></span>
      standin
    </a>
  );
}

/** A signed-in page: header with navigation and sign-out, then the content. */
export function Layout(props: { title: string; section?: Section; chrome: Chrome; children?: Child }) {
  const { account } = props.chrome;
  return (
    <html lang="en">
      <Head title={props.title} chrome={props.chrome} />
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <header class="site-header">
          <div class="inner">
            <Brand />
            <nav class="nav" aria-label="Main">
              {NAV.map(([s, href, label]) => (
                <a href={href} aria-current={props.section === s ? 'page' : undefined}>{label}</a>
              ))}
            </nav>
            {account ? (
              <div class="account">
                <span class="who" title="The API key this session signed in with">
                  Key <code>{account.keyPrefix}…</code>
                </span>
                <form method="post" action="/sign-out" class="inline">
                  <Csrf token={account.csrf} />
                  <button type="submit" class="btn btn-small">Sign out</button>
                </form>
              </div>
            ) : null}
          </div>
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The sign-in page's frame: no navigation. */
export function BareLayout(props: { title: string; chrome: Chrome; children?: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} chrome={props.chrome} />
      <body>
        <main id="main" class="auth-page">
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Title, optional description and the page's main actions. */
export function PageHead(props: { title: string; crumb?: { href: string; label: string }; description?: Child; actions?: Child }) {
  return (
    <div class="page-head">
      <div>
        {props.crumb ? (
          <div class="breadcrumb">
            <a href={props.crumb.href}>← {props.crumb.label}</a>
          </div>
        ) : null}
        <h1>{props.title}</h1>
        {props.description ? <p>{props.description}</p> : null}
      </div>
      {props.actions ? <div class="actions">{props.actions}</div> : null}
    </div>
  );
}
