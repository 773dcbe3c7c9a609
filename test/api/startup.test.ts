// Start-up refusals: data encrypted under a root key that is not loaded, and bad settings. Each
// stops start-up with a message naming what is wrong (the key id, the setting), never key material.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { loadConfig, type ConfigFlags } from '../../src/config.js';
import { start } from '../../src/main.js';
import { StandinError } from '../../src/core/errors.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write: (c, _e, cb) => ((text += c.toString()), cb()) }), text: () => text };
}

describe('an unknown root key', () => {
  test('refuses to start, naming the key id the data expects, and the right key starts again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'standin-startup-'));
    dirs.push(dataDir);
    const flags: ConfigFlags = { host: '127.0.0.1', port: '0', proxyPort: '0', dataDir, logLevel: 'info' };

    // First run: no key configured, so one is generated in the data dir (with a warning).
    const log1 = sink();
    const first = await start(loadConfig(flags, {}), { proxy: false, logDestination: log1.stream });
    const init = await first.core.services.tenancy.initialize();
    assert.ok(init);
    const actor = await first.core.services.keys.authenticate(init.apiKey, null);
    const { secret } = await first.core.services.secrets.create(actor, { name: 'survives', value: 'survives-restart-value', hosts: ['api.example.com'] });
    await first.stop();
    const keyFile = readFileSync(join(dataDir, 'master.key'), 'utf8').trim();
    const [keyId, material] = keyFile.split(':') as [string, string];
    assert.match(keyId, /^[0-9a-f]{8}$/);
    assert.match(log1.text(), new RegExp(`generated root key \\\\"${keyId}\\\\"`), 'the first run warns that it generated a key');
    assert.equal(log1.text().includes(material), false, 'the warning never contains key material');

    // Second run with a different key: refused before anything listens.
    const otherKey = randomBytes(32).toString('base64');
    const log2 = sink();
    await assert.rejects(
      start(loadConfig(flags, { STANDIN_MASTER_KEY: otherKey }), { proxy: false, logDestination: log2.stream }),
      (e: unknown) => {
        assert.ok(e instanceof StandinError, String(e));
        assert.equal(e.code, 'unknown_root_key');
        assert.ok(e.message.includes(`"${keyId}"`), `the message names the expected key id: ${e.message}`);
        assert.equal(e.message.includes(otherKey), false);
        assert.equal(e.message.includes(material), false);
        return true;
      },
    );

    // Third run with the right key (the file again): starts, and the secret still decrypts.
    const third = await start(loadConfig(flags, {}), { proxy: false, logDestination: sink().stream });
    try {
      const v = await third.core.services.secrets.reveal(init.tenantId, secret.id, 1);
      assert.equal(v.value.reveal(), 'survives-restart-value');
      const res = await fetch(`${third.apiUrl}/v1/secrets`, { headers: { authorization: `Bearer ${init.apiKey}` } });
      assert.equal(res.status, 200);
    } finally {
      await third.stop();
    }
  });

  test('a malformed STANDIN_MASTER_KEY stops start-up naming the setting, not its text', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'standin-startup-'));
    dirs.push(dataDir);
    const bad = 'c2hvcnQta2V5LW1hdGVyaWFs'; // base64 of 18 bytes, not 32
    await assert.rejects(
      start(loadConfig({ host: '127.0.0.1', port: '0', dataDir }, { STANDIN_MASTER_KEY: bad }), { proxy: false, logDestination: sink().stream }),
      (e: unknown) => {
        assert.ok(e instanceof StandinError);
        assert.equal(e.code, 'config_invalid');
        assert.match(e.message, /STANDIN_MASTER_KEY/);
        assert.equal(e.message.includes(bad), false);
        return true;
      },
    );
  });
});

describe('bad settings stop start-up with a message naming the setting', () => {
  const cases: Array<[string, ConfigFlags, Record<string, string>, RegExp]> = [
    ['STANDIN_PORT=abc', {}, { STANDIN_PORT: 'abc' }, /STANDIN_PORT.*"abc" is not a port number/],
    ['--port abc', { port: 'abc' }, {}, /--port.*"abc"/],
    ['STANDIN_PORT=70000', {}, { STANDIN_PORT: '70000' }, /STANDIN_PORT.*outside/],
    ['STANDIN_PORT=-1', {}, { STANDIN_PORT: '-1' }, /STANDIN_PORT/],
    ['STANDIN_PROXY_PORT=1e3', {}, { STANDIN_PROXY_PORT: '1e3' }, /STANDIN_PROXY_PORT/],
    ['STANDIN_LOG_LEVEL=loud', {}, { STANDIN_LOG_LEVEL: 'loud' }, /STANDIN_LOG_LEVEL.*"loud"/],
    ['STANDIN_DATABASE_URL=mysql://db', {}, { STANDIN_DATABASE_URL: 'mysql://db/standin' }, /STANDIN_DATABASE_URL/],
    ['STANDIN_RATE_LIMIT_PER_KEY=0', {}, { STANDIN_RATE_LIMIT_PER_KEY: '0' }, /STANDIN_RATE_LIMIT_PER_KEY/],
    ['STANDIN_RATE_LIMIT_PER_TENANT=many', {}, { STANDIN_RATE_LIMIT_PER_TENANT: 'many' }, /STANDIN_RATE_LIMIT_PER_TENANT/],
    ['STANDIN_RESOLVE=nonsense', {}, { STANDIN_RESOLVE: 'nonsense' }, /STANDIN_RESOLVE/],
    ['STANDIN_RESOLVE with a host name as address', {}, { STANDIN_RESOLVE: 'api.example.test=localhost' }, /STANDIN_RESOLVE.*"localhost" is not an IPv4 or IPv6 address/],
    ['STANDIN_RESOLVE with an out-of-range IPv4 address', {}, { STANDIN_RESOLVE: 'a.test=127.0.0.1,b.test=10.0.0.256' }, /STANDIN_RESOLVE.*"10\.0\.0\.256"/],
    ['STANDIN_RESOLVE with a short-form IPv4 address', {}, { STANDIN_RESOLVE: 'a.test=127.1' }, /STANDIN_RESOLVE.*"127\.1"/],
    ['STANDIN_RESOLVE with a malformed IPv6 address', {}, { STANDIN_RESOLVE: 'a.test=[::1::2]' }, /STANDIN_RESOLVE.*"::1::2"/],
    ['--resolve with a URL as address', { resolve: 'a.test=http://127.0.0.1' }, {}, /--resolve.*not an IPv4 or IPv6 address/],
  ];
  for (const [title, flags, env, message] of cases) {
    test(`${title} is refused`, () => {
      assert.throws(() => loadConfig(flags, env), (e: unknown) => {
        assert.ok(e instanceof StandinError);
        assert.equal(e.code, 'config_invalid');
        assert.match(e.message, message);
        return true;
      });
    });
  }

  test('STANDIN_RESOLVE takes IPv4 and IPv6 addresses, bracketed or not', () => {
    const c = loadConfig({}, { STANDIN_RESOLVE: 'API.Example.test.=127.0.0.1, v6.test=[::1],bare.test=2001:db8::1' });
    assert.deepEqual(c.resolve, { 'api.example.test': '127.0.0.1', 'v6.test': '::1', 'bare.test': '2001:db8::1' });
  });

  test('good settings load into a frozen object with the named defaults', () => {
    const c = loadConfig({}, { STANDIN_PORT: '8080' });
    assert.equal(c.port, 8080);
    assert.equal(c.proxyPort, 4781);
    assert.equal(c.host, '127.0.0.1');
    assert.ok(Object.isFrozen(c));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    });
  });
});
