import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileEgressRules, compileHostRules, formatHostRule, matchHost, normalizeHost, normalizeHostRuleText, parseHostRule } from '../../src/core/hosts.js';

describe('normalizeHost', () => {
  const cases: Array<[string, string, string | null]> = [
    ['upper case is lowered', 'API.OpenAI.COM', 'api.openai.com'],
    ['one trailing dot is stripped', 'api.openai.com.', 'api.openai.com'],
    ['two trailing dots are an empty label', 'api.openai.com..', null],
    ['an IDN is converted to its A-label', 'BÜCHER.example', 'xn--bcher-kva.example'],
    ['an A-label stays as it is', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['full-width letters map to ASCII (UTS #46)', 'ＡＰＩ.openai.com', 'api.openai.com'],
    ['a bracketed IPv6 literal is compressed and unbracketed', '[2001:DB8:0:0::1]', '2001:db8::1'],
    ['a bare IPv6 literal is accepted', '::1', '::1'],
    ['an IPv4-mapped IPv6 literal is canonicalized', '[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['an IPv6 zone id is refused', '[fe80::1%eth0]', null],
    ['a hex IPv4 form becomes dotted quad as clients read it', '0x7f.1', '127.0.0.1'],
    ['a percent-escape is refused, not decoded', 'ex%41mple.com', null],
    ['a space is refused', 'exa mple.com', null],
    ['an empty label is refused', 'a..b', null],
    ['a label starting with a dash is refused', '-a.example', null],
    ['a 64-character label is refused', `${'a'.repeat(64)}.example`, null],
    ['a 63-character label is accepted', `${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
    ['an underscore is accepted', 'my_host.example', 'my_host.example'],
    ['an empty string is refused', '', null],
    ['a numeric last label is not a host name (WHATWG reads it as IPv4)', 'example.123', null],
    ['a short numeric form is read as IPv4 like clients do', '127.1', '127.0.0.1'],
  ];
  for (const [name, input, want] of cases) test(name, () => assert.equal(normalizeHost(input), want));
});

describe('parseHostRule', () => {
  const ok: Array<[string, string, { host: string; wildcard: boolean; port: number }, string]> = [
    ['a bare host defaults to port 443', 'api.openai.com', { host: 'api.openai.com', wildcard: false, port: 443 }, 'api.openai.com'],
    ['a host with a port keeps it', 'localhost:8443', { host: 'localhost', wildcard: false, port: 8443 }, 'localhost:8443'],
    ['an explicit :443 is the default', 'api.openai.com:443', { host: 'api.openai.com', wildcard: false, port: 443 }, 'api.openai.com'],
    ['a wildcard names its domain', '*.openai.com', { host: 'openai.com', wildcard: true, port: 443 }, '*.openai.com'],
    ['a wildcard with a port', '*.example.com:8443', { host: 'example.com', wildcard: true, port: 8443 }, '*.example.com:8443'],
    ['an upper-case IDN wildcard is normalized', '*.BÜCHER.example.', { host: 'xn--bcher-kva.example', wildcard: true, port: 443 }, '*.xn--bcher-kva.example'],
    ['a bracketed IPv6 literal with a port', '[::1]:8443', { host: '::1', wildcard: false, port: 8443 }, '[::1]:8443'],
    ['a bare IPv6 literal has the default port', '2001:db8::1', { host: '2001:db8::1', wildcard: false, port: 443 }, '[2001:db8::1]'],
    ['an IPv4 literal with a port', '127.0.0.1:9000', { host: '127.0.0.1', wildcard: false, port: 9000 }, '127.0.0.1:9000'],
    ['surrounding spaces are trimmed', '  api.openai.com ', { host: 'api.openai.com', wildcard: false, port: 443 }, 'api.openai.com'],
  ];
  for (const [name, input, want, text] of ok) {
    test(name, () => {
      const r = parseHostRule(input);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.deepEqual(r.rule, want);
      assert.equal(formatHostRule(r.rule), text);
    });
  }
  const bad: Array<[string, string, RegExp]> = [
    ['a lone * is refused', '*', /wildcards look like/],
    ['a wildcard over a top-level domain is refused', '*.com', /top-level/],
    ['a wildcard over a shared hosting suffix is refused', '*.github.io', /shared suffix/],
    ['a wildcard over a two-label public suffix is refused', '*.co.uk', /shared suffix/],
    ['a wildcard in the middle is refused', 'api.*.com', /leading/],
    ['a partial-label wildcard is refused', '*api.openai.com', /leading|valid/],
    ['a wildcard over an IP address is refused', '*.10.0.0.1', /IP address/],
    ['a scheme is refused', 'https://api.openai.com', /scheme/],
    ['a path is refused', 'api.openai.com/v1', /path/],
    ['user info is refused', 'user@api.openai.com', /user info/],
    ['a query is refused', 'api.openai.com?x=1', /path, query/],
    ['port 0 is refused', 'api.openai.com:0', /port/],
    ['port 65536 is refused', 'api.openai.com:65536', /port/],
    ['a non-numeric port is refused', 'api.openai.com:https', /port/],
    ['an empty port is refused', 'api.openai.com:', /port/],
    ['an empty label is refused', 'api..openai.com', /not a valid host/],
    ['an empty rule is refused', '', /empty/],
    ['an unclosed IPv6 bracket is refused', '[::1', /unclosed/],
  ];
  for (const [name, input, want] of bad) {
    test(name, () => {
      const r = parseHostRule(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, want);
    });
  }
});

describe('matchHost', () => {
  const rules = compileHostRules(['*.openai.com', 'api.anthropic.com', 'localhost:8443', '[::1]:9443', 'xn--bcher-kva.example']);
  const cases: Array<[string, string, number, boolean]> = [
    ['a subdomain matches *.openai.com', 'api.openai.com', 443, true],
    ['a deeper subdomain a.b.openai.com matches *.openai.com', 'a.b.openai.com', 443, true],
    ['the apex openai.com does not match *.openai.com', 'openai.com', 443, false],
    ['a lookalike prefix evilopenai.com does not match *.openai.com', 'evilopenai.com', 443, false],
    ['a lookalike suffix host api.openai.com.evil.test does not match *.openai.com', 'api.openai.com.evil.test', 443, false],
    ['an upper-case host API.OPENAI.COM matches *.openai.com', 'API.OPENAI.COM', 443, true],
    ['a trailing dot api.openai.com. matches *.openai.com', 'api.openai.com.', 443, true],
    ['the right host on another port does not match', 'api.openai.com', 8443, false],
    ['an exact rule matches its host', 'api.anthropic.com', 443, true],
    ['an exact rule does not match a subdomain of it', 'x.api.anthropic.com', 443, false],
    ['an exact rule does not match a lookalike evilapi.anthropic.com', 'evilapi.anthropic.com', 443, false],
    ['a rule with a port matches on that port', 'localhost', 8443, true],
    ['a rule with a port does not match on 443', 'localhost', 443, false],
    ['a bracketed IPv6 destination matches an IPv6 rule', '[::1]', 9443, true],
    ['an expanded IPv6 form matches the compressed rule', '0:0:0:0:0:0:0:1', 9443, true],
    ['a Unicode host matches its A-label rule', 'BÜCHER.example', 443, true],
    ['an invalid host name matches nothing', 'api.openai.com/evil', 443, false],
    ['a percent-encoded host matches nothing', 'api%2eopenai.com', 443, false],
  ];
  for (const [name, host, port, want] of cases) {
    test(name, () => {
      const m = matchHost(rules, host, port);
      assert.equal(m.ok, want, m.reason);
    });
  }
  test('a port mismatch is told apart from a host mismatch', () => {
    const m = matchHost(rules, 'api.openai.com', 8443);
    assert.ok(!m.ok && m.hostMatched);
    assert.match(m.reason, /only on port 443/);
  });
  test('compiled rules are memoized by array identity', () => {
    const hosts = ['api.openai.com'];
    assert.equal(compileHostRules(hosts), compileHostRules(hosts));
  });
  test('an invalid stored rule throws validation_failed naming it', () => {
    assert.throws(() => compileHostRules(['*.com']), (e: Error & { code?: string }) => e.code === 'validation_failed' && /\*\.com/.test(e.message));
  });
});

describe('sandbox egress rules', () => {
  test('a rule without a port allows 443 and 80; a rule with a port, :443 included, only that port', () => {
    const rules = compileEgressRules(['example.com', 'pinned.example:443', 'alt.example:8080']);
    assert.deepEqual(rules.map((r) => `${r.host}:${r.port}`), ['example.com:443', 'example.com:80', 'pinned.example:443', 'alt.example:8080']);
  });
  test('the canonical text keeps an explicit :443, which tells the two apart once stored', () => {
    assert.deepEqual(normalizeHostRuleText('EXAMPLE.com.:443'), { ok: true, text: 'example.com:443' });
    assert.deepEqual(normalizeHostRuleText('example.com'), { ok: true, text: 'example.com' });
    assert.deepEqual(normalizeHostRuleText('[::1]:443'), { ok: true, text: '[::1]:443' });
    assert.equal(normalizeHostRuleText('*.com').ok, false);
  });
  test('a bad egress rule throws validation_failed naming it', () => {
    assert.throws(() => compileEgressRules(['ok.example', 'https://x.example']), (e: Error & { code?: string }) => e.code === 'validation_failed' && /https:\/\/x\.example/.test(e.message));
  });
});
