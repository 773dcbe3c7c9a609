// Every route × scope. The route list comes from /v1/openapi.json, so a new route without an
// entry here fails the first test. For each route: a key holding every scope except the required
// one gets 403 missing_scope naming it, and a control key holding exactly that scope does not
// get a 403 (it succeeds). Every route refuses a request without a key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { API_SCOPES, type ApiScope } from '../../src/core/types.js';
import { call, createKey, expectStatus } from './helpers.js';

interface Req {
  path: string;
  body?: unknown;
}

let n = 0;
const uniq = (p: string) => `${p}-${++n}`;

/**
 * The scope each route needs (null: any valid key) and how to build a request that succeeds.
 * Fixtures are made with the admin key, fresh for every call, so a DELETE has something to delete.
 */
function routes(s: TestServer): Record<string, { scope: ApiScope | null; why?: string; req: () => Promise<Req> }> {
  const secret = async () => {
    const r = await call(s, 'POST', '/v1/secrets', { body: { name: uniq('scoped'), value: 'scoped-value-123456', hosts: ['api.example.com'] } });
    expectStatus(r, 201, 'fixture secret');
    return r.body.id as string;
  };
  const sandbox = async () => {
    const r = await call(s, 'POST', '/v1/sandboxes', { body: { name: uniq('sbx') } });
    expectStatus(r, 201, 'fixture sandbox');
    return r.body.id as string;
  };
  return {
    'POST /v1/secrets': { scope: 'secrets:write', req: async () => ({ path: '/v1/secrets', body: { name: uniq('new'), value: 'new-value-1234567', hosts: ['api.example.com'] } }) },
    'GET /v1/secrets': { scope: 'secrets:read', req: async () => ({ path: '/v1/secrets' }) },
    'GET /v1/secrets/explain': { scope: 'secrets:read', req: async () => ({ path: '/v1/secrets/explain?name=anything&userId=usr_x' }) },
    'GET /v1/secrets/{id}': { scope: 'secrets:read', req: async () => ({ path: `/v1/secrets/${await secret()}` }) },
    'PATCH /v1/secrets/{id}': { scope: 'secrets:write', req: async () => ({ path: `/v1/secrets/${await secret()}`, body: { description: 'changed' } }) },
    'DELETE /v1/secrets/{id}': { scope: 'secrets:write', req: async () => ({ path: `/v1/secrets/${await secret()}` }) },
    'POST /v1/secrets/{id}/rotate': { scope: 'secrets:write', req: async () => ({ path: `/v1/secrets/${await secret()}/rotate`, body: { value: 'rotated-value-12345' } }) },
    'GET /v1/secrets/{id}/versions': { scope: 'secrets:read', req: async () => ({ path: `/v1/secrets/${await secret()}/versions` }) },
    'GET /v1/secrets/{id}/usage': { scope: 'secrets:read', req: async () => ({ path: `/v1/secrets/${await secret()}/usage` }) },
    'POST /v1/api-keys': { scope: 'keys:write', req: async () => ({ path: '/v1/api-keys', body: { name: uniq('k'), scopes: ['keys:write'] } }) },
    'GET /v1/api-keys': { scope: 'keys:read', req: async () => ({ path: '/v1/api-keys?includeRevoked=true' }) },
    'DELETE /v1/api-keys/{id}': { scope: 'keys:write', req: async () => ({ path: `/v1/api-keys/${(await createKey(s, { name: uniq('victim'), scopes: ['secrets:read'] })).id}` }) },
    'GET /v1/audit': { scope: 'audit:read', req: async () => ({ path: '/v1/audit' }) },
    'GET /v1/audit/verify': { scope: 'audit:read', req: async () => ({ path: '/v1/audit/verify' }) },
    'POST /v1/workspaces': { scope: 'admin', req: async () => ({ path: '/v1/workspaces', body: { name: uniq('ws') } }) },
    'GET /v1/workspaces': { scope: null, why: 'any key may list the workspaces it can use', req: async () => ({ path: '/v1/workspaces' }) },
    'POST /v1/users': { scope: 'admin', req: async () => ({ path: '/v1/users', body: { name: uniq('user') } }) },
    'GET /v1/users': { scope: 'admin', req: async () => ({ path: '/v1/users' }) },
    'POST /v1/sessions/{sid}/secrets': { scope: 'secrets:write', req: async () => ({ path: `/v1/sessions/${uniq('sess')}/secrets`, body: { SOME_TOKEN: { value: 'session-value-12345', hosts: ['api.example.com'] } } }) },
    'GET /v1/sessions/{sid}/secrets': { scope: 'secrets:read', req: async () => ({ path: '/v1/sessions/sess-any/secrets' }) },
    'DELETE /v1/sessions/{sid}/secrets/{name}': {
      scope: 'secrets:write',
      req: async () => {
        const sid = uniq('sess');
        expectStatus(await call(s, 'POST', `/v1/sessions/${sid}/secrets`, { body: { DOOMED: { value: 'doomed-value-12345', hosts: ['api.example.com'] } } }), 200, 'fixture session secret');
        return { path: `/v1/sessions/${sid}/secrets/DOOMED` };
      },
    },
    'POST /v1/sandboxes': { scope: 'sandboxes:write', req: async () => ({ path: '/v1/sandboxes', body: { name: uniq('sbx') } }) },
    'GET /v1/sandboxes': { scope: 'sandboxes:read', req: async () => ({ path: '/v1/sandboxes' }) },
    'GET /v1/sandboxes/{id}': { scope: 'sandboxes:read', req: async () => ({ path: `/v1/sandboxes/${await sandbox()}` }) },
    'DELETE /v1/sandboxes/{id}': { scope: 'sandboxes:write', req: async () => ({ path: `/v1/sandboxes/${await sandbox()}` }) },
    'GET /v1/sandboxes/{id}/egress': { scope: 'sandboxes:read', req: async () => ({ path: `/v1/sandboxes/${await sandbox()}/egress` }) },
    'GET /v1/providers': { scope: null, why: 'the provider catalog is public data', req: async () => ({ path: '/v1/providers' }) },
  };
}

let s: TestServer;
let table: ReturnType<typeof routes>;
let specRoutes: string[];
const denyKey = new Map<ApiScope, string>();
const onlyKey = new Map<ApiScope | null, string>();

before(async () => {
  s = await startTestServer({ proxy: false });
  table = routes(s);
  const spec = await (await fetch(`${s.apiUrl}/v1/openapi.json`)).json() as { paths: Record<string, Record<string, unknown>> };
  specRoutes = Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.keys(ops).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${path}`));
  for (const scope of API_SCOPES) {
    denyKey.set(scope, (await createKey(s, { name: `all but ${scope}`, scopes: API_SCOPES.filter((x) => x !== scope && x !== 'admin') })).key);
    onlyKey.set(scope, (await createKey(s, { name: `only ${scope}`, scopes: [scope] })).key);
  }
  onlyKey.set(null, (await createKey(s, { name: 'no scopes', scopes: [] })).key);
});
after(async () => s?.stop());

test('the table covers exactly the routes in /v1/openapi.json', () => {
  assert.ok(specRoutes.length >= 20, `the spec lists ${specRoutes.length} routes`);
  assert.deepEqual([...specRoutes].sort(), Object.keys(table).sort(), 'add new routes to this table with their scope');
});

test('the OpenAPI document itself is public', async () => {
  const r = await call(s, 'GET', '/v1/openapi.json', { key: null });
  expectStatus(r, 200);
  assert.equal(r.body.openapi, '3.1.0');
});

describe('every route × scope', () => {
  // Routes are known only once the server runs; the names come from a fixed list mirrored above.
  const names = Object.keys(routes({} as TestServer));
  for (const route of names) {
    const [method, template] = route.split(' ') as [string, string];
    test(`${route} without a key is a 401`, async () => {
      const r = await call(s, method, template.replace(/\{[^}]+\}/g, 'x'), { key: null, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
      expectStatus(r, 401);
    });
    test(`${route}: a key lacking its scope is refused with 403 naming it, a key with only that scope is not`, async () => {
      const entry = table[route]!;
      if (entry.scope === null) {
        const r = await entry.req();
        const ok = await call(s, method, r.path, { body: r.body, key: onlyKey.get(null) });
        assert.ok(ok.status >= 200 && ok.status < 300, `${route} needs no scope (${entry.why}); a key with no scopes got ${ok.status} ${ok.text.slice(0, 200)}`);
        return;
      }
      const denied = await entry.req();
      const d = await call(s, method, denied.path, { body: denied.body, key: denyKey.get(entry.scope) });
      expectStatus(d, 403, `${route} with every scope but ${entry.scope}`);
      assert.equal(d.body.error.code, 'missing_scope');
      assert.equal(d.body.error.details.requiredScope, entry.scope);
      assert.ok(d.body.error.message.includes(entry.scope));
      const control = await entry.req();
      const c = await call(s, method, control.path, { body: control.body, key: onlyKey.get(entry.scope) });
      assert.notEqual(c.status, 403, `${route} with only ${entry.scope}: ${c.text.slice(0, 200)}`);
      assert.ok(c.status >= 200 && c.status < 300, `${route} with only ${entry.scope} succeeds, got ${c.status} ${c.text.slice(0, 200)}`);
    });
  }
});

test('the admin scope stands in for every other scope', async () => {
  const k = await createKey(s, { name: 'admin only', scopes: ['admin'] });
  for (const route of ['GET /v1/secrets', 'GET /v1/audit', 'GET /v1/api-keys', 'GET /v1/sandboxes']) {
    const [method, path] = route.split(' ') as [string, string];
    expectStatus(await call(s, method, path, { key: k.key }), 200, route);
  }
});
