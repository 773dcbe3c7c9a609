/**
 * DESIGN.md §2.6: the proxy is no SSRF tool. This server has no STANDIN_EGRESS_ALLOW, so every
 * loopback upstream is an "internal address": each case must be refused before any connection
 * is made (the echo upstream never sees a request), with the reason named. Addresses outside
 * loopback are never contacted: they are refused by classification alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { canary, startFixture, viaProxy, type Fixture, type Sandbox } from './fixture.js';
import type { EchoUpstream } from '../helpers/upstream.js';
import { DestinationGuard } from '../../src/proxy/destination-guard.js';

let f: Fixture;
let up: EchoUpstream;
let plain: EchoUpstream;
let sb: Sandbox;
const VALUE = canary();

before(async () => {
  f = await startFixture({ egressAllow: null });
  up = await f.startUpstream();
  plain = await f.startUpstream({ tls: undefined });
  await f.secret({ name: 'openai', value: VALUE, provider: 'openai', hosts: [`api.openai.com:${up.port}`] });
  sb = await f.sandbox({ secrets: { OPENAI_API_KEY: 'openai' } });
});

after(async () => {
  await f?.close();
});

const errorOf = (body: string): { code: string; message: string } => JSON.parse(body).error;

describe('SSRF guard without an egress allow-list', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a DNS name that resolves to loopback (STANDIN_RESOLVE) is refused even with a valid placeholder', `https://api.openai.com:${0}/v1/models`, /127\.0\.0\.1 is loopback.*api\.openai\.com resolves to 127\.0\.0\.1/],
    ['the cloud metadata address 169.254.169.254 is refused', 'http://169.254.169.254/latest/meta-data/', /link-local/],
    ['a private RFC 1918 address is refused', 'http://10.1.2.3/', /private/],
    ['another private range (192.168/16) is refused', 'http://192.168.1.1:8080/', /private/],
    ['CGNAT space is refused', 'http://100.100.100.200/', /CGNAT/],
    ['loopback by address is refused', `http://127.0.0.1:${0}/`, /loopback/],
    ['loopback written in hex (0x7f.1) is normalized and refused', `http://0x7f.1:${0}/`, /loopback/],
    ['an IPv4-mapped IPv6 loopback ([::ffff:127.0.0.1]) is refused', `http://[::ffff:127.0.0.1]:${0}/`, /IPv4-mapped/],
    ['IPv6 loopback ([::1]) is refused', `http://[::1]:${0}/`, /loopback/],
    ['the unspecified address 0.0.0.0 is refused', `http://0.0.0.0:${0}/`, /this network|unspecified/],
    ['localhost is refused (it resolves to loopback)', `http://localhost:${0}/`, /loopback/],
  ];
  for (const [name, rawUrl, reason] of cases) {
    test(name, async () => {
      const url = rawUrl.replace(':0/', `:${rawUrl.startsWith('https') ? up.port : plain.port}/`);
      // Only the first case carries the placeholder (its host is allowed for the secret); elsewhere
      // a placeholder would be refused by the swap policy before the guard is asked.
      const headers = url.includes('api.openai.com') ? { authorization: `Bearer ${sb.env.OPENAI_API_KEY}` } : undefined;
      const r = await viaProxy(sb, url, { headers, proxyTunnel: !url.startsWith('http:') });
      assert.equal(r.status, 403, r.body);
      const e = errorOf(r.body);
      assert.equal(e.code, 'ssrf_blocked');
      assert.match(e.message, reason);
      assert.equal(up.requests.length + plain.requests.length, 0, 'nothing reached an upstream');
    });
  }

  test('the same through a CONNECT tunnel to the metadata address is refused per request', async () => {
    const r = await viaProxy(sb, 'https://169.254.169.254/latest/meta-data/');
    assert.equal(r.status, 403);
    assert.equal(errorOf(r.body).code, 'ssrf_blocked');
  });

  test('the guard connects only to an address it checked: a public answer passes, a mixed answer uses the public one', async () => {
    const guard = new DestinationGuard({ allow: [], resolve: {}, lookup: async () => [{ address: '10.0.0.1', family: 4 }, { address: '93.184.215.14', family: 4 }] });
    const r = await guard.check('mixed.example');
    assert.ok(r.ok);
    assert.equal(r.target.address, '93.184.215.14');
    const onlyPrivate = new DestinationGuard({ allow: [], resolve: {}, lookup: async () => [{ address: 'fd00:ec2::254', family: 6 }] });
    const r2 = await onlyPrivate.check('metadata.example');
    assert.ok(!r2.ok);
    assert.match(r2.reason, /unique local/);
  });

  test('an operator allow-list entry exempts exactly what it names', async () => {
    const g = new DestinationGuard({ allow: ['10.0.0.0/8', 'db.internal'], resolve: { 'db.internal': '192.168.5.5' } });
    assert.ok((await g.check('10.9.9.9')).ok);
    assert.ok((await g.check('db.internal')).ok);
    assert.ok(!(await g.check('192.168.5.5')).ok);
    assert.ok(!(await g.check('169.254.169.254')).ok);
  });
});
