import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHarness, type Harness } from './harness.js';
import { CSP } from '../../src/web/security.js';

const canary = () => `CANARY-web-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;

describe('dashboard, in process', () => {
  let h: Harness;
  before(async () => {
    h = await openHarness({ ttlSeconds: 600 });
  });
  after(async () => {
    await h.close();
  });

  describe('headers', () => {
    test('every page carries the strict CSP, framing, referrer, sniffing and no-store headers', async () => {
      const b = await h.signedIn();
      for (const path of ['/sign-in', '/secrets', '/secrets/new', '/sandboxes', '/sandboxes/new', '/audit', '/keys', '/providers']) {
        const res = await (path === '/sign-in' ? h.client() : b).get(path);
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('content-security-policy'), CSP, path);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
        assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
        assert.equal(res.headers.get('cache-control'), 'no-store', path);
        const html = await res.text();
        assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, `${path} has an inline script`);
        assert.doesNotMatch(html, /\sstyle=/, `${path} has an inline style attribute`);
        assert.doesNotMatch(html, /\son[a-z]+=/, `${path} has an inline event handler`);
      }
    });

    test('the CSP is the one of the issue, with no unsafe-inline and no third-party origin', () => {
      assert.equal(CSP, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'");
    });

    test('htmx, the script and the stylesheet are served by the dashboard itself', async () => {
      const html = await (await h.client().get('/sign-in')).text();
      const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      assert.equal(urls.length, 3);
      for (const u of urls) {
        const res = await h.client().get(u);
        assert.equal(res.status, 200, u);
        assert.match(res.headers.get('content-type') ?? '', u.includes('.css') ? /^text\/css/ : /^text\/javascript/);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      }
      assert.equal((await h.client().get('/assets/evil.js')).status, 404);
    });
  });

  describe('sign-in and sessions', () => {
    test('the session cookie is HttpOnly, SameSite=Strict, Path=/, and Secure over https', async () => {
      const b = h.client();
      const csrf = await b.csrfFrom('/sign-in');
      const res = await b.post('/sign-in', { _csrf: csrf, api_key: h.adminKey });
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith('standin_session='))!;
      assert.match(cookie, /; HttpOnly/);
      assert.match(cookie, /; SameSite=Strict/);
      assert.match(cookie, /; Path=\//);
      assert.doesNotMatch(cookie, /Secure/);
      assert.doesNotMatch(cookie, new RegExp(h.adminKey), 'the key itself never goes into a cookie');

      const s = h.client();
      const csrf2 = await s.csrfFrom('/sign-in');
      const res2 = await s.post('/sign-in', { _csrf: csrf2, api_key: h.adminKey }, { 'x-forwarded-proto': 'https' });
      assert.match(res2.headers.getSetCookie().find((c) => c.startsWith('standin_session='))!, /; Secure/);
    });

    test('a wrong key is refused in place and never echoed', async () => {
      const b = h.client();
      const csrf = await b.csrfFrom('/sign-in');
      const wrong = `${h.adminKey.slice(0, -3)}zzz`;
      const res = await b.post('/sign-in', { _csrf: csrf, api_key: wrong });
      assert.equal(res.status, 401);
      const html = await res.text();
      assert.match(html, /invalid API key/);
      assert.ok(!html.includes(wrong));
      assert.ok(!b.cookies.has('standin_session'));
    });

    test('pages need a session; / sends you to sign-in or to the secrets', async () => {
      const anon = h.client();
      for (const path of ['/secrets', '/sandboxes', '/audit', '/keys', '/providers', '/secrets/new']) {
        const res = await anon.get(path);
        assert.equal(res.status, 303, path);
        assert.equal(res.headers.get('location'), '/sign-in', path);
      }
      assert.equal((await anon.get('/')).headers.get('location'), '/sign-in');
      const b = await h.signedIn();
      assert.equal((await b.get('/')).headers.get('location'), '/secrets');
      assert.equal((await b.get('/sign-in')).headers.get('location'), '/secrets');
    });

    test('htmx requests without a session get HX-Redirect instead of a fragment', async () => {
      const res = await h.client().get('/secrets?q=x', { 'hx-request': 'true' });
      assert.equal(res.headers.get('hx-redirect'), '/sign-in');
    });

    test('the session expires after sessionTtlSeconds', async () => {
      const b = await h.signedIn();
      assert.equal((await b.get('/secrets')).status, 200);
      h.now.ms += 599_000;
      assert.equal((await b.get('/secrets')).status, 200, 'still valid just before the TTL');
      h.now.ms += 2_000;
      const res = await b.get('/secrets');
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/sign-in?notice=expired');
      const page = await (await b.get('/sign-in?notice=expired')).text();
      assert.match(page, /Your session expired/);
    });

    test('revoking the key ends its sessions on their next request', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { key, secret } = await h.core.services.keys.create(admin, { name: 'soon-revoked' });
      const b = await h.signedIn(secret);
      const sid = b.cookies.get('standin_session')!;
      assert.equal((await b.get('/secrets')).status, 200);
      await h.core.services.keys.revoke(admin, key.id);
      const res = await b.get('/secrets');
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/sign-in?notice=revoked');
      assert.ok(!b.cookies.has('standin_session'), 'the cookie is cleared');
      // The server forgot the session too: replaying the old cookie does not work either.
      const replay = h.client();
      replay.cookies.set('standin_session', sid);
      const again = await replay.get('/secrets');
      assert.equal(again.status, 303);
      assert.equal(again.headers.get('location'), '/sign-in?notice=expired');
    });

    test('signing out ends the session on the server, not just in the browser', async () => {
      const b = await h.signedIn();
      const sid = b.cookies.get('standin_session')!;
      const csrf = await b.csrfFrom('/secrets');
      const res = await b.post('/sign-out', { _csrf: csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/sign-in?notice=signed-out');
      const replay = h.client();
      replay.cookies.set('standin_session', sid);
      assert.equal((await replay.get('/secrets')).status, 303);
    });
  });

  describe('sessions hold the key id, not the key', () => {
    test('a session keeps only the key id, works with it alone, and ends on the first request after a revocation', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { key, secret } = await h.core.services.keys.create(admin, { name: 'id-only' });
      const b = await h.signedIn(secret);
      const sid = b.cookies.get('standin_session')!;
      const session = h.sessions.get(sid)!;
      assert.deepEqual(Object.keys(session).sort(), ['csrf', 'expiresAt', 'keyId', 'keyPrefix']);
      assert.equal(session.keyId, key.id);
      assert.equal(session.keyPrefix, secret.slice(0, 12));
      assert.ok(Object.values(session).every((v) => typeof v !== 'object'), 'no credential holder (SecretValue) in the session');

      // From here on the key string is of no use to the dashboard: authenticating by it fails.
      const keys = h.core.services.keys;
      const byKey = keys.authenticate;
      keys.authenticate = async () => {
        throw new Error('a signed-in dashboard request authenticated by the key string');
      };
      try {
        assert.equal((await b.get('/secrets')).status, 200);
        assert.equal((await b.get('/keys')).status, 200);
        await keys.revoke(admin, key.id);
        const res = await b.get('/secrets');
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('location'), '/sign-in?notice=revoked');
        assert.equal(h.sessions.get(sid), null, 'the server forgot the session');
      } finally {
        keys.authenticate = byKey;
      }
    });

    test('an expired key ends its session on the next request', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { key, secret } = await h.core.services.keys.create(admin, { name: 'expiring', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      const b = await h.signedIn(secret);
      assert.equal((await b.get('/secrets')).status, 200);
      await h.core.store.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', key.id).execute();
      const res = await b.get('/secrets');
      assert.equal(res.headers.get('location'), '/sign-in?notice=key-expired');
    });
  });

  describe('sign-in and sign-out are audited', () => {
    const rows = async (action: string) => {
      const { tenantId } = await h.core.services.keys.authenticate(h.adminKey, null);
      return (await h.core.store.audit.list(tenantId, { action, limit: 500 })).data;
    };

    test('a sign-in and a sign-out each write a row naming the key by id, never the key or its hash', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { key, secret } = await h.core.services.keys.create(admin, { name: 'audited' });
      const b = await h.signedIn(secret);
      const signin = (await rows('auth.signin')).find((r) => r.apiKeyId === key.id)!;
      assert.ok(signin, 'an auth.signin row for the key');
      assert.equal(signin.outcome, 'success');
      assert.equal(signin.target, key.id);
      assert.deepEqual(signin.details, { channel: 'dashboard' });
      assert.match(signin.actor, new RegExp(`key:${key.id}`));

      const csrf = await b.csrfFrom('/secrets');
      assert.equal((await b.post('/sign-out', { _csrf: csrf })).status, 303);
      const signout = (await rows('auth.signout')).find((r) => r.apiKeyId === key.id)!;
      assert.ok(signout, 'an auth.signout row for the key');
      assert.equal(signout.outcome, 'success');

      const { hashToken } = await import('../../src/crypto/tokens.js');
      const all = JSON.stringify(await h.core.store.audit.chain(admin.tenantId));
      assert.ok(!all.includes(secret) && !all.includes(hashToken(secret)) && !all.includes(secret.slice(12)), 'no key, hash or key body in the audit log');
      assert.equal((await h.core.store.audit.verify(admin.tenantId)).ok, true);
    });

    test('a refused sign-in with a revoked or expired key is recorded as denied in its tenant; an unknown key writes nothing', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const revoked = await h.core.services.keys.create(admin, { name: 'revoked-signin' });
      await h.core.services.keys.revoke(admin, revoked.key.id);
      const expired = await h.core.services.keys.create(admin, { name: 'expired-signin', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
      await h.core.store.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', expired.key.id).execute();

      const attempt = async (apiKey: string) => {
        const b = h.client();
        const csrf = await b.csrfFrom('/sign-in');
        const res = await b.post('/sign-in', { _csrf: csrf, api_key: apiKey });
        assert.ok(!b.cookies.has('standin_session'));
        return res;
      };
      assert.equal((await attempt(revoked.secret)).status, 401);
      assert.equal((await attempt(expired.secret)).status, 401);
      const denied = (await rows('auth.signin')).filter((r) => r.outcome === 'denied');
      const forRevoked = denied.find((r) => r.apiKeyId === revoked.key.id)!;
      const forExpired = denied.find((r) => r.apiKeyId === expired.key.id)!;
      assert.deepEqual(forRevoked.details, { channel: 'dashboard', reason: 'key_revoked' });
      assert.deepEqual(forExpired.details, { channel: 'dashboard', reason: 'key_expired' });
      assert.equal(forRevoked.target, revoked.key.id);

      const before = (await h.core.store.audit.chain(admin.tenantId)).length;
      const { generateApiKey } = await import('../../src/crypto/tokens.js');
      const unknown = generateApiKey('live'); // a well-formed key with a valid checksum that standin never issued
      assert.equal((await attempt(unknown)).status, 401);
      assert.equal((await attempt('stn_live_not-even-a-key')).status, 401);
      assert.equal((await h.core.store.audit.chain(admin.tenantId)).length, before, 'nothing to attribute, nothing written');

      const all = JSON.stringify(await h.core.store.audit.chain(admin.tenantId));
      for (const k of [revoked.secret, expired.secret, unknown]) assert.ok(!all.includes(k) && !all.includes(k.slice(12)), 'no presented key in the audit log');
    });
  });

  describe('revoked keys', () => {
    test('the keys page lists revoked keys apart, with their revoked date; the audit key filter can select them', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { key } = await h.core.services.keys.create(admin, { name: 'gone-key' });
      await h.core.services.keys.revoke(admin, key.id);
      const revokedAt = (await h.core.services.keys.list(admin, { includeRevoked: true })).find((k) => k.id === key.id)!.revokedAt!;
      const b = await h.signedIn();
      const html = await (await b.get('/keys')).text();
      const revokedSection = html.slice(html.indexOf('id="revoked-keys"'));
      assert.ok(html.indexOf('id="revoked-keys"') > 0, 'a revoked-keys section');
      assert.match(revokedSection, /gone-key/);
      assert.ok(revokedSection.includes(`datetime="${revokedAt}"`), 'with the revoked date');
      const activeSection = html.slice(0, html.indexOf('id="revoked-keys"'));
      assert.ok(!activeSection.includes('gone-key'), 'not among the active keys');

      const audit = await (await b.get(`/audit?key=${key.id}`)).text();
      assert.match(audit, new RegExp(`<option value="${key.id}" selected="">gone-key \\([^)]+\\), revoked</option>`));
    });
  });

  describe('CSRF', () => {
    test('a POST without the token is refused and changes nothing', async () => {
      const b = await h.signedIn();
      const before = (await h.core.services.secrets.list(await h.core.services.keys.authenticate(h.adminKey, null), {})).data.length;
      const res = await b.post('/secrets', { name: 'csrf-test', value: 'x'.repeat(20), hosts: 'api.example.com' });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /form has expired or was sent from another site/);
      const after = (await h.core.services.secrets.list(await h.core.services.keys.authenticate(h.adminKey, null), {})).data.length;
      assert.equal(after, before);
    });

    test('a wrong token, or the token of another session, is refused', async () => {
      const a = await h.signedIn();
      const b = await h.signedIn();
      const tokenA = await a.csrfFrom('/secrets/new');
      assert.equal((await b.post('/secrets', { _csrf: tokenA, name: 'csrf-x', value: 'y'.repeat(20) })).status, 403);
      assert.equal((await b.post('/secrets', { _csrf: `${tokenA}x`, name: 'csrf-x', value: 'y'.repeat(20) })).status, 403);
      assert.equal((await b.post('/sign-out', { _csrf: tokenA })).status, 403);
    });

    test('a cross-site POST is refused even with a valid token (Fetch Metadata)', async () => {
      const b = await h.signedIn();
      const csrf = await b.csrfFrom('/secrets/new');
      const res = await b.post('/secrets', { _csrf: csrf, name: 'csrf-y', value: 'z'.repeat(20) }, { 'sec-fetch-site': 'cross-site' });
      assert.equal(res.status, 403);
    });

    test('a JSON body is not a form: refused', async () => {
      const b = await h.signedIn();
      const csrf = await b.csrfFrom('/secrets/new');
      const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await h.web.request('http://127.0.0.1/secrets', { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ _csrf: csrf, name: 'j', value: 'v'.repeat(20) }) });
      assert.equal(res.status, 403);
    });

    test('sign-in is protected against login CSRF by a double-submit cookie', async () => {
      const b = h.client();
      const csrf = await b.csrfFrom('/sign-in');
      const attacker = h.client();
      assert.equal((await attacker.post('/sign-in', { _csrf: csrf, api_key: h.adminKey })).status, 403, 'a token without its cookie');
      assert.equal((await b.post('/sign-in', { api_key: h.adminKey })).status, 403, 'a cookie without its token');
    });

    test('an oversized form is refused', async () => {
      const b = await h.signedIn();
      const csrf = await b.csrfFrom('/secrets/new');
      const res = await b.post('/secrets', { _csrf: csrf, name: 'big', value: 'v'.repeat(300 * 1024) });
      assert.equal(res.status, 413);
    });
  });

  describe('values and escaping', () => {
    test('a value is never rendered: not after saving, not after a validation error', async () => {
      const b = await h.signedIn();
      const value = canary();
      const csrf = await b.csrfFrom('/secrets/new');
      const bad = await b.post('/secrets', { _csrf: csrf, name: 'bad name!', value, hosts: 'api.example.com' });
      assert.equal(bad.status, 400);
      const badHtml = await bad.text();
      assert.match(badHtml, /secret name/);
      assert.ok(!badHtml.includes(value), 'the value is not echoed after an error');
      assert.match(badHtml, /value="bad name!"/, 'the other fields are kept');

      const ok = await b.post('/secrets', { _csrf: csrf, name: 'render-test', value, hosts: 'api.example.com\n*.example.org' });
      assert.equal(ok.status, 303);
      const detail = ok.headers.get('location')!;
      assert.match(detail, /^\/secrets\/sec_[0-9A-Za-z]+\?notice=secret-created$/);
      const pages = await Promise.all([detail, '/secrets', '/audit', '/secrets?q=render'].map(async (p) => (await b.get(p)).text()));
      for (const p of pages) assert.ok(!p.includes(value));
      assert.match(pages[0]!, new RegExp(value.slice(-4)), 'the preview shows the last 4 characters');
      assert.match(pages[0]!, /Secret saved/);
      assert.ok(!h.logs().includes(value), 'nor is it logged');
    });

    test('a hostile description is escaped, never executed', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
      const { secret } = await h.core.services.secrets.create(admin, { name: 'hostile', value: canary(), hosts: ['api.example.com'], description: hostile });
      const b = await h.signedIn();
      for (const path of [`/secrets/${secret.id}`, '/audit']) {
        const html = await (await b.get(path)).text();
        assert.ok(!html.includes('<script>alert(1)'), path);
        assert.ok(!html.includes('<img src=x'), path);
      }
      const detail = await (await b.get(`/secrets/${secret.id}`)).text();
      assert.match(detail, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=alert\(2\)&gt;/);
      // Query parameters land in attributes: also escaped.
      const html = await (await b.get('/secrets?q=%22%3E%3Cscript%3Ealert(3)%3C/script%3E')).text();
      assert.ok(!html.includes('"><script>alert(3)'));
      // ?notice= only selects fixed texts.
      const n = await (await b.get('/secrets?notice=%3Cb%3Ehi%3C/b%3E')).text();
      assert.ok(!n.includes('<b>hi</b>'));
    });
  });

  describe('sandboxes', () => {
    test('the proxy credential is shown once, at creation, and never again', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      await h.core.services.secrets.create(admin, { name: 'sbx-secret', value: canary(), hosts: ['api.example.com'] });
      const b = await h.signedIn();
      const csrf = await b.csrfFrom('/sandboxes/new');
      const res = await b.post('/sandboxes', { _csrf: csrf, name: 'once', bind: 'sbx-secret', 'env:sbx-secret': 'SBX_SECRET', env: 'A=1\nB=two words' });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const created = await res.text();
      const token = /stn_px_[0-9A-Za-z]+/.exec(created)?.[0];
      const placeholder = /SBX_SECRET=(stn_ph_[0-9A-Za-z]+)/.exec(created)?.[1];
      assert.ok(token && placeholder, 'the created page shows the proxy URL and the placeholder');
      assert.match(created, /B=&#39;two words&#39;|B='two words'/);
      const id = /\/sandboxes\/(sbx_[0-9A-Za-z]+)/.exec(created)![1]!;
      for (const path of [`/sandboxes/${id}`, '/sandboxes', '/audit']) {
        const html = await (await b.get(path)).text();
        assert.ok(!html.includes(token), `${path} shows the proxy token again`);
        assert.ok(!html.includes(placeholder), `${path} shows the placeholder again`);
      }
    });

    test('a binding error is shown in place and the form keeps its entries', async () => {
      const b = await h.signedIn();
      const csrf = await b.csrfFrom('/sandboxes/new');
      const res = await b.post('/sandboxes', { _csrf: csrf, name: 'broken', bind: 'sbx-secret', 'env:sbx-secret': 'PATH' });
      assert.equal(res.status, 400);
      const html = await res.text();
      assert.match(html, /role="alert"/);
      assert.match(html, /value="broken"/);
    });

    test('explain shows which level wins for a sandbox', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { secret } = await h.core.services.secrets.create(admin, { name: 'explained', value: canary(), hosts: ['api.example.com'] });
      const sb = await h.core.services.sandboxes.create(admin, { name: 'explainer', secrets: { EXPLAINED: 'explained' } });
      const b = await h.signedIn();
      const html = await (await b.get(`/secrets/${secret.id}?sandbox=${sb.sandbox.id}`)).text();
      assert.match(html, /id="explain-result"/);
      assert.match(html, /Wins/);
      assert.match(html, /resolved at tenant/);
      const bad = await (await b.get(`/secrets/${secret.id}?sandbox=sbx_doesnotexist`)).text();
      assert.match(bad, /sandbox .*not found/);
    });
  });

  describe('scopes', () => {
    test('the dashboard applies the key’s scopes, like the API', async () => {
      const admin = await h.core.services.keys.authenticate(h.adminKey, null);
      const { secret } = await h.core.services.keys.create(admin, { name: 'read-only', scopes: ['secrets:read'] });
      const b = await h.signedIn(secret);
      assert.equal((await b.get('/secrets')).status, 200);
      const keys = await b.get('/keys');
      assert.equal(keys.status, 403);
      assert.match(await keys.text(), /lacks the scope &quot;keys:read&quot;|lacks the scope "keys:read"/);
      const csrf = await b.csrfFrom('/secrets/new');
      const res = await b.post('/secrets', { _csrf: csrf, name: 'not-allowed', value: canary(), hosts: 'api.example.com' });
      assert.equal(res.status, 403);
      assert.match(await res.text(), /secrets:write/);
    });
  });

  // After every test that expects an intact chain: this one breaks the tenant's chain for good.
  describe('audit chain status', () => {
    test('a truncated tail shows as a broken chain on the audit page', async () => {
      const b = await h.signedIn();
      assert.match(await (await b.get('/audit')).text(), /Chain verified/);
      const { tenantId } = await h.core.services.keys.authenticate(h.adminKey, null);
      const { seq } = (await h.core.store.audit.head(tenantId))!;
      await h.core.store.db.deleteFrom('audit_events').where('tenant_id', '=', tenantId).where('seq', '=', seq).execute();
      const html = await (await b.get('/audit')).text();
      assert.match(html, new RegExp(`Chain broken at row ${seq}`));
      assert.match(html, new RegExp(`the chain ends at seq ${seq - 1} but the tenant&#39;s head says ${seq} \\(rows were removed from the end\\)\\.`));
    });
  });

  describe('mounted in main.ts', () => {
    test('the dashboard and the API share one app without stepping on each other', async () => {
      const c = h.client(h.http);
      assert.equal((await c.get('/')).headers.get('location'), '/sign-in');
      const signIn = await c.get('/sign-in');
      assert.equal(signIn.status, 200);
      assert.equal(signIn.headers.get('content-security-policy'), CSP);
      const api = await h.http.request('http://127.0.0.1/v1/secrets');
      assert.equal(api.status, 401);
      assert.match(api.headers.get('content-type') ?? '', /json/);
      assert.equal(api.headers.get('content-security-policy'), null, 'API responses are left alone');
      assert.equal((await h.http.request('http://127.0.0.1/healthz')).status, 200);
      const withKey = await h.http.request('http://127.0.0.1/v1/secrets', { headers: { authorization: `Bearer ${h.adminKey}` } });
      assert.equal(withKey.status, 200);
    });
  });
});
