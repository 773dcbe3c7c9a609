/**
 * Real clients through the proxy (curl, Python requests, undici): the upstream receives the real
 * value, the client never sees it. Also: where placeholders may sit (Basic, query, bodies),
 * streaming (SSE), WebSocket, rotation and deletion on a kept-alive connection, compressed
 * responses, and the canary check over logs, egress events and audit rows.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, WebSocket, request } from 'undici';
import { auditRows, canary, egressOf, startFixture, tunnelClient, viaProxy, type Fixture, type Sandbox } from './fixture.js';
import type { EchoUpstream } from '../helpers/upstream.js';

const run = promisify(execFile);

let f: Fixture;
let up: EchoUpstream;
let echo: EchoUpstream; // echoKeyBack
let gz: { port: number; close(): Promise<void>; seen: string[] };
let sb: Sandbox;
const VALUE = canary();
const BODY_VALUE = canary();
const BASIC_VALUE = canary();
const values: string[] = [VALUE, BODY_VALUE, BASIC_VALUE];

/** An upstream that always gzips its echo of the Authorization header, whatever was asked. */
async function startGzipUpstream(cert: { cert: string; key: string }) {
  const seen: string[] = [];
  const server = https.createServer(cert, (req, res) => {
    seen.push(String(req.headers.authorization));
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(zlib.gzipSync(JSON.stringify({ youSent: req.headers.authorization })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

before(async () => {
  f = await startFixture();
  up = await f.startUpstream();
  echo = await f.startUpstream({ echoKeyBack: true });
  gz = await startGzipUpstream(f.pki.server);
  const hosts = [up, echo, gz].map((u) => `api.openai.com:${u.port}`);
  await f.secret({ name: 'openai', value: VALUE, provider: 'openai', hosts });
  await f.secret({ name: 'json-api', value: BODY_VALUE, hosts, bodyPlaceholders: true });
  await f.secret({ name: 'twilio', type: 'basic', username: 'AC-account', value: BASIC_VALUE, hosts });
  sb = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai', JSON_KEY: 'json-api', TWILIO_TOKEN: 'twilio' } });
});

after(async () => {
  await gz?.close();
  await f?.close();
});

const last = (u: EchoUpstream) => u.requests.at(-1)!;

describe('real clients', () => {
  test('curl: the upstream gets the value, curl sees only the placeholder', async () => {
    const { stdout } = await run('curl', [
      '-sS', '-i', '--proxy', sb.proxyUrl, '--cacert', sb.caFile, '-H', `Authorization: Bearer ${sb.env.OPENAI_API_KEY}`,
      `https://api.openai.com:${echo.port}/v1/chat/completions`,
    ]);
    assert.equal(last(echo).headers.authorization, `Bearer ${VALUE}`);
    assert.match(stdout, /HTTP\/1\.1 200/);
    assert.ok(!stdout.includes(VALUE), 'curl never sees the value');
    assert.ok(stdout.includes(`x-echo-authorization: Bearer ${sb.env.OPENAI_API_KEY}`));
  });

  test('Python requests: the upstream gets the value, the response is redacted', async () => {
    const script = [
      'import json, sys, requests',
      's = requests.Session(); s.trust_env = False',
      'r = s.get(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]}, proxies={"https": sys.argv[3], "http": sys.argv[3]}, verify=sys.argv[4])',
      'print(json.dumps({"status": r.status_code, "body": r.text, "echo": r.headers.get("x-echo-authorization")}))',
    ].join('\n');
    const { stdout } = await run('python3', ['-c', script, `https://api.openai.com:${echo.port}/v1/models`, sb.env.OPENAI_API_KEY!, sb.proxyUrl, sb.caFile]);
    const out = JSON.parse(stdout);
    assert.equal(out.status, 200);
    assert.equal(last(echo).headers.authorization, `Bearer ${VALUE}`);
    assert.ok(!stdout.includes(VALUE));
    assert.equal(out.echo, `Bearer ${sb.env.OPENAI_API_KEY}`);
  });

  test('undici ProxyAgent: the upstream gets the value, the body echo is redacted across chunks', async () => {
    const r = await viaProxy(sb, `https://api.openai.com:${echo.port}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${sb.env.OPENAI_API_KEY}`, 'content-type': 'application/json' }, body: '{"input":"hi"}' });
    assert.equal(r.status, 200);
    assert.equal(last(echo).headers.authorization, `Bearer ${VALUE}`);
    assert.equal(last(echo).body, '{"input":"hi"}');
    assert.ok(!r.body.includes(VALUE));
    assert.equal(JSON.parse(r.body).authorization, `Bearer ${sb.env.OPENAI_API_KEY}`);
  });
});

describe('where placeholders are found', () => {
  test('inside Basic credentials: swapped, re-encoded, and the stored user name is set', async () => {
    const creds = Buffer.from(`whoever:${sb.env.TWILIO_TOKEN}`).toString('base64');
    const r = await viaProxy(sb, `https://api.openai.com:${echo.port}/2010-04-01/Accounts`, { headers: { authorization: `Basic ${creds}` } });
    assert.equal(r.status, 200);
    assert.equal(last(echo).headers.authorization, `Basic ${Buffer.from(`AC-account:${BASIC_VALUE}`).toString('base64')}`);
    assert.ok(!r.body.includes(BASIC_VALUE) && !r.body.includes(Buffer.from(`AC-account:${BASIC_VALUE}`).toString('base64')));
    assert.equal(JSON.parse(r.body).authorization, `Basic ${creds}`, 'the echoed credentials are put back as sent');
  });

  test('in the query string, also percent-encoded', async () => {
    const escaped = [...sb.env.OPENAI_API_KEY!].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const r = await viaProxy(sb, `https://api.openai.com:${up.port}/v1/x?key=${escaped}&plain=${sb.env.OPENAI_API_KEY}`);
    assert.equal(r.status, 200);
    assert.equal(last(up).url, `/v1/x?key=${VALUE}&plain=${VALUE}`);
    assert.ok(!r.body.includes(VALUE));
  });

  test('in a JSON body, only for a secret with bodyPlaceholders; other placeholders in bodies stay as they are', async () => {
    const body = JSON.stringify({ key: sb.env.JSON_KEY, note: sb.env.OPENAI_API_KEY });
    const r = await viaProxy(sb, `https://api.openai.com:${up.port}/v1/body`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 200);
    const got = JSON.parse(last(up).body);
    assert.equal(got.key, BODY_VALUE);
    assert.equal(got.note, sb.env.OPENAI_API_KEY, 'a secret without bodyPlaceholders is not swapped in bodies');
    assert.equal(Number(last(up).headers['content-length']), Buffer.byteLength(last(up).body), 'Content-Length fixed');
    assert.ok(!r.body.includes(BODY_VALUE), 'the echoed body is redacted');
  });

  test('in a form body, percent-encoded, streamed in chunks', async () => {
    const escaped = encodeURIComponent(sb.env.JSON_KEY!).replace(/_/g, '%5F');
    const agent = new ProxyAgent({ uri: sb.proxyUrl, requestTls: { ca: sb.caPem } });
    async function* chunks() {
      const text = `a=1&token=${escaped}&b=2`;
      for (let i = 0; i < text.length; i += 7) yield Buffer.from(text.slice(i, i + 7));
    }
    const r = await request(`https://api.openai.com:${up.port}/form`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: chunks() });
    await r.body.text();
    await agent.close();
    assert.equal(r.statusCode, 200);
    assert.equal(last(up).body, `a=1&token=${BODY_VALUE}&b=2`);
  });

  test('a placeholder of another secret in the body of a bodyPlaceholders sandbox does not block', async () => {
    const r = await viaProxy(sb, `https://api.openai.com:${up.port}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `my env has ${sb.env.OPENAI_API_KEY}` }) });
    assert.equal(r.status, 200);
    assert.ok(!last(up).body.includes(VALUE));
  });
});

describe('plain http', () => {
  test('a secret with allowInsecureHttp is swapped into absolute-form http:// and into plain tunnels', async () => {
    const plain = await f.startUpstream({ tls: undefined });
    const v = canary();
    values.push(v);
    await f.secret({ name: 'legacy', value: v, hosts: [`api.openai.com:${plain.port}`], allowInsecureHttp: true });
    const box = await f.sandbox({ secrets: { LEGACY: 'legacy' } });
    for (const proxyTunnel of [false, true]) {
      const r = await viaProxy(box, `http://api.openai.com:${plain.port}/legacy`, { headers: { authorization: `Bearer ${box.env.LEGACY}` }, proxyTunnel });
      assert.equal(r.status, 200);
      assert.equal(last(plain).headers.authorization, `Bearer ${v}`);
      assert.ok(!r.body.includes(v));
    }
  });
});

describe('streaming and upgrades', () => {
  test('SSE events arrive as the upstream sends them, with redaction active', async () => {
    const agent = new ProxyAgent({ uri: sb.proxyUrl, requestTls: { ca: sb.caPem } });
    const r = await request(`https://api.openai.com:${up.port}/sse`, { dispatcher: agent, headers: { authorization: `Bearer ${sb.env.OPENAI_API_KEY}` } });
    assert.equal(r.headers['content-type'], 'text/event-stream');
    const arrivals: Array<[number, string]> = [];
    const t0 = Date.now();
    for await (const c of r.body) arrivals.push([Date.now() - t0, String(c)]);
    await agent.close();
    const text = arrivals.map((a) => a[1]).join('');
    assert.equal(text, 'id: 1\ndata: event 1\n\nid: 2\ndata: event 2\n\nid: 3\ndata: event 3\n\n');
    const firstAt = arrivals.find((a) => a[1].includes('event 1'))![0];
    const lastAt = arrivals.find((a) => a[1].includes('event 3'))![0];
    assert.ok(lastAt - firstAt >= 150, `events were buffered: ${JSON.stringify(arrivals)}`);
  });

  test('a WebSocket round-trip works after the header swap', async () => {
    const agent = new ProxyAgent({ uri: sb.proxyUrl, requestTls: { ca: sb.caPem } });
    const ws = new WebSocket(`wss://api.openai.com:${up.port}/ws`, { dispatcher: agent, headers: { authorization: `Bearer ${sb.env.OPENAI_API_KEY}` } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('ping through standin');
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = (e) => reject(new Error(`websocket error: ${(e as ErrorEvent).message}`));
    });
    ws.close();
    await agent.close();
    assert.equal(reply, 'ping through standin');
    const upgrade = up.requests.find((q) => q.url === '/ws');
    assert.equal(upgrade?.headers.authorization, `Bearer ${VALUE}`);
  });

  test('a gzip-compressed answer is decompressed and redacted', async () => {
    const r = await viaProxy(sb, `https://api.openai.com:${gz.port}/`, { headers: { authorization: `Bearer ${sb.env.OPENAI_API_KEY}`, 'accept-encoding': 'gzip' } });
    assert.equal(gz.seen.at(-1), `Bearer ${VALUE}`);
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(JSON.parse(r.body), { youSent: `Bearer ${sb.env.OPENAI_API_KEY}` });
  });
});

describe('changes apply on the next request of a kept-alive connection', () => {
  test('rotation: the next request carries the new value, on the same tunnel', async () => {
    const s = await f.secret({ name: 'rotating', value: canary(), hosts: [`api.openai.com:${up.port}`] });
    const box = await f.sandbox({ secrets: { ROT_KEY: 'rotating' } });
    const c = tunnelClient(box, 'api.openai.com', up.port);
    const get = async () => (await c.request({ path: '/r', method: 'GET', headers: { authorization: `Bearer ${box.env.ROT_KEY}` } })).body.text();
    await get();
    const v1 = last(up).headers.authorization;
    const next = canary();
    values.push(next);
    const rot = await f.server.api('POST', `/v1/secrets/${s.id}/rotate`, { value: next });
    assert.equal(rot.status, 200, JSON.stringify(rot.body));
    await get();
    assert.notEqual(v1, last(up).headers.authorization);
    assert.equal(last(up).headers.authorization, `Bearer ${next}`);
    assert.equal(c.connects, 1, 'one tunnel for both requests');
    await c.close();
  });

  test('deleting the secret blocks the next request on the same tunnel', async () => {
    const v = canary();
    values.push(v);
    const s = await f.secret({ name: 'doomed', value: v, hosts: [`api.openai.com:${up.port}`] });
    const box = await f.sandbox({ secrets: { DOOMED: 'doomed' } });
    const c = tunnelClient(box, 'api.openai.com', up.port);
    const get = () => c.request({ path: '/d', method: 'GET', headers: { authorization: `Bearer ${box.env.DOOMED}` } });
    assert.equal((await (await get()).body.text(), last(up).headers.authorization), `Bearer ${v}`);
    await f.server.api('DELETE', `/v1/secrets/${s.id}`);
    const before = up.requests.length;
    const r = await get();
    assert.equal(r.statusCode, 403);
    assert.match(await r.body.text(), /no longer resolves/);
    assert.equal(up.requests.length, before);
    assert.equal(c.connects, 1);
    await c.close();
  });

  test('deleting the sandbox stops its open tunnel on the next request', async () => {
    const box = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai' } });
    const c = tunnelClient(box, 'api.openai.com', up.port);
    const get = () => c.request({ path: '/s', method: 'GET', headers: { authorization: `Bearer ${box.env.OPENAI_API_KEY}` } });
    assert.equal((await get()).statusCode, 200);
    await f.server.api('DELETE', `/v1/sandboxes/${box.id}`);
    const before = up.requests.length;
    const r = await get();
    assert.equal(r.statusCode, 407);
    assert.match(await r.body.text(), /no longer exists/);
    assert.equal(up.requests.length, before);
    await c.close();
  });
});

describe('records', () => {
  test('egress events and usage rows are written, and no log line, event or audit row holds a value', async () => {
    await f.flush();
    const events = await egressOf(f, sb.id);
    assert.ok(events.length >= 10, `events: ${JSON.stringify(events.map((x) => [x.path, x.status, x.decision]))}`);
    const e = events.find((x) => x.path === '/v1/chat/completions');
    assert.ok(e, `the curl request has an event: ${JSON.stringify(events.map((x) => x.path))}`);
    assert.deepEqual(
      { method: e.method, scheme: e.scheme, host: e.host, port: e.port, status: e.status, decision: e.decision, secrets: e.secrets },
      { method: 'GET', scheme: 'https', host: 'api.openai.com', port: echo.port, status: 200, decision: 'allowed', secrets: [{ binding: 'OPENAI_API_KEY', secret: 'openai', version: 1 }] },
    );
    assert.ok(events.every((x) => !x.path.includes('?')), 'paths carry no query');
    const uses = await auditRows(f, 'secrets.use');
    assert.ok(uses.some((u) => u.details.secret === 'openai' && u.details.sandboxId === sb.id && u.details.count >= 1), 'a usage row');
    const secrets = await f.server.api('GET', '/v1/secrets?limit=200');
    assert.ok(secrets.body.data.find((s: any) => s.name === 'openai').lastUsedAt, 'lastUsedAt is set');
    const usage = await f.server.api('GET', `/v1/secrets/${secrets.body.data.find((s: any) => s.name === 'openai').id}/usage`);
    assert.equal(usage.status, 200);
    assert.ok(usage.body.data.length >= 3, `usage: ${usage.body.data.length}`);
    const everything = f.server.logs() + JSON.stringify([events, uses, await auditRows(f)]);
    for (const v of values) assert.ok(!everything.includes(v), `no value anywhere: ${everything.slice(Math.max(0, everything.indexOf(v) - 300), everything.indexOf(v) + 100)}`);
    assert.ok(!/stn_ph_[0-9A-Za-z]{46}/.test(everything), 'no full placeholder anywhere');
    assert.ok(!everything.includes(sb.token), 'no proxy credential anywhere');
    assert.match(f.server.logs(), /"msg":"proxy request"/);
  });
});
