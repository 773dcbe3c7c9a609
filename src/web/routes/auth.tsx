import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { StandinError, isStandinError } from '../../core/errors.js';
import { httpStatus } from '../../core/http-status.js';
import { tokenPrefix } from '../../crypto/tokens.js';
import type { WebEnv } from '../env.js';
import { SIGNIN_COOKIE, newToken } from '../csrf.js';
import { isHttps } from '../security.js';
import { chromeOf, doc, type C, type WebCtx } from '../context.js';
import { SignInPage } from '../views/sign-in.js';

export const SESSION_COOKIE = 'standin_session';

/** `/`, `/sign-in` and `/sign-out`: API key in, short-lived session cookie out. */
export function authRoutes(app: Hono<WebEnv>, ctx: WebCtx): void {
  const { services } = ctx.deps;
  const ttl = ctx.deps.config.sessionTtlSeconds;

  // The sign-in form's CSRF token: a double-submit cookie, since there is no session yet.
  const signinToken = (c: C): string => {
    const existing = getCookie(c, SIGNIN_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const t = newToken();
    setCookie(c, SIGNIN_COOKIE, t, { path: '/sign-in', httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge: 3600 });
    return t;
  };

  app.get('/', (c) => c.redirect(c.get('session') ? '/secrets' : '/sign-in', 303));

  app.get('/sign-in', (c) => {
    if (c.get('session')) return c.redirect('/secrets', 303);
    return c.html(doc(<SignInPage chrome={chromeOf(ctx, c)} csrf={signinToken(c)} notice={c.req.query('notice')} />));
  });

  app.post('/sign-in', async (c) => {
    const key = c.get('form').str('api_key').trim();
    try {
      if (!key) throw new StandinError('unauthenticated', 'Enter an API key.');
      // Authenticates the key and records the sign-in (or the refusal) in the audit log.
      const actor = await services.keys.signIn(key, c.get('requestId'));
      if (!actor.apiKeyId) throw new StandinError('unauthenticated', 'this key cannot sign in to the dashboard');
      // A fresh id on every sign-in: a session id planted before sign-in is never promoted.
      ctx.sessions.destroy(c.get('sessionId'));
      // The session keeps the key's id, never the key: later requests authenticate by the id.
      const created = ctx.sessions.create(actor.apiKeyId, tokenPrefix(key));
      if (!created) throw new StandinError('unavailable', 'too many dashboard sessions are open; try again later');
      setCookie(c, SESSION_COOKIE, created.id, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c), maxAge: ttl });
      deleteCookie(c, SIGNIN_COOKIE, { path: '/sign-in', secure: isHttps(c) });
      ctx.deps.log.info({ requestId: c.get('requestId'), apiKeyId: actor.apiKeyId }, 'dashboard sign-in');
      return c.redirect('/secrets', 303);
    } catch (e) {
      if (!isStandinError(e)) throw e;
      ctx.deps.log.info({ requestId: c.get('requestId'), code: e.code }, 'dashboard sign-in refused');
      return c.html(doc(<SignInPage chrome={chromeOf(ctx, c)} csrf={signinToken(c)} error={e} />), httpStatus(e.code) as 401);
    }
  });

  app.post('/sign-out', async (c) => {
    ctx.sessions.destroy(c.get('sessionId'));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c), httpOnly: true, sameSite: 'Strict' });
    try {
      // The middleware authenticated the session's key, so the actor is there.
      await services.keys.signOut(c.get('actor'));
    } catch (err) {
      // Ending the session matters more than its audit row: a sign-out that failed would leave
      // the session open. The operator sees the failure in the log.
      ctx.deps.log.error({ err, requestId: c.get('requestId') }, 'dashboard sign-out: the audit row could not be written');
    }
    return c.redirect('/sign-in?notice=signed-out', 303);
  });
}
