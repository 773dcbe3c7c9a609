// Secrets through the HTTP API: CRUD, rotation, versions, scopes and their precedence (explain),
// name lookup, conflicts, validation, and the session-scoped form. The main scenario runs on
// SQLite and on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pgAvailable } from '../helpers/pg.js';
import { call, createMember, createWorkspace, expectStatus } from './helpers.js';
import { SCOPES, type Scope } from '../../src/core/types.js';

const pgOk = await pgAvailable();

/** The metadata fields a secret has in API responses, and nothing else. */
const SECRET_FIELDS = [
  'allowInsecureHttp', 'autoBind', 'bodyPlaceholders', 'createdAt', 'description', 'exposeAs', 'hosts', 'id', 'lastUsedAt', 'name',
  'preview', 'provider', 'scope', 'scopeRef', 'type', 'updatedAt', 'version',
];

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`secrets API main scenario on ${dialect}`, { skip: dialect === 'postgres' && !pgOk ? 'PostgreSQL is not reachable' : false }, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ dialect, proxy: false });
    });
    after(async () => s?.stop());

    test('create, read, list, update, rotate, list versions and delete a secret; no response carries the value', async () => {
      const value = 'sk-main-scenario-value-0001';
      const created = await call(s, 'POST', '/v1/secrets', {
        body: { name: 'openai-api-key', value, provider: 'openai', description: 'team key' },
      });
      expectStatus(created, 201);
      assert.deepEqual(Object.keys(created.body).sort(), SECRET_FIELDS);
      assert.equal(created.body.scope, 'tenant', 'an admin key without a workspace creates tenant secrets by default');
      assert.equal(created.body.exposeAs, 'OPENAI_API_KEY');
      assert.deepEqual(created.body.hosts, ['api.openai.com'], 'hosts default to the provider catalog');
      assert.equal(created.body.version, 1);
      assert.equal(created.body.preview, '0001');
      const id = created.body.id as string;

      const one = await call(s, 'GET', `/v1/secrets/${id}`);
      expectStatus(one, 200);
      assert.equal(one.body.name, 'openai-api-key');

      const list = await call(s, 'GET', '/v1/secrets');
      expectStatus(list, 200);
      assert.deepEqual(Object.keys(list.body).sort(), ['data', 'nextCursor']);
      assert.equal(list.body.data.length, 1);

      const patched = await call(s, 'PATCH', `/v1/secrets/${id}`, { body: { hosts: ['api.openai.com', '*.openai.azure.com:8443'], exposeAs: 'OPENAI_KEY', description: null } });
      expectStatus(patched, 200);
      assert.deepEqual(patched.body.hosts, ['api.openai.com', '*.openai.azure.com:8443']);
      assert.equal(patched.body.exposeAs, 'OPENAI_KEY');
      assert.equal(patched.body.description, null);
      assert.equal(patched.body.version, 1, 'a metadata change is not a new version');

      const rotated = await call(s, 'POST', `/v1/secrets/${id}/rotate`, { body: { value: 'sk-main-scenario-value-0002' } });
      expectStatus(rotated, 200);
      assert.equal(rotated.body.version, 2);
      assert.equal(rotated.body.preview, '0002');
      assert.equal(rotated.body.id, id, 'rotation keeps the secret id');

      const versions = await call(s, 'GET', `/v1/secrets/${id}/versions`);
      expectStatus(versions, 200);
      assert.deepEqual(versions.body.data.map((v: any) => v.version), [2, 1]);
      for (const v of versions.body.data) assert.deepEqual(Object.keys(v).sort(), ['createdAt', 'createdBy', 'preview', 'version']);

      for (const r of [created, one, list, patched, rotated, versions]) {
        assert.equal(r.text.includes('sk-main-scenario-value'), false, 'no response contains the value');
      }

      expectStatus(await call(s, 'DELETE', `/v1/secrets/${id}`), 204);
      const gone = await call(s, 'GET', `/v1/secrets/${id}`);
      expectStatus(gone, 404);
      assert.equal(gone.body.error.code, 'not_found');
      expectStatus(await call(s, 'GET', `/v1/secrets/${id}/versions`), 404);
      expectStatus(await call(s, 'POST', `/v1/secrets/${id}/rotate`, { body: { value: 'another-value-123' } }), 404);
      expectStatus(await call(s, 'DELETE', `/v1/secrets/${id}`), 404);
    });

    test('a basic secret keeps its username across a rotation that sends only the password', async () => {
      const c = await call(s, 'POST', '/v1/secrets', { body: { name: 'registry', type: 'basic', username: 'robot', value: 'pw-number-one-111', hosts: ['registry.example.com'] } });
      expectStatus(c, 201);
      assert.equal(c.body.type, 'basic');
      const r = await call(s, 'POST', '/v1/secrets/registry/rotate', { body: { value: 'pw-number-two-222' } });
      expectStatus(r, 200);
      assert.equal(r.body.version, 2);
      const svc = s.running.core.services.secrets;
      const v2 = await svc.reveal(s.tenantId, c.body.id, 2);
      assert.equal(v2.username?.reveal(), 'robot');
      assert.equal(v2.value.reveal(), 'pw-number-two-222');
      assert.equal((await svc.reveal(s.tenantId, c.body.id, 1)).value.reveal(), 'pw-number-one-111', 'the old version still decrypts');
    });

    test('explain walks every scope level: sandbox > session > external_user > external_workspace > user > workspace > tenant', async () => {
      const ws = await createWorkspace(s, 'explain-ws');
      const member = await createMember(s, 'explain-user');
      const name = 'layered-token';
      const hosts = ['api.example.com'];
      const put = async (scope: Scope, scopeId: string | undefined, value: string) => {
        const r = await call(s, 'POST', '/v1/secrets', { body: { name, value, hosts, scope, ...(scopeId !== undefined ? { scopeId } : {}) } });
        expectStatus(r, 201, `create at ${scope}`);
        assert.equal(r.body.scope, scope);
        return r.body.id as string;
      };
      const ids: Partial<Record<Scope, string>> = {};
      ids.tenant = await put('tenant', undefined, 'tenant-level-value');
      const sb = await call(s, 'POST', '/v1/sandboxes', {
        body: { workspaceId: ws, userId: member.userId, externalWorkspace: 'xw-1', externalUser: 'xu-1', sessionId: 'sess-1', secrets: { LAYERED_TOKEN: name } },
      });
      expectStatus(sb, 201, 'create sandbox');
      const sandboxId = sb.body.id as string;
      ids.workspace = await put('workspace', 'explain-ws', 'workspace-level-value'); // by workspace name
      ids.user = await put('user', member.userId, 'user-level-value');
      ids.external_workspace = await put('external_workspace', 'xw-1', 'xw-level-value');
      ids.external_user = await put('external_user', 'xu-1', 'xu-level-value');
      ids.session = await put('session', 'sess-1', 'session-level-value');
      ids.sandbox = await put('sandbox', sandboxId, 'sandbox-level-value');

      const coords = new URLSearchParams({ name, workspaceId: ws, userId: member.userId, externalWorkspace: 'xw-1', externalUser: 'xu-1', sessionId: 'sess-1', sandboxId });
      const refs: Record<Scope, string> = { sandbox: sandboxId, session: 'sess-1', external_user: 'xu-1', external_workspace: 'xw-1', user: member.userId, workspace: ws, tenant: '' };
      // Remove the winning level one at a time; each time the next level down must win.
      for (const [i, level] of SCOPES.entries()) {
        const e = await call(s, 'GET', `/v1/secrets/explain?${coords}`);
        expectStatus(e, 200);
        assert.equal(e.body.resolved?.scope, level, `with levels ${SCOPES.slice(i).join(', ')} present, ${level} wins`);
        assert.equal(e.body.resolved.secretId, ids[level]);
        assert.equal(e.body.resolved.scopeRef, refs[level]);
        assert.deepEqual(e.body.steps.map((st: any) => st.scope), [...SCOPES]);
        assert.deepEqual(e.body.steps.map((st: any) => st.status), SCOPES.map((_, j) => (j < i ? 'miss' : j === i ? 'hit' : 'shadowed')));
        const view = await call(s, 'GET', `/v1/sandboxes/${sandboxId}`);
        assert.equal(view.body.bindings[0].resolved?.scope, level, 'the sandbox binding resolves the same way');
        expectStatus(await call(s, 'DELETE', `/v1/secrets/${name}?scope=${level}${level === 'tenant' ? '' : `&scopeId=${encodeURIComponent(level === 'workspace' ? 'explain-ws' : refs[level])}`}`), 204, `delete the ${level} level`);
      }
      const none = await call(s, 'GET', `/v1/secrets/explain?${coords}`);
      assert.equal(none.body.resolved, null);
      assert.match(none.body.reason, /no secret named "layered-token"/);
      assert.ok(none.body.steps.every((st: any) => st.status === 'miss'));
    });

    test('explain marks levels without a coordinate as not applicable and accepts a workspace by name', async () => {
      await createWorkspace(s, 'named-ws');
      const w = await call(s, 'POST', '/v1/secrets', { body: { name: 'ws-only', value: 'ws-only-value-1', hosts: ['a.example.com'], scope: 'workspace', scopeId: 'named-ws' } });
      expectStatus(w, 201);
      const e = await call(s, 'GET', '/v1/secrets/explain?name=ws-only&workspaceId=named-ws');
      expectStatus(e, 200);
      assert.equal(e.body.resolved?.scope, 'workspace');
      assert.equal(e.body.resolved?.secretId, w.body.id);
      const statuses = Object.fromEntries(e.body.steps.map((st: any) => [st.scope, st.status]));
      assert.deepEqual(statuses, { sandbox: 'not_applicable', session: 'not_applicable', external_user: 'not_applicable', external_workspace: 'not_applicable', user: 'not_applicable', workspace: 'hit', tenant: 'miss' });
    });

    test('{id} also accepts the name, resolved at the caller\'s own scope or the scope in the query', async () => {
      await createWorkspace(s, 'lookup-ws');
      const t = await call(s, 'POST', '/v1/secrets', { body: { name: 'lookup', value: 'tenant-lookup-value', hosts: ['x.example.com'] } });
      const w = await call(s, 'POST', '/v1/secrets', { body: { name: 'lookup', value: 'workspace-lookup-value', hosts: ['x.example.com'], scope: 'workspace', scopeId: 'lookup-ws' } });
      expectStatus(t, 201);
      expectStatus(w, 201);
      assert.equal((await call(s, 'GET', '/v1/secrets/lookup')).body.id, t.body.id, 'an admin key finds the tenant-level one');
      assert.equal((await call(s, 'GET', '/v1/secrets/lookup?scope=workspace&scopeId=lookup-ws')).body.id, w.body.id);
      assert.equal((await call(s, 'GET', `/v1/secrets/lookup?scope=workspace&scopeId=${w.body.scopeRef}`)).body.id, w.body.id, 'by workspace id too');
      const wsKey = await call(s, 'POST', '/v1/api-keys', { body: { name: 'ws-limited', workspaceId: w.body.scopeRef } });
      assert.equal((await call(s, 'GET', '/v1/secrets/lookup', { key: wsKey.body.key })).body.id, w.body.id, 'a workspace key finds its workspace\'s one');
      const rotated = await call(s, 'POST', '/v1/secrets/lookup/rotate?scope=workspace&scopeId=lookup-ws', { body: { value: 'workspace-lookup-value-2' } });
      assert.equal(rotated.body.version, 2);
      assert.equal((await call(s, 'GET', '/v1/secrets/lookup')).body.version, 1, 'rotating one level leaves the other alone');
      expectStatus(await call(s, 'GET', '/v1/secrets/no-such-name'), 404);
    });

    test('a second secret with the same name at the same scope is a 409 unless the caller asks to rotate', async () => {
      const body = { name: 'dup-name', value: 'first-dup-value-1', hosts: ['dup.example.com'] };
      const first = await call(s, 'POST', '/v1/secrets', { body });
      expectStatus(first, 201);
      const again = await call(s, 'POST', '/v1/secrets', { body: { ...body, value: 'second-dup-value-2' } });
      expectStatus(again, 409);
      assert.equal(again.body.error.code, 'conflict');
      assert.match(again.body.error.message, /already exists at scope tenant/);
      assert.equal(again.body.error.details.id, first.body.id);
      assert.equal(again.text.includes('second-dup-value'), false);
      const rotated = await call(s, 'POST', '/v1/secrets', { body: { ...body, value: 'third-dup-value-3', ifExists: 'rotate' } });
      expectStatus(rotated, 200);
      assert.equal(rotated.body.id, first.body.id);
      assert.equal(rotated.body.version, 2);
      const elsewhere = await call(s, 'POST', '/v1/secrets', { body: { ...body, scope: 'session', scopeId: 'sess-dup' } });
      expectStatus(elsewhere, 201, 'the same name at another scope is a different secret');
    });

    test('concurrent creates of one name at one scope give one 201 and 409s, never a 500', async () => {
      const body = { name: 'racy', value: 'racy-value-12345', hosts: ['r.example.com'] };
      const replies = await Promise.all(Array.from({ length: 6 }, () => call(s, 'POST', '/v1/secrets', { body })));
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
    });

    test('concurrent rotations each produce their own version', async () => {
      const c = await call(s, 'POST', '/v1/secrets', { body: { name: 'spin', value: 'spin-value-00000', hosts: ['s.example.com'] } });
      const replies = await Promise.all([1, 2, 3].map((i) => call(s, 'POST', '/v1/secrets/spin/rotate', { body: { value: `spin-value-0000${i}` } })));
      for (const r of replies) expectStatus(r, 200);
      const versions = await call(s, 'GET', `/v1/secrets/${c.body.id}/versions`);
      assert.deepEqual(versions.body.data.map((v: any) => v.version), [4, 3, 2, 1]);
    });

    test('lists filter by prefix, scope and provider and paginate with a cursor', async () => {
      for (let i = 0; i < 7; i++) {
        expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: `pg-${i}`, value: `page-value-${i}-xxxxx`, provider: i % 2 ? 'github' : 'stripe' } }), 201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const r: any = await call(s, 'GET', `/v1/secrets?prefix=pg-&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expectStatus(r, 200);
        seen.push(...r.body.data.map((x: any) => x.name));
        cursor = r.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, ['pg-0', 'pg-1', 'pg-2', 'pg-3', 'pg-4', 'pg-5', 'pg-6']);
      const gh = await call(s, 'GET', '/v1/secrets?prefix=pg-&provider=github');
      assert.deepEqual(gh.body.data.map((x: any) => x.name), ['pg-1', 'pg-3', 'pg-5']);
      const sessions = await call(s, 'GET', '/v1/secrets?scope=session');
      assert.ok(sessions.body.data.every((x: any) => x.scope === 'session'));
      expectStatus(await call(s, 'GET', '/v1/secrets?scope=galaxy'), 400);
      expectStatus(await call(s, 'GET', '/v1/secrets?limit=0'), 400);
    });
  });
}

describe('secret validation', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ proxy: false });
  });
  after(async () => s?.stop());

  const MARK = 'REJECTED-VALUE-7c1d';
  const base = { name: 'valid-name', value: `${MARK}-ok-value`, hosts: ['api.example.com'] };
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a value with a line feed is refused', { value: `${MARK}\nX-Injected: 1` }, /line feed \(LF\)/],
    ['a value with a carriage return is refused', { value: `${MARK}\rabc` }, /carriage return \(CR\)/],
    ['a value with CRLF is refused', { value: `${MARK}\r\nabc` }, /carriage return/],
    ['a value with a NUL is refused', { value: `${MARK}\u0000abc` }, /NUL/],
    ['an empty value is refused', { value: '' }, /empty/],
    ['a value over 64 KiB is refused', { value: `${MARK}${'x'.repeat(65536)}` }, /limit is 65536 bytes/],
    ['a value over 64 KiB in UTF-8 bytes (but not in characters) is refused', { value: 'é'.repeat(32769) }, /65538 bytes/],
    ['a value that is not a string is refused', { value: 12345 }, /value/],
    ['a value with an unpaired surrogate (no UTF-8 form) is refused', { value: `${MARK}\ud800-tail` }, /unpaired surrogate/],
    ['an empty name is refused', { name: '' }, /secret name is empty/],
    ['a name starting with "-" is refused', { name: '-lead' }, /letters, digits/],
    ['a name with a space is refused', { name: 'has space' }, /letters, digits/],
    ['a name with a slash is refused', { name: 'a/b' }, /letters, digits/],
    ['a name with non-ASCII letters is refused', { name: 'clé' }, /letters, digits/],
    ['a name over 128 characters is refused', { name: 'n'.repeat(129) }, /129 characters/],
    ['a host with a scheme is refused', { hosts: ['https://api.example.com'] }, /scheme/],
    ['a host with a path is refused', { hosts: ['api.example.com/v1'] }, /path/],
    ['a host with user info is refused', { hosts: ['user@api.example.com'] }, /user info/],
    ['a host with a misplaced wildcard is refused', { hosts: ['api.*.example.com'] }, /wildcard|\*/],
    ['an empty host is refused', { hosts: [''] }, /empty/],
    ['a host with a bad port is refused', { hosts: ['api.example.com:99999'] }, /port/],
    ['an unknown field is refused, naming it', { colour: 'blue' }, /colour/],
    ['an unknown type is refused', { type: 'oauth2' }, /type/],
    ['a username on a token secret is refused', { username: 'bob' }, /username is only for type "basic"/],
    ['a basic secret without a username is refused', { type: 'basic' }, /username/],
    ['a reserved env name in exposeAs is refused', { exposeAs: 'LD_PRELOAD' }, /reserved/],
    ['an env name in lower case is refused', { exposeAs: 'lower' }, /environment variable name/],
    ['a name whose default env name is reserved is refused', { name: 'path' }, /PATH is reserved/],
    ['an unknown provider is refused', { provider: 'nosuchprovider' }, /unknown provider/],
    ['an unknown scope is refused', { scope: 'galaxy' }, /scope/],
  ];
  for (const [title, patch, message] of cases) {
    test(title, async () => {
      const r = await call(s, 'POST', '/v1/secrets', { body: { ...base, ...patch } });
      expectStatus(r, 400);
      assert.ok(['validation_failed', 'invalid_value', 'bad_request'].includes(r.body.error.code), r.body.error.code);
      assert.match(r.body.error.message, message);
      assert.equal(r.text.includes(MARK), false, 'the error never echoes the value');
      assert.ok(r.body.error.requestId, 'errors carry the request id');
    });
  }

  test('a body that is not JSON is a 400 that says so', async () => {
    const r = await call(s, 'POST', '/v1/secrets', { raw: '{"name": "x", "value": ' });
    expectStatus(r, 400);
    assert.match(r.body.error.message, /JSON/);
  });

  test('rotate and patch validate the same way, and refuse a value in a patch', async () => {
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'vrot', value: 'vrot-value-1234', hosts: ['v.example.com'] } }), 201);
    const bad = await call(s, 'POST', '/v1/secrets/vrot/rotate', { body: { value: `${MARK}\n` } });
    expectStatus(bad, 400);
    assert.equal(bad.text.includes(MARK), false);
    expectStatus(await call(s, 'POST', '/v1/secrets/vrot/rotate', { body: { value: '' } }), 400);
    const patchValue = await call(s, 'PATCH', '/v1/secrets/vrot', { body: { value: 'sneaky-value-123' } });
    expectStatus(patchValue, 400);
    assert.match(patchValue.body.error.message, /value/);
    expectStatus(await call(s, 'PATCH', '/v1/secrets/vrot', { body: { hosts: ['http://bad.example.com'] } }), 400);
    expectStatus(await call(s, 'PATCH', '/v1/secrets/vrot', { body: { exposeAs: 'NODE_OPTIONS' } }), 400);
    assert.equal((await call(s, 'GET', '/v1/secrets/vrot')).body.version, 1, 'nothing changed');
  });

  test('boundary values are accepted: 64 KiB exactly, a 128-character name, tab and unicode in a value', async () => {
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { ...base, name: 'max-size', value: 'v'.repeat(65536) } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { ...base, name: 'n'.repeat(128) } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { ...base, name: 'tabbed', value: 'a\tb ünïcødé' } }), 201);
  });

  test('none of the refused requests created a secret', async () => {
    const r = await call(s, 'GET', '/v1/secrets?limit=500');
    assert.deepEqual(r.body.data.map((x: any) => x.name).sort(), ['max-size', 'n'.repeat(128), 'tabbed', 'vrot']);
  });
});

describe('session-scoped secrets', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ proxy: false });
  });
  after(async () => s?.stop());

  test('a map of NAME: value is upserted, and a second post makes new versions', async () => {
    const first = await call(s, 'POST', '/v1/sessions/sess-42/secrets', {
      body: { OPENAI_API_KEY: 'sk-session-value-0001', CUSTOM_TOKEN: { value: 'custom-session-value-1', hosts: ['api.custom.example'] } },
    });
    expectStatus(first, 200);
    const byName = Object.fromEntries(first.body.data.map((x: any) => [x.name, x]));
    assert.equal(byName.OPENAI_API_KEY.scope, 'session');
    assert.equal(byName.OPENAI_API_KEY.scopeRef, 'sess-42');
    assert.equal(byName.OPENAI_API_KEY.provider, 'openai', 'a plain value named like a provider\'s env var takes that provider');
    assert.deepEqual(byName.OPENAI_API_KEY.hosts, ['api.openai.com']);
    assert.deepEqual(byName.CUSTOM_TOKEN.hosts, ['api.custom.example']);
    assert.equal(first.text.includes('session-value'), false);
    const second = await call(s, 'POST', '/v1/sessions/sess-42/secrets', { body: { OPENAI_API_KEY: 'sk-session-value-0002' } });
    expectStatus(second, 200);
    assert.equal(second.body.data[0].version, 2);
    assert.equal(second.body.data[0].id, byName.OPENAI_API_KEY.id);
  });

  test('a plain value inherits the hosts of a wider secret of the same name', async () => {
    expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'SHARED_API', value: 'wide-shared-value-1', hosts: ['shared.example.com'] } }), 201);
    const r = await call(s, 'POST', '/v1/sessions/sess-43/secrets', { body: { SHARED_API: 'narrow-shared-value-2' } });
    expectStatus(r, 200);
    assert.deepEqual(r.body.data[0].hosts, ['shared.example.com']);
  });

  test('the list shows names, versions and timestamps only', async () => {
    const r = await call(s, 'GET', '/v1/sessions/sess-42/secrets');
    expectStatus(r, 200);
    assert.deepEqual(r.body.data.map((x: any) => x.name).sort(), ['CUSTOM_TOKEN', 'OPENAI_API_KEY']);
    for (const x of r.body.data) assert.deepEqual(Object.keys(x).sort(), ['createdAt', 'name', 'updatedAt', 'version']);
    assert.deepEqual((await call(s, 'GET', '/v1/sessions/unknown-session/secrets')).body.data, []);
  });

  test('one session secret is deleted by name; deleting it again is a 404', async () => {
    expectStatus(await call(s, 'DELETE', '/v1/sessions/sess-42/secrets/CUSTOM_TOKEN'), 204);
    assert.deepEqual((await call(s, 'GET', '/v1/sessions/sess-42/secrets')).body.data.map((x: any) => x.name), ['OPENAI_API_KEY']);
    expectStatus(await call(s, 'DELETE', '/v1/sessions/sess-42/secrets/CUSTOM_TOKEN'), 404);
    expectStatus(await call(s, 'DELETE', '/v1/sessions/other-session/secrets/OPENAI_API_KEY'), 404, 'a name in another session is not touched');
  });

  test('a map with one bad entry is refused whole: nothing of it is stored', async () => {
    const r = await call(s, 'POST', '/v1/sessions/sess-44/secrets', { body: { GOOD_ONE: 'good-session-value-1', BAD_ONE: 'bad\nvalue' } });
    expectStatus(r, 400);
    assert.match(r.body.error.message, /BAD_ONE/);
    assert.deepEqual((await call(s, 'GET', '/v1/sessions/sess-44/secrets')).body.data, [], 'GOOD_ONE was not stored');
    const badName = await call(s, 'POST', '/v1/sessions/sess-44/secrets', { body: { GOOD_ONE: 'good-session-value-1', 'bad name': 'value-value-1' } });
    expectStatus(badName, 400);
    assert.deepEqual((await call(s, 'GET', '/v1/sessions/sess-44/secrets')).body.data, []);
  });

  test('bad session ids, empty maps and non-string values are 400s', async () => {
    expectStatus(await call(s, 'POST', `/v1/sessions/${encodeURIComponent('bad id!')}/secrets`, { body: { A_B: 'value-value-1' } }), 400);
    expectStatus(await call(s, 'POST', '/v1/sessions/sess-45/secrets', { body: {} }), 400);
    expectStatus(await call(s, 'POST', '/v1/sessions/sess-45/secrets', { body: { A_B: 12 } }), 400);
    expectStatus(await call(s, 'POST', '/v1/sessions/sess-45/secrets', { body: { A_B: { value: 'v-value-1', extra: true } } }), 400);
  });

  test('a member key may neither write nor list session secrets', async () => {
    const m = await createMember(s, 'session-member');
    const w = await call(s, 'POST', '/v1/sessions/sess-42/secrets', { body: { OPENAI_API_KEY: 'member-planted-value' }, key: m.key });
    expectStatus(w, 403);
    expectStatus(await call(s, 'GET', '/v1/sessions/sess-42/secrets', { key: m.key }), 404);
    expectStatus(await call(s, 'DELETE', '/v1/sessions/sess-42/secrets/OPENAI_API_KEY', { key: m.key }), 404);
    assert.equal((await call(s, 'GET', '/v1/sessions/sess-42/secrets')).body.data[0].version, 2, 'the session secret is untouched');
  });
});
