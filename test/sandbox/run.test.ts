/**
 * `standin run` and `standin env` without isolation, end to end: the real CLI as a child process,
 * a real standin server and proxy, a TLS upstream, and real clients (curl, Python requests, Node
 * fetch, git). The upstream must see the real value; the process's environment and output only
 * the placeholder.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CLIENTS_SCRIPT, GIT_SHA, REAL, cli, placeholderIn, startFixture, until, type Fixture } from './fixture.js';

const run = promisify(execFile);
/** curl through a proxy, async: the proxy lives in this process, a sync child would block it. */
async function statusVia(proxy: string, ph: string, path: string): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '-m', '10', '-o', '/dev/null', '-w', '%{http_connect} %{http_code}', '--proxy', proxy, '-k', '-H', `Authorization: Bearer ${ph}`, `https://api.test:${f.upstreamPort}${path}`]).catch((e) => e);
  return String(stdout).trim();
}

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f?.close();
});

/** Requests the upstream saw for one path. */
const seenAt = (path: string) => f.seen.filter((s) => s.url.startsWith(path));

describe('standin run', () => {
  test('curl, Python requests, Node fetch and git reach the upstream with the real value while the process sees only the placeholder', async () => {
    const r = await cli(f, ['run', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', CLIENTS_SCRIPT]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const ph = placeholderIn(r.stdout);
    assert.ok(!r.stdout.includes(REAL) && !r.stderr.includes(REAL), 'the real value never reaches the process or its output');
    for (const path of ['/curl', '/python', '/node']) {
      assert.deepEqual(seenAt(path).map((s) => s.authorization), [`Bearer ${REAL}`], `${path}: the upstream got the real value`);
      // The upstream echoed the value back; the proxy redacted it to the placeholder.
      assert.ok(r.stdout.includes(`{"path":"${path}","authorization":"Bearer ${ph}"}`), `${path} answer: ${r.stdout}`);
    }
    const git = seenAt('/repo.git/info/refs').filter((s) => s.authorization);
    assert.equal(git.length, 1);
    assert.equal(git[0]!.authorization, `Basic ${Buffer.from(`x:${REAL}`).toString('base64')}`, 'git sent the swapped Basic credential');
    assert.match(r.stdout, new RegExp(`${GIT_SHA}\\s+refs/heads/main`), 'git ls-remote parsed the advertisement');
    // The environment: placeholder, proxy, CA bundle, preload; nothing of standin's own credentials.
    assert.match(r.stdout, new RegExp(`^API_TOKEN=${ph}$`, 'm'));
    for (const v of ['HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'ALL_PROXY']) assert.match(r.stdout, new RegExp(`^${v}=http://standin:stn_px_`, 'm'));
    assert.match(r.stdout, /^NO_PROXY=$/m);
    for (const v of ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'GIT_SSL_CAINFO', 'AWS_CA_BUNDLE', 'PIP_CERT', 'NODE_EXTRA_CA_CERTS']) {
      assert.match(r.stdout, new RegExp(`^${v}=/.*standin-run-`, 'm'), v);
    }
    assert.match(r.stdout, /^NODE_OPTIONS=--require \/.*node-preload\.cjs$/m);
    assert.doesNotMatch(r.stdout, /^STANDIN_API_KEY=/m, "the CLI's API key is not passed on");
  });

  test('the ephemeral sandbox is gone afterwards: the API answers 404 and its placeholder is blocked by the proxy', async () => {
    const r = await cli(f, ['run', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'echo "PH=$API_TOKEN"; echo "SBX=$STANDIN_SANDBOX_ID"; echo "PX=$HTTPS_PROXY"; echo "CA=$SSL_CERT_FILE"']);
    assert.equal(r.code, 0, r.stderr);
    const ph = placeholderIn(r.stdout);
    const id = /SBX=(\S+)/.exec(r.stdout)![1]!;
    const px = /PX=(\S+)/.exec(r.stdout)![1]!;
    const ca = /CA=(\S+)/.exec(r.stdout)![1]!;
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${id}`)).status, 404);
    assert.equal(existsSync(ca), false, 'the CA temp dir is removed');
    // The dead sandbox's own proxy credential: refused before anything is forwarded.
    const before = f.seen.length;
    assert.equal(await statusVia(px, ph, '/dead'), '407 000', 'CONNECT refused with 407');
    // Through a live sandbox: the placeholder belongs to no sandbox any more → 403, not forwarded.
    const live = await f.server.api('POST', '/v1/sandboxes', { ephemeral: true });
    assert.equal(await statusVia(live.body.proxyUrl, ph, '/dead'), '200 403');
    assert.equal(f.seen.length, before, 'the upstream saw neither request');
    await f.server.api('DELETE', `/v1/sandboxes/${live.body.id}`);
  });

  test("the command's exit code is returned", async () => {
    const r = await cli(f, ['run', '--', 'sh', '-c', 'exit 42']);
    assert.equal(r.code, 42);
    const missing = await cli(f, ['run', '--', 'no-such-command-standin-test']);
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /command not found/);
  });

  test('SIGTERM and SIGINT are forwarded; a signal death becomes 128 + n; the sandbox is deleted all the same', async () => {
    for (const [sig, n] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]] as const) {
      let pid = 0;
      const before = (await f.server.api('GET', '/v1/sandboxes?limit=200')).body.data.length;
      const p = cli(f, ['run', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'echo started; exec sleep 20'], { onSpawn: (c) => (pid = c.pid!) });
      // Wait for the command to run (the sandbox exists), then signal standin, not the command.
      assert.ok(await until(async () => (await f.server.api('GET', '/v1/sandboxes?limit=200')).body.data.length > before, 10_000));
      await new Promise((r) => setTimeout(r, 200));
      process.kill(pid, sig);
      const r = await p;
      assert.equal(r.code, 128 + n, `${sig}: ${r.stderr}`);
      assert.equal((await f.server.api('GET', '/v1/sandboxes?limit=200')).body.data.length, before, `${sig}: the ephemeral sandbox was deleted`);
    }
  });

  test('a command killed by SIGKILL: 137, and the sandbox is deleted', async () => {
    const r = await cli(f, ['run', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'echo "SBX=$STANDIN_SANDBOX_ID"; kill -KILL $$']);
    assert.equal(r.code, 137);
    const id = /SBX=(\S+)/.exec(r.stdout)![1]!;
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${id}`)).status, 404);
  });

  test('--keep keeps the sandbox; --sandbox reuses it with the same placeholder; standin env prints it again', async () => {
    const kept = await cli(f, ['run', '--keep', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'echo "PH=$API_TOKEN"; echo "SBX=$STANDIN_SANDBOX_ID"']);
    assert.equal(kept.code, 0, kept.stderr);
    const ph = placeholderIn(kept.stdout);
    const id = /SBX=(\S+)/.exec(kept.stdout)![1]!;
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${id}`)).status, 200);
    const again = await cli(f, ['run', '--sandbox', id, '--', 'sh', '-c', 'echo "PH=$API_TOKEN"; curl -sS -H "Authorization: Bearer $API_TOKEN" "https://api.test:$UPPORT/again"']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(placeholderIn(again.stdout), ph);
    assert.equal(seenAt('/again')[0]?.authorization, `Bearer ${REAL}`);
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${id}`)).status, 200, '--sandbox does not delete a sandbox it did not create');
    const env = await cli(f, ['env', '--sandbox', id, '--format', 'json']);
    assert.equal(env.code, 0, env.stderr);
    assert.equal(JSON.parse(env.stdout).API_TOKEN, ph);
    // Deleted on the server: the kept copy is dropped with a clear message.
    await f.server.api('DELETE', `/v1/sandboxes/${id}`);
    const gone = await cli(f, ['run', '--sandbox', id, '--', 'true']);
    assert.equal(gone.code, 4);
    assert.match(gone.stderr, /no longer exists/);
    const unknown = await cli(f, ['env', '--sandbox', 'sbx_unknown']);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /shown only when a sandbox is created/);
  });

  test('standin env creates a persistent sandbox and prints dotenv (docker --env-file), json and shell', async () => {
    const r = await cli(f, ['env', '--secret', 'API_TOKEN=api-token', '--env', 'MODE=test', '--proxy-host', 'host.docker.internal', '--ca-dir', `${f.home}/ca`, '--ca-path', '/etc/standin']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    const env = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.match(env.API_TOKEN!, /^stn_ph_/);
    assert.equal(env.MODE, 'test');
    assert.match(env.HTTPS_PROXY!, /^http:\/\/standin:stn_px_[^@]+@host\.docker\.internal:\d+$/);
    assert.equal(env.SSL_CERT_FILE, '/etc/standin/ca-bundle.pem');
    assert.equal(env.NODE_EXTRA_CA_CERTS, '/etc/standin/ca.pem');
    assert.ok(!r.stdout.includes(REAL));
    const id = env.STANDIN_SANDBOX_ID!;
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${id}`)).body.ephemeral, false);
    const shell = await cli(f, ['env', '--sandbox', id, '--format', 'shell']);
    assert.match(shell.stdout, new RegExp(`^export API_TOKEN='${env.API_TOKEN}'$`, 'm'));
    const fs = await import('node:fs');
    assert.match(fs.readFileSync(`${f.home}/ca/ca.pem`, 'utf8'), /BEGIN CERTIFICATE/);
    await f.server.api('DELETE', `/v1/sandboxes/${id}`);
  });
});
