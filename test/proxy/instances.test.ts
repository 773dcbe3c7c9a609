/**
 * DESIGN.md §7 and §2.10 across instances: two standin processes' worth of proxy (two `start()`s)
 * on one PostgreSQL database. A rotation or deletion made through instance A reaches instance B's
 * caches through LISTEN/NOTIFY, so B's next request on an already open tunnel sees it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { start, type Running } from '../../src/main.js';
import { pgAvailable } from '../helpers/pg.js';
import { startEchoUpstream, type EchoUpstream } from '../helpers/upstream.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestPki } from '../helpers/tls.js';
import { NAMES, canary, tunnelClient } from './fixture.js';

const pgOk = await pgAvailable();

describe('two instances on one PostgreSQL', { skip: !pgOk && 'PostgreSQL not reachable' }, () => {
  let a: TestServer;
  let b: Running;
  let up: EchoUpstream;
  const env = async () => {
    const pki = await makeTestPki(NAMES);
    return { STANDIN_RESOLVE: NAMES.map((n) => `${n}=127.0.0.1`).join(','), STANDIN_UPSTREAM_CA_FILE: pki.caFile, STANDIN_EGRESS_ALLOW: '127.0.0.1' };
  };

  before(async () => {
    const pki = await makeTestPki(NAMES);
    up = await startEchoUpstream({ tls: pki.server });
    a = await startTestServer({ dialect: 'postgres', env: await env() });
    // Same data dir (root key file) and database: a second instance of the same installation.
    const config = loadConfig({ host: '127.0.0.1', port: '0', proxyPort: '0', dataDir: a.dataDir, databaseUrl: a.databaseUrl, logLevel: 'warn' }, await env());
    b = await start(config, { logDestination: { write: () => true } as never });
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
    await up?.close();
  });

  /** Retries `fn` until it passes: NOTIFY travels asynchronously, typically within milliseconds. */
  async function eventually(fn: () => Promise<void>, ms = 2000): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }

  test('a rotation through instance A applies to the next request through instance B, on the same tunnel', async () => {
    const v1 = canary();
    const s = await a.api('POST', '/v1/secrets', { name: 'shared', value: v1, hosts: [`api.openai.com:${up.port}`] });
    assert.equal(s.status, 201);
    const sb = await a.api('POST', '/v1/sandboxes', { secrets: { SHARED_KEY: 'shared' } });
    const viaB = new URL(sb.body.proxyUrl);
    viaB.port = b.proxyUrl.split(':').pop() as string;
    const box = { id: sb.body.id, env: sb.body.env, proxyUrl: viaB.toString(), token: decodeURIComponent(viaB.password), caPem: sb.body.caCertPem, caFile: '' };
    const c = tunnelClient(box, 'api.openai.com', up.port);
    const get = async () => {
      const r = await c.request({ path: '/i', method: 'GET', headers: { authorization: `Bearer ${box.env.SHARED_KEY}` } });
      await r.body.dump();
      return r.statusCode;
    };
    assert.equal(await get(), 200);
    assert.equal(up.requests.at(-1)?.headers.authorization, `Bearer ${v1}`);

    const v2 = canary();
    assert.equal((await a.api('POST', `/v1/secrets/${s.body.id}/rotate`, { value: v2 })).status, 200);
    await eventually(async () => {
      assert.equal(await get(), 200);
      assert.equal(up.requests.at(-1)?.headers.authorization, `Bearer ${v2}`);
    });

    assert.equal((await a.api('DELETE', `/v1/sandboxes/${box.id}`)).status, 204);
    await eventually(async () => assert.equal(await get(), 407));
    assert.equal(c.connects, 1, 'all on one tunnel');
    await c.close();
  });
});
