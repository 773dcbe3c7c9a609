import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Standin, StandinApiError, StandinConnectionError, parseRetryAfter } from '../../sdk/index.js';

/** A tiny scripted server: answers each request with the next entry of `script` (the last repeats). */
async function scripted(script: Array<{ status: number; headers?: Record<string, string>; body?: string }>) {
  const seen: Array<{ method: string; url: string; at: number; body: string; auth: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now(), body, auth: req.headers.authorization });
      const step = script[Math.min(seen.length - 1, script.length - 1)]!;
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(step.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const rateLimited = (retryAfter?: string) => ({
  status: 429,
  headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  body: JSON.stringify({ error: { code: 'rate_limited', message: 'rate limit exceeded', requestId: 'req-429-abcdef' } }),
});
const page = { status: 200, body: JSON.stringify({ data: [], nextCursor: null }) };

describe('SDK transport: back-off and errors (scripted server)', () => {
  it('retries a 429 after the Retry-After delay, then succeeds', async () => {
    const s = await scripted([rateLimited('1'), page]);
    try {
      const client = new Standin({ apiKey: 'stn_live_test', baseUrl: s.url });
      const r = await client.secrets.list({ prefix: 'a' });
      assert.deepEqual(r, { data: [], nextCursor: null });
      assert.equal(s.seen.length, 2);
      const waited = s.seen[1]!.at - s.seen[0]!.at;
      assert.ok(waited >= 950, `waited ${waited} ms for Retry-After: 1`);
      assert.equal(s.seen[1]!.url, '/v1/secrets?prefix=a');
      assert.equal(s.seen[1]!.auth, 'Bearer stn_live_test');
    } finally {
      await s.close();
    }
  });

  it('retries a POST on 429 with the same body, and gives up after maxRetries with a typed error', async () => {
    const s = await scripted([rateLimited('0')]);
    try {
      const client = new Standin({ apiKey: 'stn_live_test', baseUrl: s.url, maxRetries: 2 });
      const err = await client.secrets.create({ name: 'n', value: 'CANARY-sdk-body-0001' }).then(() => null, (e: unknown) => e);
      assert.ok(err instanceof StandinApiError);
      assert.equal(err.status, 429);
      assert.equal(err.code, 'rate_limited');
      assert.equal(err.requestId, 'req-429-abcdef');
      assert.equal(err.retryAfter, 0);
      assert.equal(s.seen.length, 3, 'one try plus two retries');
      assert.ok(s.seen.every((r) => JSON.parse(r.body).value === 'CANARY-sdk-body-0001'));
      assert.ok(!err.message.includes('CANARY') && !String(err.stack).includes('CANARY'), 'errors never carry the request body');
    } finally {
      await s.close();
    }
  });

  it('does not sleep longer than maxRetryDelayMs: a long Retry-After fails at once', async () => {
    const s = await scripted([rateLimited('3600')]);
    try {
      const client = new Standin({ apiKey: 'stn_live_test', baseUrl: s.url, maxRetryDelayMs: 5000 });
      const t0 = Date.now();
      await assert.rejects(client.apiKeys.list(), (e: unknown) => e instanceof StandinApiError && e.retryAfter === 3600);
      assert.ok(Date.now() - t0 < 1000);
      assert.equal(s.seen.length, 1);
    } finally {
      await s.close();
    }
  });

  it('backs off without Retry-After, and retries a 503 once only', async () => {
    const ok = await scripted([rateLimited(), { status: 503, body: '{}' }, page]);
    try {
      const r = await new Standin({ apiKey: 'stn_live_test', baseUrl: ok.url }).audit.list();
      assert.deepEqual(r.data, []);
      assert.equal(ok.seen.length, 3);
      assert.ok(ok.seen[1]!.at - ok.seen[0]!.at >= 450, 'exponential back-off starts at 0.5 s');
    } finally {
      await ok.close();
    }
    const down = await scripted([{ status: 503, headers: { 'retry-after': '0' }, body: JSON.stringify({ error: { code: 'unavailable', message: 'db down' } }) }]);
    try {
      await assert.rejects(new Standin({ apiKey: 'stn_live_test', baseUrl: down.url }).health(), (e: unknown) => e instanceof StandinApiError && e.code === 'unavailable' && e.status === 503);
      assert.equal(down.seen.length, 2);
    } finally {
      await down.close();
    }
  });

  it('maps a non-JSON error to a status-derived code, and an unreachable server to StandinConnectionError', async () => {
    const s = await scripted([{ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>bad gateway</html>' }]);
    try {
      await assert.rejects(new Standin({ apiKey: 'k', baseUrl: s.url }).providers.list(), (e: unknown) => e instanceof StandinApiError && e.code === 'server_error' && e.status === 502);
    } finally {
      await s.close();
    }
    await assert.rejects(new Standin({ apiKey: 'k', baseUrl: s.url }).providers.list(), (e: unknown) => e instanceof StandinConnectionError && /ECONNREFUSED/.test(e.message));

    // Iterating a list whose first page fails throws from the loop, with no unhandled rejection.
    let unhandled = 0;
    const onUnhandled = () => unhandled++;
    process.on('unhandledRejection', onUnhandled);
    try {
      const iterate = async () => {
        for await (const _ of new Standin({ apiKey: 'k', baseUrl: s.url }).secrets.list()) assert.fail('no items expected');
      };
      await assert.rejects(iterate(), StandinConnectionError);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(unhandled, 0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('validates its options without echoing the key', () => {
    assert.throws(() => new Standin({ apiKey: 'stn_live_a\nb', baseUrl: 'http://x' }), (e: Error) => !e.message.includes('stn_live_a'));
    assert.throws(() => new Standin({ apiKey: 'k', baseUrl: 'ftp://x' }), /http/);
    assert.equal(parseRetryAfter('7'), 7000);
    assert.equal(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString(), Date.now())! > 58_000, true);
    assert.equal(parseRetryAfter('soon'), null);
  });
});

describe('SDK against a real server', () => {
  let srv: TestServer;
  let client: Standin;
  before(async () => {
    srv = await startTestServer({ proxy: false });
    client = new Standin({ apiKey: srv.adminKey, baseUrl: srv.apiUrl });
  });
  after(async () => {
    await srv?.stop();
  });

  it('typed errors carry the server code: 404, 409, 401, 403, 400', async () => {
    const nf = await client.secrets.get('missing').catch((e: unknown) => e);
    assert.ok(nf instanceof StandinApiError);
    assert.equal(nf.status, 404);
    assert.equal(nf.code, 'not_found');
    assert.ok(nf.requestId);
    assert.equal(nf.request, 'GET /v1/secrets/missing');

    await client.secrets.create({ name: 'dup', value: 'CANARY-sdk-dup-0001' });
    await assert.rejects(client.secrets.create({ name: 'dup', value: 'CANARY-sdk-dup-0002' }), (e: unknown) => e instanceof StandinApiError && e.status === 409 && e.code === 'conflict');
    const rotated = await client.secrets.create({ name: 'dup', value: 'CANARY-sdk-dup-0003', ifExists: 'rotate' });
    assert.equal(rotated.version, 2);

    const bad = new Standin({ apiKey: 'stn_live_nope', baseUrl: srv.apiUrl });
    await assert.rejects(bad.secrets.list(), (e: unknown) => e instanceof StandinApiError && e.status === 401 && e.isAuthError);

    const reader = await client.apiKeys.create({ name: 'reader', scopes: ['secrets:read'] });
    assert.match(reader.key, /^stn_live_/);
    const limited = new Standin({ apiKey: reader.key, baseUrl: srv.apiUrl });
    await assert.rejects(limited.secrets.create({ name: 'x', value: 'CANARY-sdk-x-0001' }), (e: unknown) => e instanceof StandinApiError && e.status === 403 && e.code === 'missing_scope');
    await client.apiKeys.revoke(reader.id);
    await assert.rejects(limited.secrets.list(), (e: unknown) => e instanceof StandinApiError && e.status === 401);
    assert.equal((await client.apiKeys.list()).some((k) => k.id === reader.id), false, 'revoked keys are hidden by default');
    const withRevoked = await client.apiKeys.list({ includeRevoked: true });
    assert.ok(withRevoked.find((k) => k.id === reader.id)?.revokedAt, 'and listed, with revokedAt, on request');

    const invalid = await client.secrets.create({ name: 'nl', value: 'CANARY-sdk-line\nbreak' }).catch((e: unknown) => e);
    assert.ok(invalid instanceof StandinApiError && invalid.status === 400);
    assert.ok(!JSON.stringify({ m: invalid.message, d: invalid.details }).includes('CANARY'));
  });

  it('lists pages with a cursor and iterates over all of them', async () => {
    for (let i = 0; i < 7; i++) await client.secrets.create({ name: `page-${i}`, value: `CANARY-sdk-page-000${i}` });
    const first = await client.secrets.list({ prefix: 'page-', limit: 3 });
    assert.equal(first.data.length, 3);
    assert.ok(first.nextCursor);
    const names: string[] = [];
    for await (const s of client.secrets.list({ prefix: 'page-', limit: 3 })) names.push(s.name);
    assert.deepEqual(names.sort(), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    let pages = 0;
    for await (const p of client.secrets.list({ prefix: 'page-', limit: 3 }).pages()) pages += p.data.length > 0 ? 1 : 0;
    assert.equal(pages, 3);
    assert.equal((await client.secrets.list({ prefix: 'page-', limit: 2 }).all()).length, 7);
    const rest = await client.secrets.list({ prefix: 'page-', limit: 3, cursor: first.nextCursor! });
    assert.ok(rest.data.every((s) => !first.data.some((f) => f.id === s.id)));
  });

  it('covers the other resources', async () => {
    assert.deepEqual(await client.health(), { ok: true });
    assert.deepEqual(await client.ready(), { ok: true });
    const s = await client.secrets.get('page-0');
    const upd = await client.secrets.update(s.id, { hosts: ['api.example.com'], description: 'd' });
    assert.deepEqual(upd.hosts, ['api.example.com']);
    await client.secrets.rotate('page-0', { value: 'CANARY-sdk-rot-0001' });
    assert.deepEqual((await client.secrets.versions('page-0')).map((v) => v.version), [2, 1]);
    assert.deepEqual(await client.secrets.usage('page-0'), []);
    const ex = await client.secrets.explain('page-0', { userId: 'usr_x' });
    assert.equal(ex.resolved?.scope, 'tenant');
    await client.secrets.delete('page-0');
    await assert.rejects(client.secrets.get(s.id), (e: unknown) => e instanceof StandinApiError && e.code === 'not_found');

    const session = client.sessions('sess-1');
    const set = await session.secrets.set({ OPENAI_KEY: 'CANARY-sdk-sess-0001', OTHER: { value: 'CANARY-sdk-sess-0002', hosts: ['api.other.test'] } });
    assert.deepEqual(set.map((x) => x.name).sort(), ['OPENAI_KEY', 'OTHER']);
    assert.deepEqual((await session.secrets.list()).map((x) => x.name).sort(), ['OPENAI_KEY', 'OTHER']);
    await session.secrets.delete('OTHER');
    assert.deepEqual((await session.secrets.list()).map((x) => x.name), ['OPENAI_KEY']);

    const ws = await client.workspaces.create('team-a');
    assert.ok((await client.workspaces.list()).some((w) => w.id === ws.id));
    const user = await client.users.create({ name: 'bob' });
    assert.ok((await client.users.list()).some((u) => u.id === user.id));
    assert.ok((await client.providers.list()).some((p) => p.id === 'openai'));

    await client.secrets.update('page-1', { hosts: ['api.openai.com'] });
    const sb = await client.sandboxes.create({ name: 'box', secrets: { OPENAI_API_KEY: 'page-1' } });
    assert.equal((await client.sandboxes.get(sb.id)).bindings[0]?.secretName, 'page-1');
    assert.ok((await client.sandboxes.list().all()).some((x) => x.id === sb.id));
    assert.deepEqual((await client.sandboxes.egress(sb.id)).data, []);
    await client.sandboxes.delete(sb.id);

    const audit = await client.audit.list({ action: 'secrets.*', limit: 5 });
    assert.equal(audit.data.length, 5);
    assert.ok(audit.data.every((e) => e.action.startsWith('secrets.')));
    assert.deepEqual(await client.audit.verify(), { ok: true, rows: (await client.audit.list({ limit: 500 }).all()).length, brokenAt: null });
    assert.ok(!srv.logs().includes('CANARY-sdk'), 'no value in the server log');
  });
});

describe('SDK packaging', () => {
  it('imports nothing outside sdk/ at run time: the types it shares with the server are erased', async () => {
    const ts = (await import('typescript')).default;
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../sdk/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('types.ts') && files.includes('index.ts'));
    const shared: string[] = [];
    for (const f of files) {
      const source = readFileSync(new URL(f, dir), 'utf8');
      shared.push(...[...source.matchAll(/from '(\.\.\/src\/[^']+)'/g)].map((m) => m[1]!));
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: f }).outputText;
      const specifiers = [...js.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      for (const spec of specifiers) assert.match(spec, /^\.\/[\w-]+\.js$/, `${f} imports ${spec} at run time`);
    }
    assert.ok(shared.some((p) => p.startsWith('../src/services/')), 'the input types come from the services (type-only)');
  });
});
