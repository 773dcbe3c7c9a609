// Invariant 1 of DESIGN.md §2, end to end: a full API scenario with canary values, then no API
// response (body or header), no log line, no audit row and no byte of the SQLite database or its
// WAL holds any canary, raw or base64/base64url (at any alignment) or hex encoded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { call, createKey, createMember, createWorkspace, expectStatus, seenReplies } from '../api/helpers.js';

const canary = (what: string) => `CANARY-vault-${what}-${randomBytes(8).toString('hex')}`;

const C = {
  token1: canary('token-v1'),
  token2: canary('token-v2'),
  token3: canary('token-v3'),
  basicUser: canary('basic-user'),
  basicPass1: canary('basic-pass-v1'),
  basicPass2: canary('basic-pass-v2'),
  basicUser2: canary('basic-user-v3'),
  basicPass3: canary('basic-pass-v3'),
  session1: canary('session-a'),
  session2: canary('session-b'),
  session3: canary('session-a-v2'),
  upsert: canary('if-exists-rotate'),
  workspace: canary('workspace'),
  member: canary('member-private'),
  big: `${canary('big')}${'Z'.repeat(60_000)}`,
  rejectedLf: canary('rejected-lf'),
  rejectedUnknown: canary('rejected-unknown-field'),
  rejectedDup: canary('rejected-duplicate'),
  rejectedScope: canary('rejected-scope'),
  rejectedAuth: canary('rejected-auth'),
  rejected404: canary('rejected-404'),
  rejectedMember: canary('rejected-member-tenant'),
  rejectedSession: canary('rejected-session-bad-entry'),
};
const ALL = Object.entries(C);

/**
 * The text forms a canary can take: raw, hex (both cases), UTF-16LE, and the part of its base64 /
 * base64url encoding that stays the same wherever the canary sits inside a larger encoded blob
 * (three byte alignments), e.g. inside a Basic `user:password` header.
 */
function forms(value: string): Array<[string, Buffer]> {
  const raw = Buffer.from(value, 'utf8');
  const out: Array<[string, Buffer]> = [
    ['raw', raw],
    ['hex', Buffer.from(raw.toString('hex'))],
    ['HEX', Buffer.from(raw.toString('hex').toUpperCase())],
    ['utf16le', Buffer.from(value, 'utf16le')],
  ];
  for (const enc of ['base64', 'base64url'] as const) {
    for (let k = 0; k < 3; k++) {
      const text = Buffer.concat([Buffer.alloc(k), raw]).toString(enc);
      const core = text.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + raw.length)) / 6));
      out.push([`${enc}@${k}`, Buffer.from(core)]);
    }
  }
  // Long values: a 64-byte window from the start is enough to spot any copy, and keeps searches fast.
  return out.map(([n, b]) => [n, b.length > 256 ? b.subarray(0, 256) : b]);
}
const FORMS = ALL.map(([name, value]) => [name, forms(value)] as const);

function findCanaries(haystack: Buffer | string): string[] {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const hits: string[] = [];
  for (const [name, fs] of FORMS) for (const [form, needle] of fs) if (buf.includes(needle)) hits.push(`${name} (${form})`);
  return hits;
}

let s: TestServer;
let dbPath: string;
let firstReply: number;

before(async () => {
  s = await startTestServer({ proxy: false });
  dbPath = join(s.dataDir, 'standin.db');
  firstReply = seenReplies.length;
});
after(async () => s?.stop());

test('the full scenario runs with canary values', async () => {
  const ws = await createWorkspace(s, 'canary-ws');
  const member = await createMember(s, 'canary-member');
  const readOnly = await createKey(s, { name: 'read only', scopes: ['secrets:read'] });

  const token = await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-token', value: C.token1, provider: 'openai' } });
  expectStatus(token, 201);
  expectStatus(await call(s, 'POST', `/v1/secrets/${token.body.id}/rotate`, { body: { value: C.token2 } }), 200);
  expectStatus(await call(s, 'POST', '/v1/secrets/canary-token/rotate', { body: { value: C.token3 } }), 200);

  const basic = await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-basic', type: 'basic', username: C.basicUser, value: C.basicPass1, hosts: ['registry.example.com'] } });
  expectStatus(basic, 201);
  expectStatus(await call(s, 'POST', '/v1/secrets/canary-basic/rotate', { body: { value: C.basicPass2 } }), 200);
  expectStatus(await call(s, 'POST', '/v1/secrets/canary-basic/rotate', { body: { value: C.basicPass3, username: C.basicUser2 } }), 200);

  expectStatus(await call(s, 'POST', '/v1/sessions/canary-session/secrets', { body: { OPENAI_API_KEY: C.session1, OTHER_TOKEN: { value: C.session2, hosts: ['api.example.com'] } } }), 200);
  expectStatus(await call(s, 'POST', '/v1/sessions/canary-session/secrets', { body: { OPENAI_API_KEY: C.session3 } }), 200);
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-token', value: C.upsert, ifExists: 'rotate' } }), 200);
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-ws', value: C.workspace, scope: 'workspace', scopeId: ws, hosts: ['api.example.com'] } }), 201);
  expectStatus(await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'canary-mine', value: C.member, hosts: ['api.example.com'] } }), 201);
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-big', value: C.big, hosts: ['api.example.com'] } }), 201);

  // Refusals that carry a value must not echo it.
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-lf', value: `${C.rejectedLf}\nX: y` } }), 400);
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-unknown', value: C.rejectedUnknown, vaule: C.rejectedUnknown } }), 400);
  expectStatus(await call(s, 'POST', '/v1/secrets', { body: { name: 'canary-token', value: C.rejectedDup } }), 409);
  expectStatus(await call(s, 'POST', '/v1/secrets', { key: readOnly.key, body: { name: 'canary-ro', value: C.rejectedScope } }), 403);
  expectStatus(await call(s, 'POST', '/v1/secrets', { key: 'stn_live_notakey', body: { name: 'canary-auth', value: C.rejectedAuth } }), 401);
  expectStatus(await call(s, 'POST', '/v1/secrets/no-such-secret/rotate', { body: { value: C.rejected404 } }), 404);
  expectStatus(await call(s, 'POST', '/v1/secrets', { key: member.key, body: { name: 'canary-wide', value: C.rejectedMember, scope: 'tenant' } }), 403);
  expectStatus(await call(s, 'POST', '/v1/sessions/canary-session/secrets', { body: { GOOD: C.rejectedSession, BAD: 'x\ny' } }), 400);

  // A sandbox bound to the secrets (proxy mode: placeholders only; env-mode inject is not part of this scenario).
  const sb = await call(s, 'POST', '/v1/sandboxes', {
    body: { workspaceId: ws, sessionId: 'canary-session', secrets: { OPENAI_API_KEY: 'OPENAI_API_KEY', REGISTRY: 'canary-basic', TOKEN: 'canary-token' } },
  });
  expectStatus(sb, 201);

  // Everything a client can read back.
  for (const path of [
    '/v1/secrets?limit=500', `/v1/secrets/${token.body.id}`, '/v1/secrets/canary-basic', '/v1/secrets/canary-basic/versions',
    `/v1/secrets/${token.body.id}/versions`, `/v1/secrets/${token.body.id}/usage`, '/v1/secrets/explain?name=OPENAI_API_KEY&sessionId=canary-session',
    '/v1/sessions/canary-session/secrets', `/v1/sandboxes/${sb.body.id}`, '/v1/sandboxes', '/v1/audit?limit=500', '/v1/audit/verify', '/v1/api-keys',
  ]) {
    expectStatus(await call(s, 'GET', path), 200, path);
  }
  expectStatus(await call(s, 'GET', '/v1/secrets?limit=500', { key: member.key }), 200);
  expectStatus(await call(s, 'DELETE', '/v1/sessions/canary-session/secrets/OTHER_TOKEN'), 204);
  expectStatus(await call(s, 'DELETE', `/v1/sandboxes/${sb.body.id}`), 204);

  // The values really are stored: the scenario is not vacuous.
  const svc = s.running.core.services.secrets;
  const current = await svc.reveal(s.tenantId, basic.body.id, 3);
  assert.equal(current.value.reveal(), C.basicPass3);
  assert.equal(current.username?.reveal(), C.basicUser2);
  assert.equal((await svc.reveal(s.tenantId, token.body.id, 4)).value.reveal(), C.upsert);
});

test('no API response body or header in the scenario contained a canary', () => {
  const replies = seenReplies.slice(firstReply);
  assert.ok(replies.length > 30, `${replies.length} replies recorded`);
  for (const { method, path, reply } of replies) {
    const headers = [...reply.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    assert.deepEqual(findCanaries(reply.text), [], `${method} ${path} body`);
    assert.deepEqual(findCanaries(headers), [], `${method} ${path} headers`);
  }
});

test('the server logs contain no canary, and nothing needed the scrubber', () => {
  const logs = s.logs();
  assert.ok(logs.includes('api request'), 'the request log was captured');
  assert.deepEqual(findCanaries(logs), []);
  assert.equal(logs.includes('[redacted]'), false, 'no log line tried to carry a value');
});

test('the audit rows contain no canary', async () => {
  const rows = await s.running.core.store.db.selectFrom('audit_events').selectAll().execute();
  assert.ok(rows.length > 15);
  assert.deepEqual(findCanaries(JSON.stringify(rows)), []);
});

test('the database file and its WAL contain no canary in any encoding, before and after shutdown', async () => {
  const files = () => [dbPath, `${dbPath}-wal`, `${dbPath}-shm`].filter(existsSync);
  const live = files();
  assert.ok(live.includes(`${dbPath}-wal`), 'the WAL is present while the server runs');
  assert.ok(statSync(`${dbPath}-wal`).size > 0);
  for (const f of live) assert.deepEqual(findCanaries(readFileSync(f)), [], `${f} while running`);
  // The secret names are in the database: the search itself works.
  assert.ok(Buffer.concat(live.map((f) => readFileSync(f))).includes(Buffer.from('canary-basic')));

  await s.running.stop(); // closes SQLite, which checkpoints the WAL into the main file
  const stopped = files();
  assert.ok(stopped.includes(dbPath));
  for (const f of stopped) assert.deepEqual(findCanaries(readFileSync(f)), [], `${f} after shutdown`);
});

test('the generated root key file is readable by its owner only', () => {
  const st = statSync(join(s.dataDir, 'master.key'));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(s.dataDir).mode & 0o077, 0, 'the data dir is not open to group or others');
});
