import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, RootKey, formatRootKey, generateRootKey, loadKeyring, parseMasterKeys, rootKeyId } from '../../src/crypto/keyring.js';
import { rejectsCode, throwsCode } from './helpers.js';

const b64 = (b: Buffer) => b.toString('base64');

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'standin-keyring-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a bare base64 key gets the first 8 hex of its SHA-256 as id', () => {
  const bytes = randomBytes(32);
  const [k] = parseMasterKeys(b64(bytes));
  assert.equal(k?.id, rootKeyId(bytes));
  assert.match(k?.id ?? '', /^[0-9a-f]{8}$/);
  assert.deepEqual(k?.bytes(), bytes);
});

test('keys separated by commas and newlines parse in order, with explicit ids, and the first is active', () => {
  const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const keys = parseMasterKeys(`new:${b64(a)}, old:${b64(b)}\n${c.toString('hex')}\n`);
  assert.deepEqual(keys.map((k) => k.id), ['new', 'old', rootKeyId(c)]);
  const ring = new Keyring(keys);
  assert.equal(ring.activeId, 'new');
  assert.deepEqual(ring.ids(), ['new', 'old', rootKeyId(c)]);
  assert.deepEqual(ring.get('old').bytes(), b);
});

test('a generated key formats as id:base64 and parses back to the same key', () => {
  const k = generateRootKey();
  const [back] = parseMasterKeys(formatRootKey(k));
  assert.equal(back?.id, k.id);
  assert.ok(back?.sameMaterial(k));
});

test('a malformed STANDIN_MASTER_KEY is refused with config_invalid naming the setting and never echoing the input', () => {
  const secretish = 'CANARY-masterkey-77aa' + 'x'.repeat(20);
  const cases = [
    secretish,
    b64(randomBytes(16)),
    b64(randomBytes(33)),
    `k1:${b64(randomBytes(31))}`,
    `bad id!:${b64(randomBytes(32))}`,
    `k1:${b64(randomBytes(32))},k1:${b64(randomBytes(32))}`,
    '   ,\n ',
    `${b64(randomBytes(32)).slice(0, -2)}*=`,
  ];
  for (const input of cases) {
    const e = throwsCode(() => parseMasterKeys(input), 'config_invalid');
    assert.match(e.message, /STANDIN_MASTER_KEY/);
    for (const piece of input.split(/[:,\n]/).filter((p) => p.trim().length > 8)) {
      assert.ok(!e.message.includes(piece.trim()), `message echoes input: ${e.message}`);
    }
    assert.ok(!JSON.stringify(e).includes(secretish));
  }
});

test('asking the keyring for an unknown id fails with unknown_root_key naming the expected id', () => {
  const ring = new Keyring([generateRootKey()]);
  const e = throwsCode(() => ring.get('deadbeef'), 'unknown_root_key');
  assert.match(e.message, /root key "deadbeef" is not in the keyring/);
  assert.ok(e.message.includes(ring.activeId));
});

test('withNewActive puts the new key first and keeps the old ones for reading', () => {
  const old = generateRootKey();
  const next = generateRootKey();
  const ring = new Keyring([old]).withNewActive(next);
  assert.equal(ring.activeId, next.id);
  assert.deepEqual(ring.ids(), [next.id, old.id]);
  assert.equal(ring.get(old.id), old);
  // Re-activating a known key moves it to the front without duplicating it.
  assert.deepEqual(ring.withNewActive(old).ids(), [old.id, next.id]);
});

test('withNewActive refuses a different key under an id already in the keyring', () => {
  const ring = new Keyring([new RootKey('k1', randomBytes(32))]);
  throwsCode(() => ring.withNewActive(new RootKey('k1', randomBytes(32))), 'config_invalid');
});

test('an empty keyring or one with duplicate ids is refused', () => {
  throwsCode(() => new Keyring([]), 'config_invalid');
  const k = generateRootKey();
  throwsCode(() => new Keyring([k, k]), 'config_invalid');
});

test('STANDIN_MASTER_KEY wins over a key file and the data dir', async (t) => {
  const dir = await tempDir(t);
  const k = generateRootKey();
  const r = await loadKeyring({ env: { STANDIN_MASTER_KEY: formatRootKey(k), STANDIN_MASTER_KEY_FILE: join(dir, 'nope') }, dataDir: dir });
  assert.equal(r.keyring.activeId, k.id);
  assert.equal(r.generated, false);
  assert.equal(r.source, 'STANDIN_MASTER_KEY');
});

test('STANDIN_MASTER_KEY_FILE is read when the variable is unset', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = [generateRootKey(), generateRootKey()];
  const file = join(dir, 'keys.txt');
  await writeFile(file, `# standin root keys, newest first\n${formatRootKey(a)}\n${formatRootKey(b)}\n`, { mode: 0o600 });
  const r = await loadKeyring({ env: { STANDIN_MASTER_KEY_FILE: file }, dataDir: join(dir, 'data') });
  assert.deepEqual(r.keyring.ids(), [a.id, b.id]);
  assert.equal(r.source, file);
});

test('a STANDIN_MASTER_KEY_FILE that does not exist stops start-up with config_invalid', async (t) => {
  const dir = await tempDir(t);
  const e = await rejectsCode(loadKeyring({ env: { STANDIN_MASTER_KEY_FILE: join(dir, 'missing.key') }, dataDir: dir }), 'config_invalid');
  assert.match(e.message, /STANDIN_MASTER_KEY_FILE/);
});

test('a bad STANDIN_MASTER_KEY stops start-up with config_invalid and does not echo it', async (t) => {
  const dir = await tempDir(t);
  const bad = 'CANARY-crypto-badkey-0c1d2e3f';
  const e = await rejectsCode(loadKeyring({ env: { STANDIN_MASTER_KEY: bad }, dataDir: dir }), 'config_invalid');
  assert.match(e.message, /STANDIN_MASTER_KEY/);
  assert.ok(!e.message.includes(bad));
});

test('a first run without a key generates master.key with mode 0600 in a 0700 dir and logs a back-up warning', async (t) => {
  const root = await tempDir(t);
  const dataDir = join(root, 'data');
  const logs: string[] = [];
  const r = await loadKeyring({ env: {}, dataDir, log: (m) => logs.push(m) });
  assert.equal(r.generated, true);
  const path = join(dataDir, 'master.key');
  assert.equal(r.source, path);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  assert.equal(logs.length, 1);
  assert.match(logs[0] ?? '', /back up/i);
  assert.ok(logs[0]?.includes(path));
  const [k] = parseMasterKeys(await readFile(path, 'utf8'));
  assert.equal(k?.id, r.keyring.activeId);
  assert.ok(!logs[0]?.includes(formatRootKey(r.keyring.active()).split(':')[1] as string), 'the warning must not print the key');

  // The next start reads the same key and does not warn again.
  const logs2: string[] = [];
  const again = await loadKeyring({ env: {}, dataDir, log: (m) => logs2.push(m) });
  assert.equal(again.generated, false);
  assert.equal(again.keyring.activeId, r.keyring.activeId);
  assert.deepEqual(logs2, []);
});

test('a key file readable by others is loaded with a warning to chmod it', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'master.key');
  await writeFile(path, formatRootKey(generateRootKey()));
  await chmod(path, 0o644);
  const logs: string[] = [];
  await loadKeyring({ env: {}, dataDir: dir, log: (m) => logs.push(m) });
  assert.match(logs.join('\n'), /chmod 600/);
});
