// Who may do what: API keys (shown once, prefixes, revocation, expiry, scopes), admin-only
// workspaces and users, member keys and the default scope that follows the key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { call, createKey, createMember, createWorkspace, expectStatus, sleep } from './helpers.js';
import { MEMBER_SCOPES } from '../../src/services/keys.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ proxy: false });
});
after(async () => s?.stop());

describe('API keys', () => {
  test('a new key is shown once, in the create response; lists show its 12-character prefix only', async () => {
    const k = await createKey(s, { name: 'ci', scopes: ['secrets:read'] });
    assert.match(k.key, /^stn_live_[0-9A-Za-z]{46}$/);
    assert.equal(k.body.prefix, k.key.slice(0, 12));
    assert.deepEqual(k.body.scopes, ['secrets:read']);
    const list = await call(s, 'GET', '/v1/api-keys');
    expectStatus(list, 200);
    const listed = list.body.data.find((x: any) => x.id === k.id);
    assert.ok(listed);
    assert.equal(listed.prefix, k.key.slice(0, 12));
    assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'expiresAt', 'id', 'kind', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'scopes', 'userId', 'workspaceId']);
    assert.equal(list.text.includes(k.key), false, 'the list never contains a whole key');
    assert.equal(list.text.includes(k.key.slice(0, 13)), false, 'nor more than its prefix');
    assert.equal(list.text.includes(s.adminKey.slice(12)), false);
    const test_ = await createKey(s, { name: 'test kind', kind: 'test' });
    assert.match(test_.key, /^stn_test_/);
  });

  test('a key works at once, and its use is recorded as last-used time', async () => {
    const k = await createKey(s, { scopes: ['secrets:read'] });
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: k.key }), 200);
    await s.running.core.services.keys.flushLastUsed();
    const listed = (await call(s, 'GET', '/v1/api-keys')).body.data.find((x: any) => x.id === k.id);
    assert.ok(listed.lastUsedAt, 'lastUsedAt is set after a request');
  });

  test('a revoked key fails with 401 on its very next request', async () => {
    const k = await createKey(s, { scopes: ['secrets:read', 'keys:write'] });
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: k.key }), 200);
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${k.id}`), 204);
    const r = await call(s, 'GET', '/v1/secrets', { key: k.key });
    expectStatus(r, 401);
    assert.equal(r.body.error.code, 'key_revoked');
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${k.id}`, { key: k.key }), 401, 'a revoked key cannot act at all');
    assert.equal((await call(s, 'GET', '/v1/api-keys')).body.data.some((x: any) => x.id === k.id), false, 'revoked keys leave the list');
  });

  test('revoked keys are listed, with their revocation time, only when asked with includeRevoked=true', async () => {
    const k = await createKey(s, { name: 'listed-after-revoke', scopes: ['secrets:read'] });
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${k.id}`), 204);
    for (const q of ['', '?includeRevoked=false']) {
      const plain = await call(s, 'GET', `/v1/api-keys${q}`);
      expectStatus(plain, 200);
      assert.equal(plain.body.data.some((x: any) => x.id === k.id), false, `hidden with "${q}"`);
    }
    const all = await call(s, 'GET', '/v1/api-keys?includeRevoked=true');
    expectStatus(all, 200);
    const listed = all.body.data.find((x: any) => x.id === k.id);
    assert.ok(listed, 'listed with includeRevoked=true');
    assert.ok(Date.parse(listed.revokedAt) > 0, 'with the time it was revoked');
    assert.ok(all.body.data.some((x: any) => x.revokedAt === null), 'active keys too');
    expectStatus(await call(s, 'GET', '/v1/api-keys?includeRevoked=yes'), 400);

    // A member sees their own revoked keys, never another user's.
    const m = await createMember(s, 'revoked-lister');
    const own = await createKey(s, { name: 'members-old-key', userId: m.userId, scopes: ['secrets:read'] });
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${own.id}`), 204);
    const mine = await call(s, 'GET', '/v1/api-keys?includeRevoked=true', { key: m.key });
    expectStatus(mine, 200);
    assert.deepEqual(mine.body.data.map((x: any) => x.id).sort(), [m.keyId, own.id].sort());
  });

  test('authenticateById applies the checks of authenticate: unknown, revoked and expired keys are refused', async () => {
    const keys = s.running.core.services.keys;
    const k = await createKey(s, { name: 'by-id', scopes: ['secrets:read'] });
    const byId = await keys.authenticateById(k.id, 'req-by-id');
    const byKey = await keys.authenticate(k.key, 'req-by-id');
    assert.deepEqual(byId, byKey, 'the same actor as authenticating by the key');
    const code = (p: Promise<unknown>) => p.then(() => 'accepted', (e: any) => e.code);
    assert.equal(await code(keys.authenticateById('key_doesNotExist0000000', null)), 'unauthenticated');
    assert.equal(await code(keys.authenticateById("key_x' or '1'='1", null)), 'unauthenticated');
    assert.equal(await code(keys.authenticateById('', null)), 'unauthenticated');

    const e = await createKey(s, { name: 'by-id-expiring', scopes: ['secrets:read'], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await s.running.core.store.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', e.id).execute();
    assert.equal(await code(keys.authenticateById(e.id, null)), 'key_expired');

    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${k.id}`), 204);
    assert.equal(await code(keys.authenticateById(k.id, null)), 'key_revoked', 'no cache: the revocation applies at once');
  });

  test('a key may revoke itself, and then it is dead', async () => {
    const k = await createKey(s, { scopes: ['keys:write', 'secrets:read'] });
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${k.id}`, { key: k.key }), 204);
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: k.key }), 401);
  });

  test('an expired key fails with 401, never 403, even on a route it lacks the scope for', async () => {
    const k = await createKey(s, { scopes: ['secrets:read'], expiresAt: new Date(Date.now() + 1200).toISOString() });
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: k.key }), 200, 'before expiry');
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'x-expired', value: 'x-expired-value' } }), 403, 'before expiry, a missing scope is a 403');
    await sleep(Math.max(0, Date.parse(k.body.expiresAt) - Date.now()) + 50);
    const r = await call(s, 'GET', '/v1/secrets', { key: k.key });
    expectStatus(r, 401);
    assert.equal(r.body.error.code, 'key_expired');
    const w = await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'x-expired', value: 'x-expired-value' } });
    expectStatus(w, 401, 'after expiry, the same call is a 401');
    const past = await createKey(s, { scopes: ['secrets:read'], expiresAt: '2001-01-01T00:00:00Z' });
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: past.key }), 401, 'a key created already expired never works');
  });

  test('a key without the needed scope gets 403 missing_scope naming the scope', async () => {
    const k = await createKey(s, { scopes: ['secrets:read'] });
    const r = await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'nope', value: 'nope-value-1234' } });
    expectStatus(r, 403);
    assert.equal(r.body.error.code, 'missing_scope');
    assert.match(r.body.error.message, /"secrets:write"/);
    assert.equal(r.body.error.details.requiredScope, 'secrets:write');
  });

  test('missing, malformed, unknown and mistyped keys are 401s', async () => {
    const noKey = await call(s, 'GET', '/v1/secrets', { key: null });
    expectStatus(noKey, 401);
    assert.match(noKey.body.error.message, /Authorization: Bearer/);
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: 'not-a-key' }), 401);
    const last = s.adminKey.at(-1) === 'A' ? 'B' : 'A';
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: s.adminKey.slice(0, -1) + last }), 401, 'a one-character typo fails the checksum');
    const { generateApiKey } = await import('../../src/crypto/tokens.js');
    const forged = await call(s, 'GET', '/v1/secrets', { key: generateApiKey('live') });
    expectStatus(forged, 401, 'a well-formed key that was never issued');
    assert.equal(forged.body.error.code, 'unauthenticated');
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: null, headers: { authorization: `Basic ${Buffer.from(`x:${s.adminKey}`).toString('base64')}` } }), 401);
  });

  test('a key cannot hand out scopes it does not hold, and members never get admin', async () => {
    const k = await createKey(s, { scopes: ['keys:write', 'secrets:read'] });
    const up = await call(s, 'POST', '/v1/api-keys', { key: k.key, body: { name: 'escalate', scopes: ['secrets:write'] } });
    expectStatus(up, 403);
    assert.match(up.body.error.message, /secrets:write/);
    const m = await createMember(s, 'no-admin-member');
    const adm = await call(s, 'POST', '/v1/api-keys', { body: { name: 'm-admin', userId: m.userId, scopes: ['admin'] } });
    expectStatus(adm, 403);
    const mine = await call(s, 'POST', '/v1/api-keys', { key: m.key, body: { name: 'self', scopes: ['admin'] } });
    expectStatus(mine, 403);
    expectStatus(await call(s, 'POST', '/v1/api-keys', { body: { name: 'bad', scopes: ['root'] } }), 400);
    expectStatus(await call(s, 'POST', '/v1/api-keys', { body: { name: 'bad', expiresAt: 'tomorrow' } }), 400);
  });
});

describe('workspaces and users', () => {
  test('an admin creates and lists workspaces and users; duplicate workspace names are 409s', async () => {
    const ws = await createWorkspace(s, 'team-a');
    assert.match(ws, /^wsp_/);
    expectStatus(await call(s, 'POST', '/v1/workspaces', { body: { name: 'team-a' } }), 409);
    const dupes = await Promise.all([1, 2, 3].map(() => call(s, 'POST', '/v1/workspaces', { body: { name: 'team-race' } })));
    assert.deepEqual(dupes.map((r) => r.status).sort(), [201, 409, 409], 'a race on one name is a 409, not a 500');
    expectStatus(await call(s, 'POST', '/v1/workspaces', { body: { name: ' bad name' } }), 400);
    assert.ok((await call(s, 'GET', '/v1/workspaces')).body.data.some((w: any) => w.id === ws));
    const u = await call(s, 'POST', '/v1/users', { body: { name: 'alice', email: 'alice@example.com' } });
    expectStatus(u, 201);
    assert.equal(u.body.role, 'member', 'new users are members by default');
    expectStatus(await call(s, 'POST', '/v1/users', { body: { name: 'bob', email: 'not-an-email' } }), 400);
    assert.ok((await call(s, 'GET', '/v1/users')).body.data.some((x: any) => x.id === u.body.id));
  });

  test('a member may not create or list users or create workspaces', async () => {
    const m = await createMember(s, 'plain-member');
    expectStatus(await call(s, 'POST', '/v1/workspaces', { key: m.key, body: { name: 'member-ws' } }), 403);
    expectStatus(await call(s, 'POST', '/v1/users', { key: m.key, body: { name: 'sneaky' } }), 403);
    expectStatus(await call(s, 'GET', '/v1/users', { key: m.key }), 403);
  });

  test('listing users needs the admin scope, not just an admin user\'s key', async () => {
    const k = await createKey(s, { scopes: ['audit:read'] });
    const r = await call(s, 'GET', '/v1/users', { key: k.key });
    expectStatus(r, 403);
    assert.equal(r.body.error.details?.requiredScope, 'admin');
  });

  test('a workspace-limited key lists only its own workspace', async () => {
    const ws = await createWorkspace(s, 'limited-ws');
    const k = await createKey(s, { name: 'ws key', workspaceId: ws });
    assert.deepEqual((await call(s, 'GET', '/v1/workspaces', { key: k.key })).body.data.map((w: any) => w.id), [ws]);
  });
});

describe('member keys and default scopes', () => {
  let member: { userId: string; key: string; keyId: string };
  let other: { userId: string; key: string; keyId: string };
  before(async () => {
    member = await createMember(s, 'mia');
    other = await createMember(s, 'otto');
    await createWorkspace(s, 'shared-ws');
  });

  test('a member\'s key is a stn_u_ key with the member scopes', async () => {
    assert.match(member.key, /^stn_u_/);
    const listed = (await call(s, 'GET', '/v1/api-keys', { key: member.key })).body.data;
    assert.deepEqual(listed.map((k: any) => k.id), [member.keyId], 'a member lists only their own keys');
    assert.deepEqual([...listed[0].scopes].sort(), [...MEMBER_SCOPES].sort());
    assert.equal(listed[0].kind, 'user');
  });

  test('a member key creates user-scoped secrets by default', async () => {
    const r = await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'my-token', value: 'mia-private-value-1', hosts: ['api.example.com'] } });
    expectStatus(r, 201);
    assert.equal(r.body.scope, 'user');
    assert.equal(r.body.scopeRef, member.userId);
    assert.equal((await call(s, 'GET', '/v1/secrets/my-token', { key: member.key })).body.id, r.body.id, 'and finds it by name');
  });

  test('a member key is refused tenant and workspace secrets with 403', async () => {
    const t = await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'wide', value: 'wide-value-12345', scope: 'tenant' } });
    expectStatus(t, 403);
    assert.match(t.body.error.message, /tenant/);
    const w = await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'wide', value: 'wide-value-12345', scope: 'workspace', scopeId: 'shared-ws' } });
    expectStatus(w, 403);
    for (const scope of ['external_user', 'external_workspace', 'session'] as const) {
      expectStatus(await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'wide', value: 'wide-value-12345', scope, scopeId: 'x-1' } }), 403, `scope ${scope}`);
    }
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'wide', value: 'wide-value-12345', scope: 'user', scopeId: other.userId } }), 403, 'another user\'s scope');
  });

  test('a member sees tenant, workspace and own secrets, but not another user\'s', async () => {
    const theirs = await call(s, 'POST', '/v1/secrets', { key: other.key, body: { name: 'otto-only', value: 'otto-private-value', hosts: ['api.example.com'] } });
    expectStatus(theirs, 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'tenant-visible', value: 'tenant-visible-value', hosts: ['api.example.com'] } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'ws-visible', value: 'ws-visible-value-1', hosts: ['api.example.com'], scope: 'workspace', scopeId: 'shared-ws' } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'session-hidden', value: 'session-hidden-value', hosts: ['api.example.com'], scope: 'session', scopeId: 'sess-h' } }), 201);
    const names = (await call(s, 'GET', '/v1/secrets?limit=500', { key: member.key })).body.data.map((x: any) => x.name);
    assert.ok(names.includes('tenant-visible') && names.includes('ws-visible') && names.includes('my-token'));
    assert.equal(names.includes('otto-only'), false);
    assert.equal(names.includes('session-hidden'), false);
    expectStatus(await call(s, 'GET', `/v1/secrets/${theirs.body.id}`, { key: member.key }), 404, 'by id: not found, not forbidden');
    expectStatus(await call(s, 'DELETE', `/v1/secrets/${theirs.body.id}`, { key: member.key }), 404);
    expectStatus(await call(s, 'POST', `/v1/secrets/${theirs.body.id}/rotate`, { key: member.key, body: { value: 'hijacked-value-1' } }), 404);
    const tenantOne = (await call(s, 'GET', '/v1/secrets/tenant-visible?scope=tenant', { key: member.key }));
    expectStatus(tenantOne, 200, 'a member may read tenant secrets\' metadata');
    expectStatus(await call(s, 'POST', `/v1/secrets/${tenantOne.body.id}/rotate`, { key: member.key, body: { value: 'member-rotates-it' } }), 403, 'but not rotate them');
    expectStatus(await call(s, 'PATCH', `/v1/secrets/${tenantOne.body.id}`, { key: member.key, body: { hosts: ['evil.example.com'] } }), 403, 'nor change their hosts');
    expectStatus(await call(s, 'DELETE', `/v1/secrets/${tenantOne.body.id}`, { key: member.key }), 403, 'nor delete them');
  });

  test('a member may not revoke another user\'s key', async () => {
    expectStatus(await call(s, 'DELETE', `/v1/api-keys/${other.keyId}`, { key: member.key }), 404);
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: other.key }), 200, 'the other key still works');
  });

  test('a workspace-limited admin key creates workspace secrets by default and may not write tenant ones', async () => {
    const ws = (await call(s, 'GET', '/v1/workspaces')).body.data.find((w: any) => w.name === 'shared-ws').id;
    const k = await createKey(s, { name: 'ws admin', workspaceId: ws });
    const r = await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'ws-default', value: 'ws-default-value', hosts: ['api.example.com'] } });
    expectStatus(r, 201);
    assert.equal(r.body.scope, 'workspace');
    assert.equal(r.body.scopeRef, ws);
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'ws-tenant', value: 'ws-tenant-value', scope: 'tenant' } }), 403);
    const otherWs = await createWorkspace(s, 'other-ws');
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'ws-other', value: 'ws-other-value', scope: 'workspace', scopeId: otherWs } }), 403);
  });
});

describe('what a member can learn about other users', () => {
  let alice: { userId: string; key: string; keyId: string };
  let bob: { userId: string; key: string; keyId: string };
  let bobSecret: string;
  before(async () => {
    alice = await createMember(s, 'alice-nosy');
    bob = await createMember(s, 'bob-private');
    const r = await call(s, 'POST', '/v1/secrets', { key: bob.key, body: { name: 'bobs-bank-login', value: 'bobs-bank-value-1', hosts: ['bank.example.com'] } });
    expectStatus(r, 201);
    bobSecret = r.body.id;
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'shared-deploy-token', value: 'SHARED-DEPLOY-PLAINTEXT', hosts: ['deploy.example.com'] } }), 201);
  });

  test('a member\'s audit log holds only their own actions', async () => {
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: alice.key, body: { name: 'alice-own', value: 'alice-own-value-1', hosts: ['a.example.com'] } }), 201);
    const r = await call(s, 'GET', '/v1/audit?limit=500', { key: alice.key });
    expectStatus(r, 200);
    assert.ok(r.body.data.length >= 1);
    assert.ok(r.body.data.every((e: any) => e.actor.includes(alice.userId)), 'only rows alice caused');
    assert.equal(r.text.includes('bobs-bank-login'), false, 'bob\'s private secret name does not leak through the audit log');
    assert.equal(r.text.includes(bobSecret), false);
    const asked = await call(s, 'GET', `/v1/audit?limit=500&apiKeyId=${bob.keyId}`, { key: alice.key });
    assert.deepEqual(asked.body.data, [], 'not even when asking for bob\'s key');
    const admin = await call(s, 'GET', `/v1/audit?limit=500&apiKeyId=${bob.keyId}`);
    assert.ok(admin.body.data.length >= 1, 'an admin still sees everyone');
  });

  test('a member may not explain another user\'s coordinates, and explain shows ids only of readable secrets', async () => {
    const other = await call(s, 'GET', `/v1/secrets/explain?name=bobs-bank-login&userId=${bob.userId}`, { key: alice.key });
    expectStatus(other, 403);
    for (const q of ['sessionId=s-1', 'externalUser=xu-1', 'externalWorkspace=xw-1']) {
      expectStatus(await call(s, 'GET', `/v1/secrets/explain?name=x&${q}`, { key: alice.key }), 403, q);
    }
    const own = await call(s, 'GET', `/v1/secrets/explain?name=shared-deploy-token&userId=${alice.userId}`, { key: alice.key });
    expectStatus(own, 200);
    assert.equal(own.body.resolved?.scope, 'tenant');
    const admin = await call(s, 'GET', `/v1/secrets/explain?name=bobs-bank-login&userId=${bob.userId}`);
    assert.equal(admin.body.resolved?.secretId, bobSecret, 'an admin explains anyone\'s coordinates');
    const wsKey = await createKey(s, { name: 'ws-admin-explain', workspaceId: await createWorkspace(s, 'explain-limited') });
    const limited = await call(s, 'GET', `/v1/secrets/explain?name=bobs-bank-login&userId=${bob.userId}`, { key: wsKey.key });
    expectStatus(limited, 200);
    assert.equal(JSON.stringify(limited.body).includes(bobSecret), false, 'a secret the caller cannot read is shown without its id');
  });

  test('a member cannot read a shared secret\'s value by injecting it into a sandbox, even with secrets:inject', async () => {
    const plain = await call(s, 'POST', '/v1/sandboxes', { key: alice.key, body: { inject: ['shared-deploy-token'] } });
    expectStatus(plain, 403, 'a default member key lacks secrets:inject');
    const injector = await createKey(s, { name: 'alice injects', userId: alice.userId, scopes: [...MEMBER_SCOPES, 'secrets:inject'] });
    const r = await call(s, 'POST', '/v1/sandboxes', { key: injector.key, body: { inject: ['shared-deploy-token'] } });
    expectStatus(r, 403, 'the scope allows injecting, not reading secrets the member could never write');
    assert.equal(r.body.error.code, 'forbidden');
    assert.match(r.body.error.message, /not injected with this key/);
    assert.equal(r.text.includes('SHARED-DEPLOY-PLAINTEXT'), false);
    assert.equal((await s.running.core.store.sandboxes.list(s.tenantId, { userId: alice.userId })).data.length, 0, 'no sandbox was left behind');
    const proxied = await call(s, 'POST', '/v1/sandboxes', { key: alice.key, body: { secrets: { DEPLOY_TOKEN: 'shared-deploy-token' } } });
    expectStatus(proxied, 201, 'binding it in proxy mode (placeholder only) is fine');
    assert.equal(proxied.text.includes('SHARED-DEPLOY-PLAINTEXT'), false);
    const own = await call(s, 'POST', '/v1/sandboxes', { key: injector.key, body: { inject: ['alice-own'] } });
    expectStatus(own, 201, 'a member may inject a secret they could write themselves');
    assert.equal(own.body.env.ALICE_OWN, 'alice-own-value-1');
    const admin = await call(s, 'POST', '/v1/sandboxes', { body: { inject: ['shared-deploy-token'] } });
    expectStatus(admin, 201, 'an admin may inject the shared secret');
  });
});
