import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cleanEnv, runCli, startServe } from './helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'standin-cli-data-'));
  dirs.push(d);
  return d;
};

describe('standin init and standin serve', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('init --json on a fresh data dir prints the key once and writes a 0600 config file; a second init exits 5', async () => {
    const dataDir = tempDir();
    const env = cleanEnv({ STANDIN_DATA_DIR: dataDir });
    const r = await runCli(['init', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['apiKey', 'tenantId']);
    assert.match(out.apiKey, /^stn_live_/);
    assert.match(out.tenantId, /^ten_/);
    assert.ok(!r.stderr.includes(out.apiKey), 'the key is printed once, on stdout');
    assert.match(r.stderr, /generated root key/);

    const cfgPath = env.STANDIN_CONFIG!;
    assert.equal(statSync(cfgPath).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(cfgPath, 'utf8')), { url: 'http://127.0.0.1:4780', apiKey: out.apiKey });
    assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);

    const again = await runCli(['init', '--json'], { env });
    assert.equal(again.code, 5);
    assert.equal(again.stdout, '');
    assert.equal(JSON.parse(again.stderr).error.code, 'already_initialized');
    const human = await runCli(['init'], { env });
    assert.equal(human.code, 5);
    assert.match(human.stderr, /already initialised/);
    assert.equal(JSON.parse(readFileSync(cfgPath, 'utf8')).apiKey, out.apiKey, 'the config file is left alone');
  });

  it('init writes the config file in a new 0700 directory under XDG_CONFIG_HOME', async () => {
    const base = tempDir();
    const env = cleanEnv({ STANDIN_DATA_DIR: join(base, 'data'), XDG_CONFIG_HOME: join(base, 'xdg'), STANDIN_PORT: '4999' });
    delete env.STANDIN_CONFIG;
    const r = await runCli(['init'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /shown only this once/);
    const key = /stn_live_\w+/.exec(r.stdout)![0];
    const cfg = join(base, 'xdg', 'standin', 'config.json');
    assert.equal(statSync(dirname(cfg)).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(readFileSync(cfg, 'utf8')), { url: 'http://127.0.0.1:4999', apiKey: key });
  });

  it('serve bootstraps an empty store, prints the first key once to stderr, answers /healthz and exits 0 on SIGTERM', async () => {
    const dataDir = tempDir();
    const env = cleanEnv({ STANDIN_DATA_DIR: dataDir });
    const s = await startServe([], env);
    const m = /stn_live_[A-Za-z0-9]+/.exec(s.stderr());
    assert.ok(m, `no key in stderr:\n${s.stderr()}`);
    const key = m[0];
    assert.equal(s.stderr().split(key).length, 2, 'printed exactly once');
    assert.match(s.stderr(), /Store it now/);
    assert.ok(!s.stdout().includes(key), 'the key is not in the log stream');

    const health = await fetch(`${s.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { ok: true });

    // The config file written by serve is enough for the CLI.
    assert.deepEqual(JSON.parse(readFileSync(env.STANDIN_CONFIG!, 'utf8')), { url: s.url, apiKey: key });
    const ls = await runCli(['secrets', 'ls', '--json'], { env });
    assert.equal(ls.code, 0, ls.stderr);

    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
    assert.match(s.stderr(), /SIGTERM received, shutting down/);

    // A second start on the same store prints no key.
    const again = await startServe([], env);
    assert.ok(!/stn_live_/.test(again.stderr()));
    again.child.kill('SIGINT');
    assert.equal(await again.exited, 0);
  });

  it('serve exits 2 with a message naming a bad setting', async () => {
    const env = cleanEnv({ STANDIN_DATA_DIR: tempDir() });
    const port = await runCli(['serve', '--port', '70000'], { env });
    assert.equal(port.code, 2);
    assert.match(port.stderr, /invalid setting --port \/ STANDIN_PORT: 70000 is outside/);
    const level = await runCli(['serve'], { env: { ...env, STANDIN_LOG_LEVEL: 'loud' } });
    assert.equal(level.code, 2);
    assert.match(level.stderr, /--log-level \/ STANDIN_LOG_LEVEL/);
    const db = await runCli(['serve', '--database-url', 'mysql://x'], { env });
    assert.equal(db.code, 2);
    assert.match(db.stderr, /--database-url/);
  });
});
