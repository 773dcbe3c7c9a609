import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { aad, blobKeyId, open, seal, FORMAT_V1, NONCE_BYTES, TAG_BYTES } from '../../src/crypto/envelope.js';
import { Keyring, RootKey } from '../../src/crypto/keyring.js';
import { CANARY, assertNoCanary, flipByte, throwsCode } from './helpers.js';

const key = randomBytes(32);
const anyId = () => key; // a lookup that ignores the id, so only the cryptography can refuse
const where = { tenantId: 'ten_a', secretId: 'sec_1', version: 1, field: 'value' };
const ad = aad(where);
const plaintext = Buffer.from(CANARY, 'utf8');

test('a sealed blob opens to the original plaintext', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  assert.deepEqual(open(anyId, blob, ad), plaintext);
});

test('the blob has the documented layout: format byte, key id, nonce, ciphertext, tag', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  assert.equal(blob[0], FORMAT_V1);
  assert.equal(blob[1], 2);
  assert.equal(blob.subarray(2, 4).toString('ascii'), 'k1');
  assert.equal(blob.length, 1 + 1 + 2 + NONCE_BYTES + plaintext.length + TAG_BYTES);
  assert.equal(blobKeyId(blob), 'k1');
});

test('the stored bytes differ from the plaintext and contain no canary in any encoding', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  assert.notDeepEqual(blob, plaintext);
  assertNoCanary(blob);
});

test('two encryptions of one value differ', () => {
  const a = seal(key, 'k1', plaintext, ad);
  const b = seal(key, 'k1', plaintext, ad);
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(a.subarray(4, 4 + NONCE_BYTES), b.subarray(4, 4 + NONCE_BYTES));
});

test('flipping any single byte of the blob makes it fail to open', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  for (let i = 0; i < blob.length; i++) {
    const e = throwsCode(() => open(anyId, flipByte(blob, i), ad), 'crypto_failed');
    assert.ok(!e.message.includes(CANARY));
  }
});

test('every truncation of the blob fails to open, down to the empty blob', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  for (let len = 0; len < blob.length; len++) throwsCode(() => open(anyId, blob.subarray(0, len), ad), 'crypto_failed');
});

test('a blob with bytes appended fails to open', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  throwsCode(() => open(anyId, Buffer.concat([blob, Buffer.from([0])]), ad), 'crypto_failed');
});

test('a blob moved to another tenant, secret, version or field fails to open', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  for (const moved of [
    { ...where, tenantId: 'ten_b' },
    { ...where, secretId: 'sec_2' },
    { ...where, version: 2 },
    { ...where, field: 'password' },
  ]) {
    throwsCode(() => open(anyId, blob, aad(moved)), 'crypto_failed');
  }
});

test('a blob opened with the wrong key fails with a generic message', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  const e = throwsCode(() => open(() => randomBytes(32), blob, ad), 'crypto_failed');
  assert.match(e.message, /decryption failed/);
});

test('an unknown format byte is refused', () => {
  const blob = seal(key, 'k1', plaintext, ad);
  blob[0] = 0x02;
  throwsCode(() => open(anyId, blob, ad), 'crypto_failed');
});

test('relabelling a blob with another loaded key id fails, because the header is authenticated', () => {
  const other = randomBytes(32);
  const blob = seal(key, 'k1', plaintext, ad);
  const relabelled = Buffer.from(blob);
  relabelled.write('k2', 2, 'ascii');
  throwsCode(() => open((id) => (id === 'k2' ? key : other), relabelled, ad), 'crypto_failed');
});

test('a blob naming a root key the keyring lacks fails with unknown_root_key naming that id', () => {
  const keyring = new Keyring([new RootKey('present', randomBytes(32))]);
  const blob = seal(key, 'missing1', plaintext, ad);
  const e = throwsCode(() => open(keyring, blob, ad), 'unknown_root_key');
  assert.match(e.message, /root key "missing1" is not in the keyring/);
  assert.equal(e.details?.['expectedKeyId'], 'missing1');
});

test('associated data is standin/v1 followed by tenant, secret, version and field', () => {
  assert.equal(ad, 'standin/v1|ten_a|sec_1|1|value');
});

test('associated data refuses parts that could make two rows share one AAD', () => {
  throwsCode(() => aad({ ...where, secretId: 'a|b' }), 'crypto_failed');
  throwsCode(() => aad({ ...where, tenantId: '' }), 'crypto_failed');
  throwsCode(() => aad({ ...where, field: 'x\n' }), 'crypto_failed');
  throwsCode(() => aad({ ...where, version: 0 }), 'crypto_failed');
  throwsCode(() => aad({ ...where, version: 1.5 }), 'crypto_failed');
});

test('sealing refuses a key that is not 32 bytes', () => {
  throwsCode(() => seal(randomBytes(16), 'k1', plaintext, ad), 'crypto_failed');
});
