// Rate limits: headers on every response, 429 with Retry-After, per key / per tenant / per write
// group, and counters shared by two instances on one PostgreSQL database. A revocation on one
// instance applies on the other's next request.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { pgAvailable } from '../helpers/pg.js';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/main.js';
import { awaitFreshWindow, call, createKey, createKeyDirect, expectStatus, type Reply } from './helpers.js';

const pgOk = await pgAvailable();

function assertRateHeaders(r: Reply, what: string): { limit: number; remaining: number; reset: number } {
  const limit = Number(r.headers.get('x-ratelimit-limit'));
  const remaining = Number(r.headers.get('x-ratelimit-remaining'));
  const reset = Number(r.headers.get('x-ratelimit-reset'));
  assert.ok(Number.isInteger(limit) && limit > 0, `${what}: X-RateLimit-Limit is ${r.headers.get('x-ratelimit-limit')}`);
  assert.ok(Number.isInteger(remaining) && remaining >= 0 && remaining <= limit, `${what}: X-RateLimit-Remaining is ${r.headers.get('x-ratelimit-remaining')}`);
  const now = Date.now() / 1000;
  assert.ok(reset > now - 1 && reset <= now + 61, `${what}: X-RateLimit-Reset ${reset} is the end of the current window`);
  return { limit, remaining, reset };
}

describe('rate-limit headers', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ proxy: false });
  });
  after(async () => s?.stop());

  test('every authenticated response carries X-RateLimit-Limit, -Remaining and -Reset, success or error', async () => {
    await awaitFreshWindow();
    const k = await createKey(s, { scopes: ['secrets:read', 'secrets:write'] });
    const replies: Array<[string, Reply]> = [
      ['200 list', await call(s, 'GET', '/v1/secrets', { key: k.key })],
      ['201 create', await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'rl-one', value: 'rl-one-value-123' } })],
      ['409 duplicate', await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'rl-one', value: 'rl-one-value-123' } })],
      ['400 validation', await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'rl two', value: 'x' } })],
      ['400 bad JSON', await call(s, 'POST', '/v1/secrets', { key: k.key, raw: '{' })],
      ['403 missing scope', await call(s, 'GET', '/v1/audit', { key: k.key })],
      ['404 missing secret', await call(s, 'GET', '/v1/secrets/nope', { key: k.key })],
      ['404 unknown route', await call(s, 'GET', '/v1/nothing-here', { key: k.key })],
      ['204 delete', await call(s, 'DELETE', '/v1/secrets/rl-one', { key: k.key })],
    ];
    const statuses = replies.map(([, r]) => r.status);
    assert.deepEqual(statuses, [200, 201, 409, 400, 400, 403, 404, 404, 204]);
    // The headers describe the bucket closest to its limit (writes have a smaller one), so
    // compare responses that describe the same bucket.
    const prev = new Map<number, number>();
    for (const [what, r] of replies) {
      const h = assertRateHeaders(r, what);
      assert.ok(h.remaining < (prev.get(h.limit) ?? Infinity), `${what}: remaining goes down with every request`);
      prev.set(h.limit, h.remaining);
    }
  });
});

describe('rate limits enforced', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ proxy: false, env: { STANDIN_RATE_LIMIT_PER_KEY: '5', STANDIN_RATE_LIMIT_WRITES_PER_KEY: '2', STANDIN_RATE_LIMIT_PER_TENANT: '40' } });
  });
  after(async () => s?.stop());

  test('the request past the per-key limit is a 429 with Retry-After, and other keys are unaffected', async () => {
    await awaitFreshWindow();
    const k = await createKeyDirect(s, { scopes: ['secrets:read'] });
    for (let i = 1; i <= 5; i++) {
      const r = await call(s, 'GET', '/v1/secrets', { key: k.key });
      expectStatus(r, 200, `request ${i}`);
      assert.equal(r.headers.get('x-ratelimit-limit'), '5');
      assert.equal(r.headers.get('x-ratelimit-remaining'), String(5 - i));
    }
    const over = await call(s, 'GET', '/v1/secrets', { key: k.key });
    expectStatus(over, 429);
    assert.equal(over.body.error.code, 'rate_limited');
    const retry = Number(over.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After is ${over.headers.get('retry-after')}`);
    assert.equal(over.headers.get('x-ratelimit-remaining'), '0');
    assertRateHeaders(over, '429');
    const other = await createKeyDirect(s, { scopes: ['secrets:read'] });
    expectStatus(await call(s, 'GET', '/v1/secrets', { key: other.key }), 200, 'another key has its own budget');
  });

  test('writes have their own, smaller budget per key and endpoint group', async () => {
    await awaitFreshWindow();
    const k = await createKeyDirect(s, { scopes: ['secrets:read', 'secrets:write'] });
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'w1', value: 'write-value-1234' } }), 201);
    expectStatus(await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'w2', value: 'write-value-1234' } }), 201);
    const third = await call(s, 'POST', '/v1/secrets', { key: k.key, body: { name: 'w3', value: 'write-value-1234' } });
    expectStatus(third, 429);
    assert.equal(third.headers.get('x-ratelimit-limit'), '2', 'the headers describe the tightest bucket');
    expectStatus(await call(s, 'GET', '/v1/secrets/w1', { key: k.key }), 200, 'reads still pass');
    expectStatus(await call(s, 'GET', '/v1/secrets/w3', { key: k.key }), 404, 'the refused write did nothing');
  });

  test('the tenant-wide limit stops every key of the tenant', async () => {
    await awaitFreshWindow();
    const keys = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => createKeyDirect(s, { name: `t${i}`, scopes: ['secrets:read'] })));
    let firstRefusal = -1;
    let i = 0;
    for (let round = 0; round < 5 && firstRefusal < 0; round++) {
      for (const k of keys) {
        i++;
        const r = await call(s, 'GET', '/v1/secrets', { key: k.key });
        if (r.status === 429) {
          firstRefusal = i;
          break;
        }
        expectStatus(r, 200);
      }
    }
    assert.ok(firstRefusal > 0 && firstRefusal <= 40, `the tenant budget of 40 ran out (at request ${firstRefusal} of this test)`);
  });
});

describe('two instances on one PostgreSQL database', { skip: pgOk ? false : 'PostgreSQL is not reachable' }, () => {
  let a: TestServer;
  let b: Running;
  let bDir: string;
  const env = { STANDIN_RATE_LIMIT_PER_KEY: '6' };
  before(async () => {
    a = await startTestServer({ dialect: 'postgres', proxy: false, env });
    bDir = mkdtempSync(join(tmpdir(), 'standin-b-'));
    // Instance B shares A's database and root key (the key file lives in A's data dir).
    const config = loadConfig(
      { host: '127.0.0.1', port: '0', proxyPort: '0', dataDir: bDir, databaseUrl: a.databaseUrl, logLevel: 'silent' },
      { ...env, STANDIN_MASTER_KEY_FILE: join(a.dataDir, 'master.key') },
    );
    b = await start(config, { proxy: false, logDestination: new Writable({ write: (_c, _e, cb) => cb() }) });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    rmSync(bDir, { recursive: true, force: true });
  });

  const onB = async (path: string, key: string, method = 'GET') => {
    const res = await fetch(b.apiUrl + path, { method, headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, headers: res.headers, body: await res.json().catch(() => null) };
  };

  test('the two instances count one key\'s requests together', async () => {
    await awaitFreshWindow();
    const k = await createKey(a, { scopes: ['secrets:read'] });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      seen.push((await call(a, 'GET', '/v1/secrets', { key: k.key })).status);
      seen.push((await onB('/v1/secrets', k.key)).status);
    }
    assert.deepEqual(seen, [200, 200, 200, 200, 200, 200]);
    const overA = await call(a, 'GET', '/v1/secrets', { key: k.key });
    const overB = await onB('/v1/secrets', k.key);
    assert.deepEqual([overA.status, overB.status], [429, 429], 'the seventh and eighth requests are refused on both instances');
    assert.ok(overB.headers.get('retry-after'));
  });

  test('a key revoked on one instance is refused by the other on its next request', async () => {
    const k = await createKey(a, { scopes: ['secrets:read'] });
    expectStatus(await call(a, 'GET', '/v1/secrets', { key: k.key }), 200);
    assert.equal((await onB('/v1/secrets', k.key)).status, 200);
    expectStatus(await call(a, 'DELETE', `/v1/api-keys/${k.id}`), 204);
    const r = await onB('/v1/secrets', k.key);
    assert.equal(r.status, 401);
    assert.equal(r.body?.error?.code, 'key_revoked');
  });

  test('a secret created on one instance is listed and rotated on the other', async () => {
    const c = await call(a, 'POST', '/v1/secrets', { body: { name: 'shared-across', value: 'across-value-1234', hosts: ['api.example.com'] } });
    expectStatus(c, 201);
    const res = await fetch(`${b.apiUrl}/v1/secrets/shared-across/rotate`, {
      method: 'POST', headers: { authorization: `Bearer ${a.adminKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ value: 'across-value-5678' }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as any).version, 2);
    const v = await b.core.services.secrets.reveal(a.tenantId, c.body.id, 2);
    assert.equal(v.value.reveal(), 'across-value-5678', 'B decrypts with the shared root key');
    const verify = await call(a, 'GET', '/v1/audit/verify');
    assert.equal(verify.body.ok, true, 'both instances append to one unbroken audit chain');
  });
});
