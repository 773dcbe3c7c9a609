/**
 * `standin run --isolate` end to end, as root: real network namespaces, veth pairs and nftables
 * tables (named standin_<run id>, removed after every run and checked for), the stub DNS and the
 * transparent listener. All traffic stays on this machine: loopback and the namespaces' own
 * private /30s. Skipped, with the reason, only where the machine cannot do it (not root, no
 * network namespaces, no nft/ip) — never in CI as root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CLIENTS_SCRIPT, GIT_SHA, REAL, cli, placeholderIn, startFixture, until, type Fixture } from './fixture.js';
import { preflight } from '../../src/sandbox/isolate/system.js';
import { removeNet } from '../../src/sandbox/isolate/namespace.js';
import { namesFor } from '../../src/sandbox/isolate/plan.js';
import { removeRecord } from '../../src/sandbox/state.js';

const sh = promisify(execFile);

const skipReason = await (async () => {
  try {
    await preflight();
  } catch (e) {
    return `--isolate is not possible here: ${(e as Error).message.split('\n').slice(1, 3).join('; ')}`;
  }
  const probe = `standin_p${process.pid.toString(16).slice(-7).padStart(7, '0')}`.slice(0, 16);
  try {
    await sh('ip', ['netns', 'add', probe]);
    await sh('ip', ['netns', 'del', probe]);
  } catch (e) {
    return `network namespaces are not usable here: ${(e as Error).message.split('\n')[0]}`;
  }
  return null;
})();
if (skipReason && process.env.CI === 'true' && process.getuid?.() === 0) {
  throw new Error(`isolate tests must run in CI as root, but: ${skipReason}`);
}
if (skipReason) console.log(`# skipping the --isolate suite: ${skipReason}`);

/** Every standin-named object on the host (namespaces, veths, tables) of one run, or of all runs. */
async function objectsOf(runId?: string): Promise<string[]> {
  const [ns, links, tables] = await Promise.all([
    sh('ip', ['netns', 'list']).then((r) => r.stdout),
    sh('ip', ['-o', 'link', 'show']).then((r) => r.stdout),
    sh('nft', ['list', 'tables']).then((r) => r.stdout),
  ]);
  const names = [
    ...[...ns.matchAll(/^(standin_[0-9a-f]{8})/gm)].map((m) => m[1]!),
    ...[...links.matchAll(/^\d+:\s+(stdn[hn][0-9a-f]{8})/gm)].map((m) => m[1]!),
    ...[...tables.matchAll(/^table inet (standin_[0-9a-f]{8})$/gm)].map((m) => `table ${m[1]!}`),
  ];
  return runId ? names.filter((n) => n.endsWith(runId)) : names;
}

/** Run ids this file saw: whatever a failing test left of them is removed by name at the end. */
const seenRuns = new Set<string>();
/** The run id of the namespace a command ran in (it prints its veth name). */
function runIdIn(out: string): string {
  const id = /stdnn([0-9a-f]{8})/.exec(out)?.[1] ?? assert.fail(`no veth name in:\n${out}`);
  seenRuns.add(id);
  return id;
}

async function removeRuns(): Promise<void> {
  const tools = await preflight();
  for (const id of seenRuns) {
    const n = namesFor(id);
    await removeNet(tools, { ...n, subnet: '' });
    removeRecord(id);
  }
}
const gatewayIn = (out: string): string => /default via (\d+\.\d+\.\d+\.\d+)/.exec(out)?.[1] ?? assert.fail(`no default route in:\n${out}`);

const NO_PROXY_ENV = 'env -u HTTPS_PROXY -u https_proxy -u HTTP_PROXY -u http_proxy -u ALL_PROXY -u all_proxy NODE_OPTIONS=';

describe('standin run --isolate', { skip: skipReason ?? false }, () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await removeRuns();
    await f?.close();
  });
  const seenAt = (path: string) => f.seen.filter((s) => s.url.startsWith(path));

  /** Asserts the four clients' results in `out` for the paths they used. */
  function assertClients(out: string, tag: string): void {
    const ph = placeholderIn(out);
    assert.ok(!out.includes(REAL), `${tag}: the real value never reaches the process`);
    for (const client of ['curl', 'python', 'node']) {
      assert.deepEqual(seenAt(`/${client}`).map((s) => s.authorization), [`Bearer ${REAL}`], `${tag} ${client}: the upstream got the real value`);
      assert.ok(out.includes(`{"path":"/${client}","authorization":"Bearer ${ph}"}`), `${tag} ${client}: answer redacted to the placeholder`);
    }
    const git = seenAt('/repo.git/info/refs').filter((s) => s.authorization);
    assert.deepEqual(git.map((s) => s.authorization), [`Basic ${Buffer.from(`x:${REAL}`).toString('base64')}`], `${tag} git`);
    assert.match(out, new RegExp(`${GIT_SHA}\\s+refs/heads/main`), `${tag}: git ls-remote parsed the advertisement`);
    assert.match(out, new RegExp(`^API_TOKEN=${ph}$`, 'm'));
  }

  test('curl, Python requests, Node fetch and git work through the proxy variables, inside the namespace', async () => {
    f.seen.length = 0;
    const r = await cli(f, ['run', '--isolate', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', `ip -o link show; ${CLIENTS_SCRIPT}`], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assertClients(r.stdout, 'explicit');
    assert.match(r.stdout, /^HTTPS_PROXY=http:\/\/standin:stn_px_[^@]+@10\.\d+\.\d+\.\d+:\d+$/m, 'the proxy URL points at the host side of the veth');
    assert.deepEqual(await objectsOf(runIdIn(r.stdout)), [], 'namespace, veth and nftables table are gone');
  });

  test('clients that ignore the proxy variables (curl --noproxy, Node fetch without the preload, …) still go through the proxy', async () => {
    f.seen.length = 0;
    const r = await cli(f, ['run', '--isolate', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', `${NO_PROXY_ENV} CURL_FLAGS="--noproxy *" sh -c '${CLIENTS_SCRIPT.replace(/'/g, `'\\''`)}'`], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stdout, /^(HTTPS_PROXY|https_proxy|NODE_OPTIONS)=./m, 'no proxy variables, no preload');
    assertClients(r.stdout, 'transparent');
  });

  test('nothing leaves directly: a loopback-only outside server is not reached, UDP is dropped, DNS answers every name with the proxy path', async () => {
    // "Outside": a TCP server on the host's loopback, and a UDP receiver on every host address.
    let outsideConnections = 0;
    const outside = net.createServer((s) => {
      outsideConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => outside.listen(0, '127.0.0.1', () => r()));
    const op = (outside.address() as net.AddressInfo).port;
    let datagrams = 0;
    const udp = dgram.createSocket('udp4');
    udp.on('message', () => datagrams++);
    await new Promise<void>((r) => udp.bind(0, () => r()));
    const up = udp.address().port;
    try {
      const script = `
        ip route
        echo "tcp-loopback: $(python3 -c 'import socket; s=socket.socket(); s.settimeout(3)
try:
  s.connect(("127.0.0.1", ${op})); print("connected")
except Exception as e: print(type(e).__name__)')"
        gw=$(ip route | sed -n "s/^default via \\([0-9.]*\\).*/\\1/p")
        echo "tcp-gateway: $(python3 -c "import socket; s=socket.socket(); s.settimeout(3); s.connect(('$gw', ${op})); s.sendall(b'\\x00\\x01raw'); print(repr(s.recv(100)))" 2>&1 | tail -1)"
        echo "http-outside: $(curl -sS -m 5 --noproxy '*' http://outside.test:${op}/ 2>&1)"
        echo "https-outside: $(curl -sS -m 5 --noproxy '*' https://outside.test:${op}/ 2>&1)"
        echo "tls-no-sni: $(curl -sS -m 5 --noproxy '*' https://$gw:${op}/ 2>&1)"
        python3 -c "import socket; u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [u.sendto(b'x', (h, ${up})) for h in ('$gw', '127.0.0.1')]; print('udp: sent')"
        echo "dns-a: $(getent ahostsv4 anything.example.invalid | head -1)"
        node -e 'require("dns").promises.resolve6("api.test").then((a) => console.log("dns-aaaa:", a), (e) => console.log("dns-aaaa:", e.code)); require("dns").promises.resolve4("x.y.z").then((a) => console.log("dns-resolve4:", a[0]))'
      `;
      const r = await cli(f, ['run', '--isolate', '--allow-host', `api.test:${f.upstreamPort}`, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const gw = gatewayIn(r.stdout);
      assert.match(r.stdout, /tcp-loopback: ConnectionRefusedError/, "the namespace's loopback is its own");
      assert.match(r.stdout, /tcp-gateway: (b''|.*ConnectionResetError.*)/, 'raw TCP to the host is taken by the transparent listener and closed');
      assert.match(r.stdout, /http-outside: \{"error":\{"code":"egress_denied"/, 'plain HTTP goes to the proxy, which refuses the destination');
      assert.match(r.stdout, /https-outside: \{"error":\{"code":"egress_denied"/, 'TLS is intercepted by the proxy, which refuses the destination');
      assert.match(r.stdout, /tls-no-sni: curl: \(35\).*unrecognized name/, 'a TLS client without SNI gets a clear failure');
      assert.match(r.stderr, /refused a TLS connection without SNI/);
      assert.match(r.stdout, new RegExp(`dns-a: ${gw.replace(/\./g, '\\.')}\\s`), 'any name resolves to the proxy path');
      assert.match(r.stdout, new RegExp(`dns-resolve4: ${gw.replace(/\./g, '\\.')}`));
      assert.match(r.stdout, /dns-aaaa: ENODATA/, 'AAAA: no data');
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(outsideConnections, 0, 'the outside server saw no connection');
      assert.equal(datagrams, 0, 'no UDP datagram left the namespace');
    } finally {
      outside.close();
      udp.close();
    }
  });

  test('exit codes and signals pass through; SIGKILL of the command still cleans everything up', async () => {
    const r = await cli(f, ['run', '--isolate', '--', 'sh', '-c', 'ip -o link show; exit 3']);
    assert.equal(r.code, 3);
    assert.deepEqual(await objectsOf(runIdIn(r.stdout)), []);
    const k = await cli(f, ['run', '--isolate', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'ip -o link show; echo "SBX=$STANDIN_SANDBOX_ID"; (sleep 30 &); kill -KILL $$']);
    assert.equal(k.code, 137);
    assert.deepEqual(await objectsOf(runIdIn(k.stdout)), [], 'removed after SIGKILL, the background sleep ended with the namespace');
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${/SBX=(\S+)/.exec(k.stdout)![1]}`)).status, 404);
    let pid = 0;
    let out = '';
    const p = cli(f, ['run', '--isolate', '--', 'sh', '-c', 'ip -o link show; exec sleep 20'], { onSpawn: (c) => { pid = c.pid!; c.stdout!.on('data', (d) => (out += d)); } });
    assert.ok(await until(() => out.includes('stdnn'), 15_000));
    process.kill(pid, 'SIGTERM');
    const t = await p;
    assert.equal(t.code, 143);
    assert.deepEqual(await objectsOf(runIdIn(out)), []);
  });

  test('a crashed standin leaves only stale objects, which doctor lists and the next --isolate run removes', async () => {
    let pid = 0;
    let out = '';
    const crashed = cli(f, ['run', '--isolate', '--secret', 'API_TOKEN=api-token', '--', 'sh', '-c', 'ip -o link show; echo "SBX=$STANDIN_SANDBOX_ID"; exec sleep 30'], {
      onSpawn: (c) => { pid = c.pid!; c.stdout!.on('data', (d) => (out += d)); },
    });
    assert.ok(await until(() => out.includes('SBX='), 15_000));
    process.kill(pid, 'SIGKILL');
    const runId = runIdIn(out);
    const sandboxId = /SBX=(\S+)/.exec(out)![1]!;
    assert.deepEqual((await objectsOf(runId)).sort(), [`stdnh${runId}`, `standin_${runId}`, `table standin_${runId}`].sort(), 'namespace, host veth and table left behind');
    const doctor = await cli(f, ['doctor', '--json']);
    assert.equal(doctor.code, 1);
    const report = JSON.parse(doctor.stdout);
    assert.ok(report.leftovers.some((l: { kind: string; runId: string; stale: boolean }) => l.kind === 'netns' && l.runId === runId && l.stale));
    // The next isolated run cleans up before it starts.
    const next = await cli(f, ['run', '--isolate', '--', 'true']);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`removed leftovers of crashed runs: .*standin_${runId}`));
    assert.deepEqual(await objectsOf(runId), []);
    await crashed; // its command (still holding the pipes) ended with the namespace
    assert.equal((await f.server.api('GET', `/v1/sandboxes/${sandboxId}`)).status, 404, "the crashed run's ephemeral sandbox is deleted too");
    const clean = await cli(f, ['doctor']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  });

  test('without the privileges it needs, --isolate refuses with what is missing and never runs the command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'standin-noroot-'));
    const marker = join(dir, 'ran');
    try {
      const r = await cli(f, ['run', '--isolate', '--', 'sh', '-c', `touch ${marker}`], {
        prefix: ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps', '-all', '--bounding-set', '-all'],
        env: { XDG_CONFIG_HOME: join(dir, 'none'), XDG_STATE_HOME: join(dir, 'none'), HOME: dir, STANDIN_RUN_DIR: join(dir, 'run') },
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /--isolate cannot isolate this command; missing:\n\s+- root/);
      assert.match(r.stderr, /Nothing was run/);
      assert.equal(existsSync(marker), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
