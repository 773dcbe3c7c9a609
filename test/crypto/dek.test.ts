import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blobKeyId, open } from '../../src/crypto/envelope.js';
import { newDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from '../../src/crypto/dek.js';
import { Keyring, generateRootKey } from '../../src/crypto/keyring.js';
import { flipByte, throwsCode } from './helpers.js';

const oldRoot = generateRootKey();
const keyring = new Keyring([oldRoot]);

test('a data key is 32 random bytes and two of them differ', () => {
  const a = newDataKey();
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, newDataKey());
});

test('a wrapped data key unwraps to the same key and records the active root key id', () => {
  const dek = newDataKey();
  const blob = wrapDataKey(keyring, 'ten_a', dek);
  assert.equal(blobKeyId(blob), oldRoot.id);
  assert.deepEqual(unwrapDataKey(keyring, 'ten_a', blob), dek);
  assert.equal(blob.includes(dek), false);
});

test('the wrapping key is derived, not the root key itself', () => {
  const blob = wrapDataKey(keyring, 'ten_a', newDataKey());
  throwsCode(() => open(() => oldRoot.bytes(), blob, 'standin/v1|tenant|ten_a|dek'), 'crypto_failed');
});

test("a data key wrapped for one tenant does not unwrap as another tenant's", () => {
  const blob = wrapDataKey(keyring, 'ten_a', newDataKey());
  throwsCode(() => unwrapDataKey(keyring, 'ten_b', blob), 'crypto_failed');
});

test('flipping any byte of a wrapped data key makes it fail to unwrap', () => {
  const blob = wrapDataKey(keyring, 'ten_a', newDataKey());
  // A flip inside the key id may turn it into an id the keyring lacks: that refusal is fine too.
  for (let i = 0; i < blob.length; i++) throwsCode(() => unwrapDataKey(keyring, 'ten_a', flipByte(blob, i)), 'crypto_failed', 'unknown_root_key');
});

test('a truncated wrapped data key fails to unwrap', () => {
  const blob = wrapDataKey(keyring, 'ten_a', newDataKey());
  for (let len = 0; len < blob.length; len++) throwsCode(() => unwrapDataKey(keyring, 'ten_a', blob.subarray(0, len)), 'crypto_failed');
});

test('a data key wrapped before a root rotation unwraps after withNewActive, and re-wrapping moves it to the new key', () => {
  const dek = newDataKey();
  const before = wrapDataKey(keyring, 'ten_a', dek);
  const newRoot = generateRootKey();
  const rotated = keyring.withNewActive(newRoot);
  assert.deepEqual(unwrapDataKey(rotated, 'ten_a', before), dek);

  const after = rewrapDataKey(rotated, 'ten_a', before);
  assert.equal(blobKeyId(after), newRoot.id);
  assert.deepEqual(unwrapDataKey(rotated, 'ten_a', after), dek);
  // Once re-wrapped, the old root key can be dropped.
  assert.deepEqual(unwrapDataKey(new Keyring([newRoot]), 'ten_a', after), dek);
});

test('a data key wrapped by a root key that is not loaded fails with unknown_root_key naming the expected id', () => {
  const blob = wrapDataKey(keyring, 'ten_a', newDataKey());
  const other = new Keyring([generateRootKey()]);
  const e = throwsCode(() => unwrapDataKey(other, 'ten_a', blob), 'unknown_root_key');
  assert.ok(e.message.includes(`"${oldRoot.id}"`), e.message);
});

test('wrapping refuses a data key that is not 32 bytes', () => {
  throwsCode(() => wrapDataKey(keyring, 'ten_a', Buffer.alloc(16)), 'crypto_failed');
});
