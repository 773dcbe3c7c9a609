// Audit through the API: every mutation writes one row (key, actor, action, target, outcome,
// request id) in its own transaction; a mutation whose row cannot be written fails and leaves no
// trace; GET /v1/audit filters and paginates; /v1/audit/verify notices tampering.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pgAvailable } from '../helpers/pg.js';
import { call, createKey, createWorkspace, expectStatus } from './helpers.js';

const pgOk = await pgAvailable();

let n = 0;
const rid = () => `req-audit-${Date.now()}-${++n}`;

/** Every audit row of the tenant, oldest first, read page by page through the API. */
async function allRows(s: TestServer, query = ''): Promise<any[]> {
  const rows: any[] = [];
  let cursor: string | null = null;
  do {
    const r: any = await call(s, 'GET', `/v1/audit?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expectStatus(r, 200);
    rows.push(...r.body.data);
    cursor = r.body.nextCursor;
  } while (cursor);
  return rows.reverse();
}

describe('an audit row for every mutation', () => {
  let s: TestServer;
  let key: { id: string; key: string };
  let userId: string;
  before(async () => {
    s = await startTestServer({ proxy: false });
    key = await createKey(s, { name: 'audited key' });
    userId = (await s.running.core.services.keys.authenticate(key.key, null)).userId;
  });
  after(async () => s?.stop());

  /**
   * Every mutating route of the OpenAPI document, the action it records, and how to call it.
   * A new mutating route without an entry fails the first test.
   */
  const mutations: Record<string, { action: string; run: () => Promise<{ status: number; target: string; requestId: string }> }> = {};
  const as = async (method: string, path: string, body?: unknown) => {
    const requestId = rid();
    const r = await call(s, method, path, { body, key: key.key, headers: { 'x-request-id': requestId } });
    assert.equal(r.headers.get('x-request-id'), requestId, 'the request id is echoed');
    return { r, requestId };
  };
  const secretFixture = async (name: string) => (await call(s, 'POST', '/v1/secrets', { body: { name, value: `${name}-value-123`, hosts: ['api.example.com'] } })).body.id as string;
  mutations['POST /v1/secrets'] = { action: 'secrets.create', run: async () => { const { r, requestId } = await as('POST', '/v1/secrets', { name: 'a-created', value: 'a-created-value', hosts: ['api.example.com'] }); return { status: r.status, target: r.body.id, requestId }; } };
  mutations['PATCH /v1/secrets/{id}'] = { action: 'secrets.update', run: async () => { const id = await secretFixture('a-patched'); const { r, requestId } = await as('PATCH', `/v1/secrets/${id}`, { description: 'x' }); return { status: r.status, target: id, requestId }; } };
  mutations['DELETE /v1/secrets/{id}'] = { action: 'secrets.delete', run: async () => { const id = await secretFixture('a-deleted'); const { r, requestId } = await as('DELETE', `/v1/secrets/${id}`); return { status: r.status, target: id, requestId }; } };
  mutations['POST /v1/secrets/{id}/rotate'] = { action: 'secrets.rotate', run: async () => { const id = await secretFixture('a-rotated'); const { r, requestId } = await as('POST', `/v1/secrets/${id}/rotate`, { value: 'a-rotated-value-2' }); return { status: r.status, target: id, requestId }; } };
  mutations['POST /v1/api-keys'] = { action: 'keys.create', run: async () => { const { r, requestId } = await as('POST', '/v1/api-keys', { name: 'a-key', scopes: ['secrets:read'] }); return { status: r.status, target: r.body.id, requestId }; } };
  mutations['DELETE /v1/api-keys/{id}'] = { action: 'keys.revoke', run: async () => { const k = await createKey(s, { name: 'a-revoked', scopes: ['secrets:read'] }); const { r, requestId } = await as('DELETE', `/v1/api-keys/${k.id}`); return { status: r.status, target: k.id, requestId }; } };
  mutations['POST /v1/workspaces'] = { action: 'workspaces.create', run: async () => { const { r, requestId } = await as('POST', '/v1/workspaces', { name: 'a-ws' }); return { status: r.status, target: r.body.id, requestId }; } };
  mutations['POST /v1/users'] = { action: 'users.create', run: async () => { const { r, requestId } = await as('POST', '/v1/users', { name: 'a-user' }); return { status: r.status, target: r.body.id, requestId }; } };
  mutations['POST /v1/sessions/{sid}/secrets'] = { action: 'secrets.create', run: async () => { const { r, requestId } = await as('POST', '/v1/sessions/a-sess/secrets', { A_SESSION: { value: 'a-session-value', hosts: ['api.example.com'] } }); return { status: r.status, target: r.body.data[0].id, requestId }; } };
  mutations['DELETE /v1/sessions/{sid}/secrets/{name}'] = { action: 'secrets.delete', run: async () => { const c = await call(s, 'POST', '/v1/sessions/b-sess/secrets', { body: { B_SESSION: { value: 'b-session-value', hosts: ['api.example.com'] } } }); const { r, requestId } = await as('DELETE', '/v1/sessions/b-sess/secrets/B_SESSION'); return { status: r.status, target: c.body.data[0].id, requestId }; } };
  mutations['POST /v1/sandboxes'] = { action: 'sandboxes.create', run: async () => { const { r, requestId } = await as('POST', '/v1/sandboxes', { name: 'a-sandbox' }); return { status: r.status, target: r.body.id, requestId }; } };
  mutations['DELETE /v1/sandboxes/{id}'] = { action: 'sandboxes.delete', run: async () => { const c = await call(s, 'POST', '/v1/sandboxes', { body: { name: 'b-sandbox' } }); const { r, requestId } = await as('DELETE', `/v1/sandboxes/${c.body.id}`); return { status: r.status, target: c.body.id, requestId }; } };

  test('the table covers every mutating route of /v1/openapi.json', async () => {
    const spec = (await (await fetch(`${s.apiUrl}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const mutating = Object.entries(spec.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => ['post', 'put', 'patch', 'delete'].includes(m)).map((m) => `${m.toUpperCase()} ${p}`));
    assert.deepEqual(mutating.sort(), Object.keys(mutations).sort());
  });

  for (const [route, m] of Object.entries(mutations)) {
    test(`${route} writes one ${m.action} row with key, actor, target, outcome and request id`, async () => {
      const res = await m.run();
      assert.ok(res.status >= 200 && res.status < 300, `${route} succeeded (${res.status})`);
      const rows = (await allRows(s)).filter((r) => r.requestId === res.requestId);
      assert.equal(rows.length, 1, `exactly one row carries request id ${res.requestId}`);
      const row = rows[0];
      assert.equal(row.action, m.action);
      assert.equal(row.target, res.target);
      assert.equal(row.apiKeyId, key.id);
      assert.ok(row.actor.includes(key.id) && row.actor.includes(userId), `actor "${row.actor}" names the user and the key`);
      assert.equal(row.outcome, 'success');
      assert.ok(Math.abs(Date.parse(row.at) - Date.now()) < 60_000);
    });
  }

  test('reads and refused mutations write no audit rows', async () => {
    const before_ = (await allRows(s)).length;
    await call(s, 'GET', '/v1/secrets');
    await call(s, 'GET', '/v1/audit');
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'a-created', value: 'dup-value-12345' } }), 409);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'bad name', value: 'x-value-123456' } }), 400);
    expectStatus(await call(s, 'DELETE', '/v1/secrets/sec_doesnotexist'), 404);
    const ro = await createKey(s, { scopes: ['secrets:read'] });
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: ro.key, body: { name: 'ro', value: 'ro-value-123456' } }), 403);
    assert.equal((await allRows(s)).length, before_ + 1, 'only the key creation above added a row');
  });

  test('audit rows carry value-free details', async () => {
    const rows = await allRows(s);
    const text = JSON.stringify(rows);
    for (const v of ['a-created-value', 'a-rotated-value-2', 'a-session-value', 'b-session-value']) assert.equal(text.includes(v), false, `${v} is not in the audit log`);
  });
});

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a mutation whose audit row cannot be written on ${dialect}`, { skip: dialect === 'postgres' && !pgOk ? 'PostgreSQL is not reachable' : false }, () => {
    let s: TestServer;
    let existing: string;
    let keyId: string;
    let sandboxId: string;
    before(async () => {
      s = await startTestServer({ dialect, proxy: false });
      existing = (await call(s, 'POST', '/v1/secrets', { body: { name: 'pre-existing', value: 'pre-existing-value', hosts: ['api.example.com'] } })).body.id;
      keyId = (await createKey(s, { name: 'survivor', scopes: ['secrets:read'] })).id;
      sandboxId = (await call(s, 'POST', '/v1/sandboxes', { body: { name: 'survivor' } })).body.id;
      const db = s.running.core.store.db;
      if (dialect === 'sqlite') {
        await sql`create trigger audit_offline before insert on audit_events begin select raise(abort, 'audit storage offline'); end`.execute(db);
      } else {
        await sql.raw(`create function audit_offline() returns trigger language plpgsql as $$ begin raise exception 'audit storage offline'; end $$`).execute(db);
        await sql`create trigger audit_offline before insert on audit_events for each row execute function audit_offline()`.execute(db);
      }
    });
    after(async () => s?.stop());

    const cases: Array<[string, string, () => string, unknown]> = [
      ['creating a secret', 'POST', () => '/v1/secrets', { name: 'never-stored', value: 'never-stored-value', hosts: ['api.example.com'] }],
      ['rotating a secret', 'POST', () => `/v1/secrets/${existing}/rotate`, { value: 'never-rotated-value' }],
      ['changing a secret', 'PATCH', () => `/v1/secrets/${existing}`, { hosts: ['evil.example.com'] }],
      ['deleting a secret', 'DELETE', () => `/v1/secrets/${existing}`, undefined],
      ['upserting session secrets', 'POST', () => '/v1/sessions/s-offline/secrets', { NEVER_STORED: { value: 'never-stored-value', hosts: ['api.example.com'] } }],
      ['creating an API key', 'POST', () => '/v1/api-keys', { name: 'never-issued' }],
      ['revoking an API key', 'DELETE', () => `/v1/api-keys/${keyId}`, undefined],
      ['creating a workspace', 'POST', () => '/v1/workspaces', { name: 'never-made' }],
      ['creating a user', 'POST', () => '/v1/users', { name: 'never-made' }],
      ['creating a sandbox', 'POST', () => '/v1/sandboxes', { name: 'never-made' }],
      ['deleting a sandbox', 'DELETE', () => `/v1/sandboxes/${sandboxId}`, undefined],
    ];
    for (const [what, method, path, body] of cases) {
      test(`${what} fails with a 5xx that does not leak the database error`, async () => {
        const r = await call(s, method, path(), { body });
        assert.ok(r.status >= 500 && r.status < 600, `${what}: expected 5xx, got ${r.status} ${r.text.slice(0, 200)}`);
        assert.equal(r.body.error.code, 'internal');
        assert.equal(r.text.includes('audit storage offline'), false);
      });
    }

    test('and none of them left a trace', async () => {
      const store = s.running.core.store;
      assert.equal(await store.secrets.getAt(s.tenantId, { scope: 'tenant', ref: '' }, 'never-stored'), null);
      assert.equal(await store.secrets.getAt(s.tenantId, { scope: 'session', ref: 's-offline' }, 'NEVER_STORED'), null);
      const pre = await store.secrets.get(s.tenantId, existing);
      assert.equal(pre?.version, 1, 'not rotated');
      assert.deepEqual(pre?.hosts, ['api.example.com'], 'not changed');
      assert.deepEqual((await store.secrets.versions(s.tenantId, existing)).map((v) => v.version), [1], 'no orphan version row');
      const keys = await store.apiKeys.list(s.tenantId);
      assert.equal(keys.some((k) => k.name === 'never-issued'), false);
      assert.equal(keys.find((k) => k.id === keyId)?.revokedAt, null, 'not revoked');
      assert.equal((await store.tenancy.listWorkspaces(s.tenantId)).some((w) => w.name === 'never-made'), false);
      assert.equal((await store.tenancy.listUsers(s.tenantId)).some((u) => u.name === 'never-made'), false);
      assert.ok(await store.sandboxes.get(s.tenantId, sandboxId), 'the sandbox still exists');
      assert.equal((await store.sandboxes.list(s.tenantId)).data.some((x) => x.name === 'never-made'), false);
      assert.match(s.logs(), /unhandled error/, 'the failure is logged for the operator');
    });

    test('once the audit log accepts rows again, mutations work and the chain is intact', async () => {
      const db = s.running.core.store.db;
      await sql`drop trigger audit_offline${sql.raw(dialect === 'postgres' ? ' on audit_events' : '')}`.execute(db);
      expectStatus(await call(s, 'POST', `/v1/secrets/${existing}/rotate`, { body: { value: 'rotated-at-last' } }), 200);
      const v = await call(s, 'GET', '/v1/audit/verify');
      assert.deepEqual(v.body, { ok: true, rows: v.body.rows, brokenAt: null });
    });
  });
}

describe('reading and verifying the audit log', () => {
  let s: TestServer;
  let ws: string;
  let keyA: { id: string; key: string };
  let keyW: { id: string; key: string };
  before(async () => {
    s = await startTestServer({ proxy: false });
    ws = await createWorkspace(s, 'audit-ws');
    keyA = await createKey(s, { name: 'key a' });
    keyW = await createKey(s, { name: 'workspace key', workspaceId: ws });
    for (let i = 0; i < 12; i++) expectStatus(await call(s, 'POST', '/v1/secrets', { key: keyA.key, body: { name: `audit-${i}`, value: `audit-value-${i}-xxxx` } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets/audit-0/rotate', { key: keyA.key, body: { value: 'audit-value-0-yyyy' } }), 200);
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: keyW.key, body: { name: 'ws-secret', value: 'ws-secret-value-1' } }), 201);
  });
  after(async () => s?.stop());

  test('filters by API key, workspace, action, action prefix, target and time', async () => {
    const byKey = await allRows(s, `&apiKeyId=${keyA.id}`);
    assert.equal(byKey.length, 13);
    assert.ok(byKey.every((r) => r.apiKeyId === keyA.id));
    const byWs = await allRows(s, `&workspaceId=${ws}`);
    assert.deepEqual(byWs.map((r) => r.action), ['secrets.create']);
    assert.equal((await allRows(s, '&action=secrets.rotate')).length, 1);
    assert.equal((await allRows(s, '&action=secrets.*')).length, 14);
    const target = byKey.find((r) => r.action === 'secrets.rotate').target;
    assert.deepEqual((await allRows(s, `&target=${target}`)).map((r) => r.action), ['secrets.create', 'secrets.rotate']);
    const all = await allRows(s);
    const mid = all[Math.floor(all.length / 2)].at;
    const since = await allRows(s, `&since=${encodeURIComponent(mid)}`);
    const until = await allRows(s, `&until=${encodeURIComponent(mid)}`);
    assert.equal(since.length + until.length, all.length, 'since and until split the log at one instant');
    assert.ok(since.every((r) => r.at >= mid) && until.every((r) => r.at < mid));
  });

  test('pages are newest first, do not overlap and cover the whole log', async () => {
    const seqs: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: any = await call(s, 'GET', `/v1/audit?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seqs.push(...r.body.data.map((x: any) => x.seq));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    const total = seqs.length;
    assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => total - i));
    assert.equal(pages, Math.ceil(total / 4));
  });

  test('a workspace-limited key sees only its workspace\'s rows', async () => {
    const r = await call(s, 'GET', '/v1/audit?limit=500', { key: keyW.key });
    expectStatus(r, 200);
    assert.ok(r.body.data.length > 0);
    assert.ok(r.body.data.every((x: any) => x.workspaceId === ws));
    const sneaky = await call(s, 'GET', '/v1/audit?limit=500&workspaceId=', { key: keyW.key });
    assert.ok(sneaky.body.data.every((x: any) => x.workspaceId === ws));
  });

  test('verify reports an intact chain, then the first changed row after tampering', async () => {
    const ok = await call(s, 'GET', '/v1/audit/verify');
    expectStatus(ok, 200);
    assert.equal(ok.body.ok, true);
    assert.ok(ok.body.rows >= 17);
    assert.equal(ok.body.brokenAt, null);
    await sql`update audit_events set action = ${'secrets.read'} where tenant_id = ${s.tenantId} and seq = 5`.execute(s.running.core.store.db);
    const broken = await call(s, 'GET', '/v1/audit/verify');
    expectStatus(broken, 200);
    assert.equal(broken.body.ok, false);
    assert.equal(broken.body.brokenAt.seq, 5);
    assert.match(broken.body.brokenAt.reason, /changed/);
  });

  test('verify also notices a deleted row', async () => {
    await sql`update audit_events set action = ${'secrets.create'} where tenant_id = ${s.tenantId} and seq = 5`.execute(s.running.core.store.db);
    assert.equal((await call(s, 'GET', '/v1/audit/verify')).body.ok, true, 'restoring the original content restores the chain');
    await sql`delete from audit_events where tenant_id = ${s.tenantId} and seq = 9`.execute(s.running.core.store.db);
    const r = await call(s, 'GET', '/v1/audit/verify');
    assert.equal(r.body.ok, false);
    assert.equal(r.body.brokenAt.seq, 10);
  });
});
