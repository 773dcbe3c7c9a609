import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanEnv, freePort, runCli } from './helpers.js';

describe('standin keys, audit, exit codes and the config file (CLI against a real server)', () => {
  let srv: TestServer;
  let env: Record<string, string>;
  const cli = (args: string[], input?: string, extraEnv: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extraEnv }, input });

  before(async () => {
    srv = await startTestServer({ proxy: false });
    env = cleanEnv({ STANDIN_URL: srv.apiUrl, STANDIN_API_KEY: srv.adminKey });
  });
  after(async () => {
    await srv?.stop();
  });

  it('help lists the exit codes; usage errors exit 2', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n\s+0\s+success/);
    assert.match(help.stdout, /STANDIN_API_KEY/);
    assert.equal((await cli(['no-such-command'])).code, 2);
    assert.equal((await cli(['secrets'])).code, 2, 'a group without a subcommand is a usage error');
    assert.equal((await cli(['secrets', 'ls', '--scope', 'galaxy'])).code, 2);
  });

  it('creates a key and prints it once, alone on stdout', async () => {
    const r = await cli(['keys', 'create', '--name', 'reader', '--scope', 'secrets:read', '--expires', '30d']);
    assert.equal(r.code, 0, r.stderr);
    const key = r.stdout.trim();
    assert.match(key, /^stn_live_[A-Za-z0-9]+$/);
    assert.match(r.stderr, /shown only this once/);
    assert.ok(!r.stderr.includes(key));

    const ls = await cli(['keys', 'ls', '--json']);
    const reader = JSON.parse(ls.stdout).find((k: { name: string }) => k.name === 'reader');
    assert.deepEqual(reader.scopes, ['secrets:read']);
    assert.ok(Date.parse(reader.expiresAt) > Date.now() + 29 * 86_400_000);
    assert.ok(!ls.stdout.includes(key), 'the list shows prefixes only');
    const human = await cli(['keys', 'ls']);
    assert.match(human.stdout, /^ID\s+NAME\s+PREFIX\s+STATUS/);
    assert.match(human.stdout, new RegExp(`^${reader.id}\\s+reader\\s+\\S+…\\s+active\\s+secrets:read`, 'm'));

    // The new key reads but may not write (403 → exit 3); after revocation it gets 401 (exit 3).
    assert.equal((await cli(['secrets', 'ls'], undefined, { STANDIN_API_KEY: key })).code, 0);
    const denied = await cli(['secrets', 'add', 'x'], 'CANARY-cli-keys-0001', { STANDIN_API_KEY: key });
    assert.equal(denied.code, 3);
    assert.match(denied.stderr, /missing_scope, HTTP 403/);
    const rev = await cli(['keys', 'revoke', reader.id]);
    assert.equal(rev.code, 0, rev.stderr);
    const revoked = await cli(['secrets', 'ls'], undefined, { STANDIN_API_KEY: key });
    assert.equal(revoked.code, 3);
    assert.match(revoked.stderr, /HTTP 401/);
    assert.equal(JSON.parse((await cli(['keys', 'ls', '--json'])).stdout).some((k: { id: string }) => k.id === reader.id), false, 'revoked keys are hidden');
    const all = await cli(['keys', 'ls', '--include-revoked']);
    assert.match(all.stdout, new RegExp(`^${reader.id}\\s+reader\\s+\\S+…\\s+revoked\\s`, 'm'), 'and listed with --include-revoked');
    assert.equal((await cli(['keys', 'revoke', 'key_doesnotexist'])).code, 4);
  });

  it('refuses expiry dates that are bad or in the past', async () => {
    assert.equal((await cli(['keys', 'create', '--name', 'old', '--expires', '2001-01-01T00:00:00Z'])).code, 2);
    assert.equal((await cli(['keys', 'create', '--name', 'old', '--expires', 'soon'])).code, 2);
    assert.equal((await cli(['keys', 'create', '--name', 'old', '--scope', 'root'])).code, 2);
  });

  it('lists audit events with filters and verifies the chain (exit 1 once a row is changed)', async () => {
    const ls = await cli(['audit', 'ls', '--json', '--action', 'keys.*']);
    assert.equal(ls.code, 0, ls.stderr);
    const actions = JSON.parse(ls.stdout).map((e: { action: string }) => e.action);
    assert.deepEqual(actions, ['keys.revoke', 'keys.create'], 'newest first');
    const human = await cli(['audit', 'ls', '--since', '1h', '--limit', '2']);
    assert.match(human.stdout, /^SEQ\s+TIME\s+ACTION\s+OUTCOME/);
    assert.equal(human.stdout.trim().split('\n').length, 3, 'header plus two rows');

    const ok = await cli(['audit', 'verify']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit chain intact: \d+ rows verified/);

    await srv.running.core.store.db.updateTable('audit_events').set({ target: 'tampered' }).where('seq', '=', 1).execute();
    const broken = await cli(['audit', 'verify', '--json']);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.brokenAt.seq, 1);
    const brokenHuman = await cli(['audit', 'verify']);
    assert.equal(brokenHuman.code, 1);
    assert.match(brokenHuman.stdout, /BROKEN at row 1/);
  });

  it('exit codes for a missing key (2), a wrong key (3) and an unreachable server (1)', async () => {
    const noKey = await runCli(['secrets', 'ls'], { env: cleanEnv({ STANDIN_URL: srv.apiUrl }) });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no API key/);
    const wrong = await cli(['secrets', 'ls'], undefined, { STANDIN_API_KEY: 'stn_live_wrongwrongwrong' });
    assert.equal(wrong.code, 3);
    const port = await freePort();
    const down = await cli(['--json', 'secrets', 'ls'], undefined, { STANDIN_URL: `http://127.0.0.1:${port}` });
    assert.equal(down.code, 1);
    assert.equal(JSON.parse(down.stderr).error.code, 'connection_failed');
  });

  it('reads url and key from the config file; env wins; the key is not sent to another --url', async () => {
    const e = cleanEnv();
    writeFileSync(e.STANDIN_CONFIG!, JSON.stringify({ url: srv.apiUrl, apiKey: srv.adminKey }), { mode: 0o600 });
    const fromFile = await runCli(['secrets', 'ls', '--json'], { env: e });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const envWins = await runCli(['secrets', 'ls'], { env: { ...e, STANDIN_API_KEY: 'stn_live_wrongwrongwrong' } });
    assert.equal(envWins.code, 3);
    const elsewhere = await runCli(['--url', 'http://127.0.0.1:1', 'secrets', 'ls'], { env: e });
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /belongs to/);
    writeFileSync(e.STANDIN_CONFIG!, '{ not json');
    const broken = await runCli(['secrets', 'ls'], { env: e });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /not valid JSON/);
  });
});
