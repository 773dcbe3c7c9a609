import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/main.js';
import { formatRootKey, generateRootKey, parseMasterKeys } from '../../src/crypto/keyring.js';
import { Standin } from '../../sdk/index.js';
import { startTestServer } from '../helpers/server.js';
import { pgAvailable } from '../helpers/pg.js';
import { cleanEnv, runCli, startServe, transcript } from './helpers.js';

const CANARY_V1 = 'CANARY-cli-keyring-before-0001';
const CANARY_V2 = 'CANARY-cli-keyring-after-0002';

/** Starts the server in-process on the data dir, with exactly the key settings given. */
function serveInProcess(dataDir: string, keyEnv: Record<string, string> = {}): Promise<Running> {
  return start(loadConfig({ host: '127.0.0.1', port: '0', proxyPort: '0', dataDir, logLevel: 'silent' }, keyEnv), { proxy: false });
}

/** The key file's entries (not comments) joined the way STANDIN_MASTER_KEY takes them. */
const keyLines = (text: string) => text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));

describe('standin keyring rotate and standin ca export', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'standin-cli-keyring-'));
  const keyFile = join(dataDir, 'master.key');
  const env = cleanEnv({ STANDIN_DATA_DIR: dataDir });
  let apiKey = '';
  let tenantId = '';
  let firstId = '';
  let rotatedId = '';

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('rotates the root key in the key file and re-wraps data keys and the CA key', async () => {
    const init = await runCli(['init', '--json'], { env });
    assert.equal(init.code, 0, init.stderr);
    ({ apiKey, tenantId } = JSON.parse(init.stdout));
    firstId = parseMasterKeys(readFileSync(keyFile, 'utf8'))[0]!.id;

    let running = await serveInProcess(dataDir);
    const sdk = () => new Standin({ apiKey, baseUrl: running.apiUrl });
    const created = await sdk().secrets.create({ name: 'stripe', value: CANARY_V1, provider: 'stripe' });
    const caBefore = running.core.ca.certPem;
    await running.stop();

    const r = await runCli(['keyring', 'rotate', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.previousKeyId, firstId);
    assert.notEqual(rep.keyId, firstId);
    assert.equal(rep.tenants, 1);
    assert.equal(rep.caRewrapped, true);
    assert.equal(rep.keyFile, keyFile);
    assert.equal(rep.newKey, undefined, 'a key kept in a file is not printed');
    rotatedId = rep.keyId;
    const fileText = readFileSync(keyFile, 'utf8');
    assert.deepEqual(parseMasterKeys(fileText).map((k) => k.id), [rotatedId, firstId], 'new key first, the old one kept');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);

    // Only the new key: every data key and the CA key must open with it alone.
    const onlyNew = keyLines(fileText)[0]!;
    running = await serveInProcess(dataDir, { STANDIN_MASTER_KEY: onlyNew });
    try {
      assert.equal(running.core.ca.certPem, caBefore, 'same CA after the rotation');
      const old = await running.core.services.secrets.reveal(tenantId, created.id, 1);
      assert.ok(old.value.reveal() === CANARY_V1, 'data written before the rotation still reads');
      const rotated = await sdk().secrets.rotate('stripe', CANARY_V2);
      assert.equal(rotated.version, 2);
      const fresh = await running.core.services.secrets.reveal(tenantId, created.id, 2);
      assert.ok(fresh.value.reveal() === CANARY_V2);
      assert.equal((await sdk().audit.verify()).ok, true);
      const rows = await sdk().audit.list({ action: 'keyring.rotate' });
      assert.equal(rows.data.length, 1);
      assert.deepEqual(rows.data[0]!.details, { keyId: rotatedId, previousKeyId: firstId });
    } finally {
      await running.stop();
    }

    const human = await runCli(['audit', 'verify'], { env: { ...env, STANDIN_URL: 'http://127.0.0.1:9' } });
    assert.equal(human.code, 2, 'the config file key is not sent to another server');
  });

  it('refuses to start with an unknown root key, naming the expected key id', async () => {
    const stranger = formatRootKey(generateRootKey());
    const s = await startServe([], { ...env, STANDIN_MASTER_KEY: stranger });
    assert.equal(await s.exited, 2);
    assert.match(s.stderr(), new RegExp(`root key "${rotatedId}" is not in the keyring`));
  });

  it('with STANDIN_MASTER_KEY, needs --yes and prints the new key for the operator', async () => {
    const envKeys = keyLines(readFileSync(keyFile, 'utf8')).join(',');
    const keyEnv = { ...env, STANDIN_MASTER_KEY: envKeys };
    const refused = await runCli(['keyring', 'rotate'], { env: keyEnv });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);

    const before = readFileSync(keyFile, 'utf8');
    const r = await runCli(['keyring', 'rotate', '--yes'], { env: keyEnv });
    assert.equal(r.code, 0, r.stderr);
    const newLine = r.stdout.trim();
    const [newKey] = parseMasterKeys(newLine);
    assert.ok(newKey);
    assert.match(r.stderr, /Put it FIRST in STANDIN_MASTER_KEY/);
    assert.match(r.stderr, new RegExp(`new active key ${newKey.id} \\(previous: ${rotatedId}\\)`));
    assert.equal(readFileSync(keyFile, 'utf8'), before, 'the key file is not touched');

    const pem = await runCli(['ca', 'export'], { env: { ...env, STANDIN_MASTER_KEY: `${newLine},${envKeys}` } });
    assert.equal(pem.code, 0, pem.stderr);
    assert.match(pem.stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const stale = await runCli(['ca', 'export'], { env });
    assert.equal(stale.code, 2, 'the key file lacks the key the data now needs');
    assert.match(stale.stderr, new RegExp(`root key "${newKey.id}"`));
  });

  it('ca export and keyring rotate refuse a data dir without a store', async () => {
    const empty = cleanEnv({ STANDIN_DATA_DIR: join(dataDir, 'nothing-here') });
    const ca = await runCli(['ca', 'export'], { env: empty });
    assert.equal(ca.code, 2);
    assert.match(ca.stderr, /no standin database/);
    const rot = await runCli(['keyring', 'rotate'], { env: empty });
    assert.equal(rot.code, 2);
  });

  it('no canary value appears in CLI output', () => {
    const all = transcript.join('\n');
    assert.ok(!all.includes(CANARY_V1) && !all.includes(CANARY_V2));
  });
});

const pgOk = await pgAvailable();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`a running server after "standin keyring rotate" on ${dialect}`, { skip: dialect === 'postgres' && !pgOk ? 'PostgreSQL is not reachable' : false }, () => {
    it('loads the new root key from the key file by itself: no restart, old and new data both work', async () => {
      const s = await startTestServer({ dialect, proxy: false });
      try {
        const before = await s.api('POST', '/v1/secrets', { name: 'made-before', value: 'value-made-before-rotation-01', hosts: ['api.example.com'] });
        assert.equal(before.status, 201);
        const firstId = s.running.core.keyring.activeId;

        const r = await runCli(['keyring', 'rotate', '--json'], { env: cleanEnv({ STANDIN_DATA_DIR: s.dataDir, STANDIN_DATABASE_URL: s.databaseUrl }) });
        assert.equal(r.code, 0, r.stderr);
        const rep = JSON.parse(r.stdout);
        assert.equal(rep.previousKeyId, firstId);
        assert.equal(s.running.core.keyring.activeId, firstId, 'the server has not seen the new key yet');

        // Without a restart: every data key is now wrapped by a key this process never loaded.
        const created = await s.api('POST', '/v1/secrets', { name: 'made-after', value: 'value-made-after-rotation-02', hosts: ['api.example.com'] });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(s.running.core.keyring.activeId, rep.keyId, 'the server reloaded the key file');
        assert.deepEqual(s.running.core.keyring.ids(), [rep.keyId, firstId]);
        const rotated = await s.api('POST', '/v1/secrets/made-before/rotate', { value: 'value-rotated-after-rotation-03' });
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        assert.equal(rotated.body.version, 2);

        const reveal = async (id: string, v: number) => (await s.running.core.services.secrets.reveal(s.tenantId, id, v)).value.reveal();
        assert.ok((await reveal(before.body.id, 1)) === 'value-made-before-rotation-01', 'a value written before the rotation still decrypts');
        assert.ok((await reveal(before.body.id, 2)) === 'value-rotated-after-rotation-03');
        assert.ok((await reveal(created.body.id, 1)) === 'value-made-after-rotation-02');
        const sbx = await s.api('POST', '/v1/sandboxes', { name: 'after-rotation', inject: ['MADE=made-before'] });
        assert.equal(sbx.status, 201, JSON.stringify(sbx.body));
        assert.ok(sbx.body.env.MADE === 'value-rotated-after-rotation-03', 'an env-mode inject decrypts through the API');
        assert.match(s.logs(), new RegExp(`root keys reloaded: active key ${rep.keyId} \\(was ${firstId}\\)`));
        assert.equal((await s.api('GET', '/v1/audit/verify')).body.ok, true);
      } finally {
        await s.stop();
      }
    });
  });
}
