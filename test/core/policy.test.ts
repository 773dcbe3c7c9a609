import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDestinationConsistency, checkEgressPolicy, decideSwap, type DenyCheck, type SwapInput } from '../../src/core/policy.js';

const sandbox = { id: 'sb1', tenantId: 't1' };
const binding = { sandboxId: 'sb1', envName: 'OPENAI_API_KEY', secretName: 'openai' };
const secret = { name: 'openai', tenantId: 't1', hosts: ['*.openai.com', 'localhost:8443'], allowInsecureHttp: false };
const dest = { host: 'api.openai.com', port: 443, scheme: 'https' as const, tlsVerified: true };
const base: SwapInput = { sandbox, binding, secret, destination: dest, sniHost: 'api.openai.com', requestHost: 'api.openai.com' };
const CANARY = 'sk-canary-value-should-never-appear';

type Case = [name: string, change: Partial<SwapInput>, expected: true | DenyCheck];
const cases: Case[] = [
  ['a placeholder bound to this sandbox, sent to an allowed host over verified TLS, is swapped', {}, true],
  ['a deeper subdomain of the wildcard is swapped', { destination: { ...dest, host: 'a.b.openai.com' }, sniHost: 'a.b.openai.com', requestHost: 'a.b.openai.com' }, true],
  ['a Host header with an explicit default port is the same destination', { requestHost: 'api.openai.com:443' }, true],
  ['an upper-case Host header with a trailing dot is the same destination', { requestHost: 'API.OpenAI.com.' }, true],
  ['an unknown placeholder is blocked', { binding: null }, 'unknown_placeholder'],
  ['the placeholder of another sandbox is blocked', { binding: { ...binding, sandboxId: 'sb2' } }, 'other_sandbox'],
  ['a placeholder whose secret was deleted is blocked', { secret: null }, 'secret_unresolved'],
  ['a secret of another tenant is blocked', { secret: { ...secret, tenantId: 't2' } }, 'secret_unresolved'],
  ['a secret that resolved under another name is blocked', { secret: { ...secret, name: 'other' } }, 'secret_unresolved'],
  ['a lookalike suffix host api.openai.com.evil.test does not match *.openai.com', { destination: { ...dest, host: 'api.openai.com.evil.test' }, sniHost: 'api.openai.com.evil.test', requestHost: 'api.openai.com.evil.test' }, 'host_not_allowed'],
  ['a lookalike prefix host evilopenai.com does not match *.openai.com', { destination: { ...dest, host: 'evilopenai.com' }, sniHost: 'evilopenai.com', requestHost: 'evilopenai.com' }, 'host_not_allowed'],
  ['the apex openai.com does not match *.openai.com', { destination: { ...dest, host: 'openai.com' }, sniHost: 'openai.com', requestHost: 'openai.com' }, 'host_not_allowed'],
  ['an allowed host on another port is blocked', { destination: { ...dest, port: 8443 }, requestHost: 'api.openai.com:8443' }, 'port_not_allowed'],
  ['plain http to an allowed host is blocked without allowInsecureHttp', { destination: { ...dest, scheme: 'http', port: 8443, host: 'localhost' }, sniHost: null, requestHost: 'localhost:8443' }, 'insecure_http'],
  ['a secret host rule without a port does not cover plain http on port 80, unlike an egress rule', { secret: { ...secret, allowInsecureHttp: true }, destination: { ...dest, scheme: 'http', port: 80 }, sniHost: null, requestHost: 'api.openai.com' }, 'port_not_allowed'],
  ['plain http is swapped when the secret allows insecure http', { secret: { ...secret, allowInsecureHttp: true }, destination: { ...dest, scheme: 'http', port: 8443, host: 'localhost' }, sniHost: null, requestHost: 'localhost:8443' }, true],
  ['an unverified upstream certificate is blocked', { destination: { ...dest, tlsVerified: false } }, 'tls_unverified'],
  ['CONNECT to an allowed host with a Host header of another host is misdirected', { requestHost: 'evil.test' }, 'misdirected_request'],
  ['a Host header with another port than the tunnel is misdirected', { requestHost: 'api.openai.com:8443' }, 'misdirected_request'],
  ['an SNI that differs from the CONNECT authority is a destination mismatch', { sniHost: 'evil.test' }, 'destination_mismatch'],
  ['a secret without hosts cannot be used through the proxy', { secret: { ...secret, hosts: [] } }, 'no_hosts'],
  ['a disallowed host is blocked even when SNI and Host agree with it', { destination: { ...dest, host: 'evil.test' }, sniHost: 'evil.test', requestHost: 'evil.test' }, 'host_not_allowed'],
];

describe('swap decisions', () => {
  for (const [name, change, expected] of cases) {
    test(name, () => {
      const d = decideSwap({ ...base, ...change });
      if (expected === true) assert.ok(d.allow, d.allow ? '' : d.reason);
      else {
        assert.equal(d.allow, false, d.reason);
        if (!d.allow) assert.equal(d.check, expected, d.reason);
      }
      assert.ok(!d.reason.includes(CANARY));
      assert.ok(d.reason.length > 10);
    });
  }
  test('a refusal names the secret, the env name and the host', () => {
    const d = decideSwap({ ...base, destination: { ...dest, host: 'evil.test' }, sniHost: 'evil.test', requestHost: 'evil.test' });
    assert.ok(!d.allow);
    assert.equal(d.code, 'placeholder_blocked');
    assert.match(d.reason, /secret "openai" \(bound to OPENAI_API_KEY\) may not be sent to evil\.test:443/);
  });
  test('host mismatches inside a tunnel map to their own error codes', () => {
    const sni = decideSwap({ ...base, sniHost: 'evil.test' });
    const host = decideSwap({ ...base, requestHost: 'evil.test' });
    assert.ok(!sni.allow && sni.code === 'destination_mismatch');
    assert.ok(!host.allow && host.code === 'misdirected_request');
  });
  test('an http destination without a Host port defaults to 80', () => {
    assert.ok(checkDestinationConsistency({ host: 'example.test', port: 80, scheme: 'http' }, null, 'example.test').allow);
  });
});

describe('sandbox egress policy', () => {
  const cases: Array<[string, string[] | null, string, number, boolean]> = [
    ['no policy allows any host', null, 'example.com', 443, true],
    ['a listed host is allowed', ['api.github.com'], 'api.github.com', 443, true],
    ['an unlisted host is denied', ['api.github.com'], 'evil.test', 443, false],
    ['a listed host on another port is denied', ['api.github.com'], 'api.github.com', 8443, false],
    ['a wildcard allows subdomains only', ['*.github.com'], 'github.com', 443, false],
    ['an empty list denies everything', [], 'api.github.com', 443, false],
    ['a listed host without a port is reachable over plain http on port 80', ['example.com'], 'example.com', 80, true],
    ['a wildcard without a port allows subdomains on port 80 too', ['*.example.com'], 'a.example.com', 80, true],
    ['a listed host with an explicit :443 is not reachable on port 80', ['example.com:443'], 'example.com', 80, false],
    ['a listed host with an explicit :443 is reachable on 443', ['example.com:443'], 'example.com', 443, true],
    ['a listed host with another port allows that port only', ['example.com:8080'], 'example.com', 443, false],
    ['a listed host with another port is reachable on it', ['example.com:8080'], 'example.com', 8080, true],
  ];
  for (const [name, allowHosts, host, port, want] of cases) {
    test(name, () => {
      const d = checkEgressPolicy({ allowHosts }, host, port);
      assert.equal(d.allow, want, d.reason);
      if (!d.allow) assert.equal(d.code, 'egress_denied');
    });
  }
});
