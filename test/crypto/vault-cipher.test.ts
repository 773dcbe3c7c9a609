import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretValue } from '../../src/core/secret-value.js';
import { newDataKey } from '../../src/crypto/dek.js';
import { Keyring, generateRootKey } from '../../src/crypto/keyring.js';
import { ValueCipher } from '../../src/crypto/vault-cipher.js';
import { CANARY, assertNoCanary, flipByte, rejectsCode } from './helpers.js';

/** A cipher over an in-memory "tenants table" of wrapped data keys, as the store keeps them. */
function setup(keyring = new Keyring([generateRootKey()])) {
  const wrapped = new Map<string, Buffer>();
  const cipher = new ValueCipher({
    keyring,
    dekFor: async (tenantId) => {
      const blob = wrapped.get(tenantId);
      if (!blob) throw new Error(`no tenant ${tenantId}`);
      return blob;
    },
  });
  for (const t of ['ten_a', 'ten_b']) wrapped.set(t, cipher.newTenantKey(t));
  return { keyring, wrapped, cipher };
}

const where = { tenantId: 'ten_a', secretId: 'sec_1', version: 1, field: 'value' };
const canary = new SecretValue(CANARY);

test('an encrypted value decrypts to the same value', async () => {
  const { cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);
  const back = await cipher.decryptValue(where, blob);
  assert.ok(back instanceof SecretValue);
  assert.equal(back.reveal(), CANARY);
});

test('the stored blob differs from the plaintext and holds no canary, raw, base64 or hex', async () => {
  const { cipher, wrapped } = setup();
  const blob = await cipher.encryptValue(where, canary);
  assertNoCanary(blob);
  for (const w of wrapped.values()) assertNoCanary(w);
});

test('two encryptions of one value differ', async () => {
  const { cipher } = setup();
  const a = await cipher.encryptValue(where, canary);
  const b = await cipher.encryptValue(where, canary);
  assert.notDeepEqual(a, b);
});

test('a value blob moved to another secret, version, field or tenant fails to open', async () => {
  const { cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);
  for (const moved of [
    { ...where, secretId: 'sec_2' },
    { ...where, version: 2 },
    { ...where, field: 'password' },
    { ...where, tenantId: 'ten_b' },
  ]) {
    const e = await rejectsCode(cipher.decryptValue(moved, blob), 'crypto_failed');
    assert.ok(!e.message.includes(CANARY));
  }
});

test('a value blob moved to another tenant fails even if both tenants shared one data key', async () => {
  const dek = newDataKey();
  const cipher = new ValueCipher({ keyring: new Keyring([generateRootKey()]), dekFor: async () => dek });
  const blob = await cipher.encryptValue(where, canary);
  await rejectsCode(cipher.decryptValue({ ...where, tenantId: 'ten_b' }, blob), 'crypto_failed');
});

test('flipping any byte of a value blob makes it fail to open', async () => {
  const { cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);
  for (let i = 0; i < blob.length; i++) await rejectsCode(cipher.decryptValue(where, flipByte(blob, i)), 'crypto_failed');
});

test('a truncated value blob fails to open', async () => {
  const { cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);
  for (let len = 0; len < blob.length; len++) await rejectsCode(cipher.decryptValue(where, blob.subarray(0, len)), 'crypto_failed');
});

test('a value sealed under a different data key fails with a message naming both data key ids', async () => {
  const a = new ValueCipher({ keyring: new Keyring([generateRootKey()]), dekFor: async () => newDataKey() });
  const blob = await a.encryptValue(where, canary);
  const e = await rejectsCode(a.decryptValue(where, blob), 'crypto_failed');
  assert.match(e.message, /data key "dek-[0-9a-f]{8}".*"dek-[0-9a-f]{8}"/);
});

test('a value written before a root-key rotation still opens after withNewActive and after re-wrapping data keys', async () => {
  const { keyring, wrapped, cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);

  const rotatedKeyring = keyring.withNewActive(generateRootKey());
  const dekFor = async (t: string) => wrapped.get(t) as Buffer;
  const rotated = new ValueCipher({ keyring: rotatedKeyring, dekFor });
  assert.equal((await rotated.decryptValue(where, blob)).reveal(), CANARY);

  for (const [t, w] of wrapped) wrapped.set(t, rotated.rewrapTenantKey(t, w));
  assert.equal((await rotated.decryptValue(where, blob)).reveal(), CANARY);

  // With every data key re-wrapped, the old root key is no longer needed.
  const onlyNew = new ValueCipher({ keyring: new Keyring([rotatedKeyring.active()]), dekFor });
  assert.equal((await onlyNew.decryptValue(where, blob)).reveal(), CANARY);
});

test('a tenant whose data key is wrapped by a missing root key fails with unknown_root_key naming it', async () => {
  const { keyring, wrapped, cipher } = setup();
  const blob = await cipher.encryptValue(where, canary);
  const lost = new ValueCipher({ keyring: new Keyring([generateRootKey()]), dekFor: async (t) => wrapped.get(t) as Buffer });
  const e = await rejectsCode(lost.decryptValue(where, blob), 'unknown_root_key');
  assert.ok(e.message.includes(`"${keyring.activeId}"`), e.message);
});

test('dekFor may also hand over the plaintext 32-byte data key', async () => {
  const dek = newDataKey();
  const cipher = new ValueCipher({ keyring: new Keyring([generateRootKey()]), dekFor: async () => dek });
  const blob = await cipher.encryptValue(where, canary);
  assert.equal((await cipher.decryptValue(where, blob)).reveal(), CANARY);
  assert.equal(dek.equals(Buffer.alloc(32)), false, 'the caller-owned key must not be zeroed');
});

test('multi-byte UTF-8 values survive a round trip', async () => {
  const { cipher } = setup();
  const v = new SecretValue('pässwörd-🔑-秘密');
  const blob = await cipher.encryptValue(where, v);
  assert.equal((await cipher.decryptValue(where, blob)).reveal(), v.reveal());
});
