import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { html } from 'hono/html';
import type { WebDeps, WebEnv } from './env.js';
import type { SessionStore } from './sessions.js';
import type { Asset } from './assets.js';
import { Layout, type Chrome, type Section } from './views/layout.js';

/** What every route module gets: the deps, the session store and the asset URLs. */
export interface WebCtx {
  deps: WebDeps;
  sessions: SessionStore;
  assets: { css: Asset; js: Asset; htmx: Asset };
}

export type C = Context<WebEnv>;

export function chromeOf(ctx: WebCtx, c: C): Chrome {
  const s = c.get('session');
  return {
    assets: { css: ctx.assets.css.url, js: ctx.assets.js.url, htmx: ctx.assets.htmx.url },
    account: s ? { keyPrefix: s.keyPrefix, csrf: s.csrf } : null,
  };
}

/** A whole document: the doctype keeps browsers out of quirks mode. */
export const doc = (node: Child) => html`<!DOCTYPE html>${node}`;

/** Renders a signed-in page inside the layout. */
export function page(ctx: WebCtx, c: C, opts: { title: string; section?: Section; status?: number; body: Child }): Response | Promise<Response> {
  return c.html(
    doc(<Layout title={opts.title} section={opts.section} chrome={chromeOf(ctx, c)}>
      {opts.body}
    </Layout>),
    (opts.status ?? 200) as 200,
  );
}

/** The session's CSRF token (signed-in routes only). */
export function csrfOf(c: C): string {
  return c.get('session')?.csrf ?? '';
}
