import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { BASE62_ALPHABET, CHECKSUM_LEN, PLACEHOLDER_BODY_LEN, checksumOf, crc32, hasValidChecksum, toBase62 } from '../../src/core/checksum.js';
import {
  apiKeyKind,
  generateApiKey,
  generatePlaceholder,
  generateProxyToken,
  hashToken,
  randomBase62,
  randomId,
  tokenHashEquals,
  tokenPrefix,
  verifyTokenChecksum,
} from '../../src/crypto/tokens.js';

const TAIL = PLACEHOLDER_BODY_LEN + CHECKSUM_LEN;

test('API keys carry their kind prefix, 40 base62 characters and a 6-character checksum', () => {
  for (const [kind, prefix] of [['live', 'stn_live_'], ['test', 'stn_test_'], ['user', 'stn_u_']] as const) {
    const key = generateApiKey(kind);
    assert.ok(key.startsWith(prefix), key);
    assert.equal(key.length, prefix.length + TAIL);
    assert.match(key.slice(prefix.length), /^[0-9A-Za-z]{46}$/);
    assert.ok(verifyTokenChecksum(key));
    assert.equal(apiKeyKind(key), kind);
  }
});

test('placeholders and proxy tokens have the same shape with their own prefixes', () => {
  const ph = generatePlaceholder();
  assert.match(ph, /^stn_ph_[0-9A-Za-z]{46}$/);
  assert.ok(verifyTokenChecksum(ph));
  const px = generateProxyToken();
  assert.match(px, /^stn_px_[0-9A-Za-z]{46}$/);
  assert.ok(verifyTokenChecksum(px));
  assert.equal(apiKeyKind(ph), null);
  const custom = generatePlaceholder('sk-proj-');
  assert.ok(custom.startsWith('sk-proj-'));
  assert.ok(hasValidChecksum(custom.slice('sk-proj-'.length)));
});

test('a placeholder body carries at least 230 bits of entropy', () => {
  assert.ok(PLACEHOLDER_BODY_LEN * Math.log2(62) >= 230);
});

test('the checksum detects every single changed character of a token', () => {
  const key = generateApiKey('live');
  for (let i = 0; i < key.length; i++) {
    const current = key[i] as string;
    for (const replacement of ['0', 'Z', 'z', 'x', '_']) {
      if (replacement === current) continue;
      const changed = key.slice(0, i) + replacement + key.slice(i + 1);
      assert.equal(verifyTokenChecksum(changed), false, `position ${i} → ${replacement}`);
    }
  }
});

test('malformed tokens fail the checksum check before any lookup', () => {
  const key = generateApiKey('test');
  for (const bad of ['', 'stn_live_', key.slice(0, -1), key + 'a', key.replace('stn_test_', 'stn_prod_'), ` ${key}`, key.toUpperCase()]) {
    assert.equal(verifyTokenChecksum(bad), false, bad);
  }
});

test('1000 generated tokens are all distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(generateApiKey('live'));
  for (let i = 0; i < 1000; i++) seen.add(generatePlaceholder());
  assert.equal(seen.size, 2000);
});

test('the key prefix shown in lists is the first 12 characters', () => {
  const key = generateApiKey('live');
  assert.equal(tokenPrefix(key), key.slice(0, 12));
  assert.equal(tokenPrefix(key).length, 12);
});

test('token hashes are hex SHA-256 and compare equal only for the same token', () => {
  const key = generateApiKey('live');
  const h = hashToken(key);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(h, hashToken(key));
  assert.ok(tokenHashEquals(h, hashToken(key)));
  assert.ok(!tokenHashEquals(h, hashToken(generateApiKey('live'))));
  assert.ok(!tokenHashEquals(h, h.slice(0, 62)), 'a shorter string is never equal');
  assert.ok(!tokenHashEquals(h, 'z'.repeat(64)), 'non-hex is never equal');
  assert.ok(!tokenHashEquals('', ''));
});

test('row ids are the prefix and 20 base62 characters', () => {
  const id = randomId('sec_');
  assert.match(id, /^sec_[0-9A-Za-z]{20}$/);
  assert.notEqual(id, randomId('sec_'));
});

test('random base62 characters are spread evenly over the alphabet', () => {
  const sample = randomBase62(62 * 1000);
  const counts = new Map<string, number>();
  for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, 62);
  // Expected 1000 each; modulo bias would push the first 8 characters to ~1240 (+24%).
  for (const [ch, n] of counts) assert.ok(n > 820 && n < 1180, `${ch}: ${n}`);
});

test('our CRC32 matches the standard IEEE CRC32', () => {
  assert.equal(crc32('123456789'), 0xcbf43926);
  assert.equal(crc32(''), 0);
  // zlib.crc32 exists from Node 20.15 only (package.json allows 20.12): compare when present.
  const reference = (zlib as { crc32?: (s: string) => number }).crc32;
  if (reference) for (const s of ['stn', 'a'.repeat(100), generateApiKey('live')]) assert.equal(crc32(s), reference(s));
});

test('the checksum is the CRC32 of the body as 6 base62 digits', () => {
  assert.equal(checksumOf('x').length, CHECKSUM_LEN);
  assert.equal(toBase62(0xffffffff, CHECKSUM_LEN).length, CHECKSUM_LEN);
  assert.equal(toBase62(61, 2), '0' + BASE62_ALPHABET[61]);
  assert.throws(() => toBase62(62 ** 2, 2), RangeError);
});
