import { randomUUID } from 'node:crypto';
import { Hono, type Next } from 'hono';
import { getCookie, deleteCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { StandinError, isStandinError } from '../core/errors.js';
import { httpStatus } from '../core/http-status.js';
import type { WebDeps, WebEnv } from './env.js';
import { SessionStore } from './sessions.js';
import { loadAssets } from './assets.js';
import { CSRF_FIELD, SIGNIN_COOKIE, crossSite, tokensEqual } from './csrf.js';
import { FormFields } from './form.js';
import { isHttps, setSecurityHeaders } from './security.js';
import { chromeOf, doc, type C, type WebCtx } from './context.js';
import { ErrorPage } from './views/error.js';
import { SESSION_COOKIE, authRoutes } from './routes/auth.js';
import { secretRoutes } from './routes/secrets.js';
import { sandboxRoutes } from './routes/sandboxes.js';
import { auditRoutes } from './routes/audit.js';
import { keyRoutes } from './routes/keys.js';
import { providerRoutes } from './routes/providers.js';

/** Form posts carry at most a 64 KiB value plus a few fields. */
const MAX_FORM_BYTES = 256 * 1024;
const DASHBOARD_PATH = /^\/(?:$|(?:sign-in|sign-out|secrets|sandboxes|audit|keys|providers|assets)(?:\/|$))/;
/** Pages anyone may open; every other dashboard path needs a live session. */
const PUBLIC_PATH = /^\/(?:$|sign-in$|assets\/)/;
const AUTH_ERRORS: Partial<Record<StandinError['code'], string>> = { key_revoked: 'revoked', key_expired: 'key-expired', unauthenticated: 'invalid-key' };

/** True for the paths this app serves; the API's /v1, /healthz and /readyz are left alone. */
export const isDashboardPath = (path: string): boolean => DASHBOARD_PATH.test(path);

/**
 * The dashboard: server-rendered pages over the same services as the API, so the same scopes
 * apply. It never listens itself; main.ts mounts it next to the API with `app.route('/', …)`.
 */
export function buildWeb(deps: WebDeps): Hono<WebEnv> {
  const now = deps.now ?? Date.now;
  const sessions = deps.sessions ?? new SessionStore(deps.config.sessionTtlSeconds * 1000, now);
  const loaded = loadAssets();
  const ctx: WebCtx = { deps, sessions, assets: { css: loaded.css, js: loaded.js, htmx: loaded.htmx } };
  const app = new Hono<WebEnv>();
  const limit = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: () => {
      throw new StandinError('payload_too_large', `the form is over ${MAX_FORM_BYTES / 1024} KiB`);
    },
  });

  // Redirects to sign-in; htmx requests get HX-Redirect so the whole page changes, not a fragment.
  const toSignIn = (c: C, notice?: string) => {
    const url = `/sign-in${notice ? `?notice=${notice}` : ''}`;
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', url);
      return c.body(null, 204);
    }
    return c.redirect(url, 303);
  };

  const forbiddenForm = (c: C) =>
    renderError(c, new StandinError('forbidden', 'This form has expired or was sent from another site. Reload the page and try again.'));

  async function dashboard(c: C, next: Next): Promise<Response | void> {
    const started = performance.now();
    const requestId = c.get('requestId') || randomUUID();
    c.set('requestId', requestId);
    const path = c.req.path;
    setSecurityHeaders(c, { cacheable: path.startsWith('/assets/') });
    try {
      if (path.startsWith('/assets/')) return await next();

      const sessionId = getCookie(c, SESSION_COOKIE) ?? null;
      const session = sessions.get(sessionId);
      c.set('sessionId', session ? sessionId : null);
      c.set('session', session);

      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        if (!session && path !== '/sign-in') return toSignIn(c, sessionId ? 'expired' : undefined);
        if (crossSite(c.req.header('sec-fetch-site'))) return forbiddenForm(c);
        let fields: FormFields | null = null;
        await limit(c, async () => {
          fields = new FormFields(await c.req.parseBody({ all: true }));
        });
        const form = fields as FormFields | null;
        if (!form) return forbiddenForm(c);
        const expected = path === '/sign-in' ? getCookie(c, SIGNIN_COOKIE) : session?.csrf;
        if (!expected || !tokensEqual(form.str(CSRF_FIELD), expected)) return forbiddenForm(c);
        c.set('form', form);
      }

      if (!PUBLIC_PATH.test(path)) {
        if (!session) return toSignIn(c, sessionId ? 'expired' : undefined);
        try {
          // Every request re-authenticates the session's key by its id: revocation and expiry
          // apply at once.
          c.set('actor', await deps.services.keys.authenticateById(session.keyId, requestId));
        } catch (e) {
          const reason = isStandinError(e) ? AUTH_ERRORS[e.code] : undefined;
          if (!reason) throw e;
          sessions.destroy(sessionId);
          deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
          return toSignIn(c, reason);
        }
      }
      return await next();
    } finally {
      deps.log.info({ requestId, method: c.req.method, path, status: c.res.status, ms: Math.round(performance.now() - started) }, 'dashboard request');
    }
  }

  function renderError(c: C, err: unknown): Response | Promise<Response> {
    const e = isStandinError(err) ? err : new StandinError('internal', 'internal error');
    const requestId = c.get('requestId');
    if (e.code === 'internal') deps.log.error({ err, requestId, path: c.req.path }, 'dashboard error');
    const status = httpStatus(e.code);
    const message = e.code === 'internal' ? 'Something went wrong on our side. Try again; if it keeps happening, tell your operator the request id below.' : e.message;
    return c.html(doc(<ErrorPage chrome={chromeOf(ctx, c)} status={status} message={message} requestId={requestId} />), status as 400);
  }

  app.use('*', async (c, next) => (isDashboardPath(c.req.path) ? dashboard(c, next) : next()));
  app.onError((err, c) => renderError(c, err));

  app.get('/assets/:name', (c) => {
    const a = loaded.byName.get(c.req.param('name'));
    if (!a) throw new StandinError('not_found', 'no such asset');
    c.header('Content-Type', a.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(a.body);
  });
  authRoutes(app, ctx);
  secretRoutes(app, ctx);
  sandboxRoutes(app, ctx);
  auditRoutes(app, ctx);
  keyRoutes(app, ctx);
  providerRoutes(app, ctx);
  return app;
}
