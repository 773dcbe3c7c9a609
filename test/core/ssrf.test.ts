import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDestination, classifyAddress, parseAllowList, parseIPv6, type AddressCategory } from '../../src/core/ssrf.js';

describe('address classification', () => {
  const cases: Array<[string, string, AddressCategory]> = [
    ['a public IPv4 address is allowed', '8.8.8.8', 'public'],
    ['a public IPv6 address is allowed', '2606:4700:4700::1111', 'public'],
    ['IPv4 loopback 127.0.0.1 is refused', '127.0.0.1', 'loopback'],
    ['any address in 127/8 is loopback', '127.255.0.9', 'loopback'],
    ['0.0.0.0 is refused as unspecified', '0.0.0.0', 'unspecified'],
    ['0.1.2.3 in 0/8 is refused', '0.1.2.3', 'unspecified'],
    ['10/8 is private', '10.20.30.40', 'private'],
    ['172.16/12 is private', '172.31.255.255', 'private'],
    ['172.32.0.1 just outside 172.16/12 is public', '172.32.0.1', 'public'],
    ['192.168/16 is private', '192.168.1.1', 'private'],
    ['the metadata address 169.254.169.254 is link-local', '169.254.169.254', 'link_local'],
    ['100.64/10 is CGNAT', '100.64.0.1', 'cgnat'],
    ['Alibaba metadata 100.100.100.200 is CGNAT', '100.100.100.200', 'cgnat'],
    ['100.128.0.1 just outside CGNAT is public', '100.128.0.1', 'public'],
    ['224/4 is multicast', '224.0.0.251', 'multicast'],
    ['240/4 is reserved', '240.0.0.1', 'reserved'],
    ['255.255.255.255 is reserved', '255.255.255.255', 'reserved'],
    ['198.18/15 is benchmarking', '198.19.255.1', 'benchmark'],
    ['TEST-NET-1 is documentation', '192.0.2.1', 'documentation'],
    ['TEST-NET-3 is documentation', '203.0.113.7', 'documentation'],
    [':: is unspecified', '::', 'unspecified'],
    ['::1 is loopback', '::1', 'loopback'],
    ['the expanded form of ::1 is loopback', '0:0:0:0:0:0:0:1', 'loopback'],
    ['a bracketed [::1] is loopback', '[::1]', 'loopback'],
    ['::ffff:127.0.0.1 is IPv4-mapped', '::ffff:127.0.0.1', 'ipv4_mapped'],
    ['::ffff:7f00:1 (hex form) is IPv4-mapped', '::ffff:7f00:1', 'ipv4_mapped'],
    ['a mapped public address is refused too', '::ffff:8.8.8.8', 'ipv4_mapped'],
    ['NAT64 64:ff9b::/96 embedding is refused', '64:ff9b::a9fe:a9fe', 'ipv4_embedded'],
    ['local-use NAT64 64:ff9b:1::/48 is refused', '64:ff9b:1::7f00:1', 'ipv4_embedded'],
    ['6to4 2002::/16 is refused', '2002:7f00:1::1', 'ipv4_embedded'],
    ['Teredo 2001::/32 is refused', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'ipv4_embedded'],
    ['IPv4-compatible ::a.b.c.d is refused', '::10.0.0.1', 'ipv4_embedded'],
    ['fe80::/10 is link-local', 'fe80::1', 'link_local'],
    ['a link-local address with a zone id is link-local', 'fe80::1%eth0', 'link_local'],
    ['fc00::/7 is unique local', 'fc00::1', 'unique_local'],
    ['AWS IPv6 metadata fd00:ec2::254 is unique local', 'fd00:ec2::254', 'unique_local'],
    ['ff00::/8 is multicast', 'ff02::1', 'multicast'],
    ['2001:db8::/32 is documentation', '2001:db8::1', 'documentation'],
    ['2001:2::/48 is benchmarking', '2001:2::1', 'benchmark'],
    ['addresses outside 2000::/3 are reserved', '4000::1', 'reserved'],
    ['an octal IPv4 form is not an address', '0177.0.0.1', 'invalid'],
    ['a decimal integer is not an address', '2130706433', 'invalid'],
    ['a host name is not an address', 'localhost', 'invalid'],
    ['nine IPv6 groups are not an address', '1:2:3:4:5:6:7:8:9', 'invalid'],
    ['two :: are not an address', '1::2::3', 'invalid'],
  ];
  for (const [name, ip, category] of cases) {
    test(name, () => {
      const c = classifyAddress(ip);
      assert.equal(c.category, category, c.reason);
      assert.equal(c.allowed, category === 'public');
    });
  }
  test('the reason of a mapped address names the IPv4 it carries', () => {
    const c = classifyAddress('::ffff:7f00:1');
    assert.equal(c.embeddedIPv4, '127.0.0.1');
    assert.match(c.reason, /127\.0\.0\.1 \(loopback\)/);
  });
  test('IPv6 parsing handles embedded dotted quads', () => {
    assert.equal(parseIPv6('::ffff:1.2.3.4'), 0xffff01020304n);
    assert.equal(parseIPv6('1:2:3:4:5:6:1.2.3.4'), parseIPv6('1:2:3:4:5:6:102:304'));
  });
});

describe('operator allow-list', () => {
  const allow = parseAllowList('localhost, 10.0.0.0/8, ::1/128, 127.0.0.1, *.corp.test');
  const cases: Array<[string, string, string | undefined, boolean]> = [
    ['a private address inside an allowed range passes', '10.1.2.3', undefined, true],
    ['a private address outside the allowed ranges is refused', '192.168.0.1', undefined, false],
    ['an allowed IPv6 address passes', '::1', undefined, true],
    ['loopback reached through an allowed host name passes', '127.0.0.2', 'localhost', true],
    ['loopback reached through another name is refused', '127.0.0.2', 'evil.test', false],
    ['an allowed wildcard name exempts its subdomains', '192.168.0.1', 'db.corp.test', true],
    ['the metadata address is refused when not listed', '169.254.169.254', 'metadata.google.internal', false],
    ['a mapped form of an allowed IPv4 address passes', '::ffff:127.0.0.1', undefined, true],
    ['a public address needs no entry', '1.1.1.1', undefined, true],
  ];
  for (const [name, ip, host, want] of cases) {
    test(name, () => {
      const d = checkDestination(ip, allow, host);
      assert.equal(d.allowed, want, d.reason);
    });
  }
  test('an exemption names the entry that granted it', () => {
    const d = checkDestination('10.9.9.9', allow);
    assert.equal(d.allowedBy, '10.0.0.0/8');
    assert.match(d.reason, /allowed by egress allow-list entry 10\.0\.0\.0\/8/);
  });
  test('no allow-list refuses every non-public address', () => assert.equal(checkDestination('10.0.0.1', null).allowed, false));
  test('an empty allow-list string gives no entries', () => assert.deepEqual(parseAllowList('').entries, []));
  for (const bad of ['10.0.0.0/33', '::/129', 'http://x', 'a b', '10.0.0.1/x', 'host:80']) {
    test(`the malformed entry ${JSON.stringify(bad)} is refused with config_invalid`, () => {
      assert.throws(() => parseAllowList(bad), (e: Error & { code?: string }) => e.code === 'config_invalid' && e.message.includes(JSON.stringify(bad)));
    });
  }
});
