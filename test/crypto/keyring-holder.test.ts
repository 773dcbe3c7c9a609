import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandinError } from '../../src/core/errors.js';
import { SecretValue } from '../../src/core/secret-value.js';
import { Keyring, RootKey, formatRootKey, generateRootKey } from '../../src/crypto/keyring.js';
import { KEYRING_RELOAD_INTERVAL_MS, KeyringHolder, loadKeyringHolder } from '../../src/crypto/keyring-holder.js';
import { newDataKey, unwrapDataKey, wrapDataKey } from '../../src/crypto/dek.js';
import { ValueCipher } from '../../src/crypto/vault-cipher.js';
import { rejectsCode } from './helpers.js';

const oldKey = generateRootKey();
const newKey = generateRootKey();
const before = new Keyring([oldKey]);
const after = before.withNewActive(newKey);
const wrappedByNew = wrapDataKey(after, 'ten_a', newDataKey());
const unwrap = (k: Keyring) => unwrapDataKey(k, 'ten_a', wrappedByNew);

/** A holder whose source is `source.ring`, counting reads, on a clock the test moves. */
function holder(initial: Keyring, source: { ring: Keyring | Error }) {
  const clock = { ms: 1_000_000 };
  let reads = 0;
  const logs: string[] = [];
  const h = new KeyringHolder(initial, {
    reload: async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      if (source.ring instanceof Error) throw source.ring;
      return source.ring;
    },
    now: () => clock.ms,
    log: (m) => logs.push(m),
  });
  return { h, clock, reads: () => reads, logs };
}

test('a data key wrapped by a root key not loaded yet: the source is re-read once and the operation retried', async () => {
  const { h, reads, logs } = holder(before, { ring: after });
  const dek = await h.withReload(unwrap);
  assert.equal(dek.length, 32);
  assert.equal(reads(), 1);
  assert.deepEqual(h.current().ids(), [newKey.id, oldKey.id]);
  assert.equal(h.current().activeId, newKey.id, 'new wraps use the new active key from now on');
  assert.match(logs.join('\n'), new RegExp(`root keys reloaded: active key ${newKey.id} \\(was ${oldKey.id}\\)`));
  await h.withReload(unwrap);
  assert.equal(reads(), 1, 'no re-read once the key is loaded');
});

test('re-reads are rate-limited: a key still missing fails with the original error, naming the key, until the interval has passed', async () => {
  const source: { ring: Keyring | Error } = { ring: before };
  const { h, clock, reads } = holder(before, source);
  const e = await rejectsCode(h.withReload(unwrap), 'unknown_root_key');
  assert.match(e.message, new RegExp(`root key "${newKey.id}" is not in the keyring`));
  assert.equal(reads(), 1);
  source.ring = after; // the key file gets the key now
  clock.ms += KEYRING_RELOAD_INTERVAL_MS - 1;
  await rejectsCode(h.withReload(unwrap), 'unknown_root_key');
  assert.equal(reads(), 1, 'not read again within the interval');
  clock.ms += 1;
  assert.equal((await h.withReload(unwrap)).length, 32);
  assert.equal(reads(), 2);
});

test('concurrent operations that miss the same key share one re-read', async () => {
  const { h, reads } = holder(before, { ring: after });
  const results = await Promise.all(Array.from({ length: 10 }, () => h.withReload(unwrap)));
  assert.equal(results.length, 10);
  assert.equal(reads(), 1);
});

test('a source that cannot be read keeps the current keyring, and the original error stands', async () => {
  const { h, logs } = holder(before, { ring: new StandinError('config_invalid', 'cannot read /x/master.key: EACCES') });
  await rejectsCode(h.withReload(unwrap), 'unknown_root_key');
  assert.deepEqual(h.current().ids(), [oldKey.id]);
  assert.match(logs.join('\n'), /re-reading the key source failed: cannot read \/x\/master\.key: EACCES/);
});

test('keys the source no longer lists are kept; a different key under a loaded id is refused', async () => {
  const onlyNew = new Keyring([newKey]);
  const kept = holder(before, { ring: onlyNew });
  await kept.h.withReload(unwrap);
  assert.deepEqual(kept.h.current().ids(), [newKey.id, oldKey.id], 'the old key still opens data wrapped by it');

  const impostor = generateRootKey();
  const swapped = new Keyring([newKey, new RootKey(oldKey.id, impostor.bytes())]);
  const refused = holder(before, { ring: swapped });
  await rejectsCode(refused.h.withReload(unwrap), 'unknown_root_key');
  assert.deepEqual(refused.h.current().ids(), [oldKey.id]);
  assert.match(refused.logs.join('\n'), /now names a different key/);
});

test('other failures are neither retried nor a reason to re-read', async () => {
  const { h, reads } = holder(before, { ring: after });
  let calls = 0;
  await rejectsCode(h.withReload(() => {
    calls++;
    throw new StandinError('crypto_failed', 'decryption failed');
  }), 'crypto_failed');
  assert.equal(calls, 1);
  assert.equal(reads(), 0);
  assert.equal(await new KeyringHolder(before).reload(), false, 'a holder without a source never reloads');
});

test('ValueCipher with a holder decrypts values whose data key was re-wrapped under a key added since', async () => {
  let stored = wrapDataKey(before, 'ten_v', newDataKey());
  const { h } = holder(before, { ring: after });
  const cipher = new ValueCipher({ keyring: h, dekFor: async () => stored });
  const where = { tenantId: 'ten_v', secretId: 'sec_1', version: 1, field: 'value' };
  const blob = await cipher.encryptValue(where, new SecretValue('rotate-me-0001'));
  stored = new ValueCipher({ keyring: after, dekFor: async () => stored }).rewrapTenantKey('ten_v', stored); // what `keyring rotate` does
  assert.equal((await cipher.decryptValue(where, blob)).reveal(), 'rotate-me-0001');
  assert.equal(h.current().activeId, newKey.id);
});

test('loadKeyringHolder re-reads a key file but never creates one, and keys from STANDIN_MASTER_KEY are not re-read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'standin-keyring-holder-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'master.key');
  await writeFile(file, `${formatRootKey(oldKey)}\n`, { mode: 0o600 });
  const fromFile = await loadKeyringHolder({ env: {}, dataDir: dir });
  await writeFile(file, `${formatRootKey(newKey)}\n${formatRootKey(oldKey)}\n`, { mode: 0o600 });
  assert.equal(await fromFile.reload(), true);
  assert.deepEqual(fromFile.current().ids(), [newKey.id, oldKey.id]);

  const missing = await loadKeyringHolder({ env: {}, dataDir: dir });
  await rm(file);
  await assert.rejects(missing.reload(), /master\.key does not exist/);
  assert.deepEqual(await readdir(dir), [], 'no key file was generated by the reload');
  assert.deepEqual(missing.current().ids(), [newKey.id, oldKey.id]);

  const inline = await loadKeyringHolder({ env: { STANDIN_MASTER_KEY: formatRootKey(oldKey) }, dataDir: dir });
  assert.equal(await inline.reload(), false);
});
