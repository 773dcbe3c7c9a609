/**
 * Proxy benchmark (issue 3): keep-alive HTTPS requests carrying a placeholder to a local
 * upstream, directly vs through standin, measured in one run so the ratios compare like with like.
 *
 *   npx tsx bench/proxy.ts                                     (about 40 s)
 *   BENCH_CPU_PROFILE=/tmp/standin.cpuprofile npx tsx bench/proxy.ts   (profiles the c=32 phase)
 *
 * Layout: standin runs in this process (as in production: real logger, SQLite store, batched
 * event writer). The upstream, the load generator and a *bare* interception proxy (CONNECT + TLS
 * interception + undici pool and nothing else) are child processes. The bare proxy separates
 * what the architecture costs on this machine from what standin's pipeline adds. Modes are
 * interleaved in rounds, so a machine whose load drifts (CI, shared hosts) skews them alike.
 * The client makes the same call in every mode, `request(url, { dispatcher })` with an Agent or
 * a ProxyAgent, as an application does when only its dispatcher changes.
 *
 * In the throughput phase every process's CPU time is read from /proc per mode, because client,
 * upstream and proxy share this machine's CPUs: when they are all busy, requests/s is CPUs / CPU
 * per request, and the printed bound shows how much of a ratio the machine leaves any proxy.
 * A new connection is measured with a full TLS handshake and with the session resumed (what
 * clients do), and compared with a new direct connection (what the proxy adds to opening one) and
 * with a kept-alive request through standin (what opening one costs at all).
 * Everything stays on 127.0.0.1; fixed counts and durations keep the run well under 60 s.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const NAME = 'api.openai.com';
const ROUNDS = 5;

/** One way to reach the upstream. */
interface Target {
  name: string;
  /** Absent: straight to the upstream. */
  proxyUrl?: string;
  proxyCa?: string;
  authorization: string;
}

interface Job {
  kind: 'latency' | 'throughput' | 'newconn' | 'resumed';
  port: number;
  upstreamCa: string;
  targets: Target[];
  concurrency: number;
  /** Per target per round: requests (latency, newconn, resumed) or milliseconds (throughput). */
  perRound: number;
  rounds: number;
  /** Processes whose CPU time is counted per mode in throughput rounds: role → pid. */
  pids?: Record<string, number>;
}

/** Per mode: latencies (ms), requests/s and, in throughput rounds, CPU µs per request by role. */
type JobResult = Record<string, { lat: number[]; rps: number; cpu: Record<string, number> }>;

/** CPU time (user + system) of a process in clock ticks, from /proc (Linux); NaN elsewhere. */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return NaN;
  }
}

// --- child: the upstream -------------------------------------------------------------------------

function runUpstream(cert: { cert: string; key: string }): void {
  const body = JSON.stringify({ object: 'list', data: [{ id: 'gpt-bench', object: 'model' }] });
  const server = https.createServer({ ...cert, keepAliveTimeout: 60_000 }, (req, res) => {
    if (!String(req.headers.authorization).startsWith('Bearer ')) res.statusCode = 401;
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.setHeader('content-length', Buffer.byteLength(body));
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

// --- child: a bare interception proxy ------------------------------------------------------------

async function runBareProxy(upstreamPort: number, upstreamCa: string): Promise<void> {
  const { Pool } = await import('undici');
  const { Ca, generateCa } = await import('../src/proxy/ca.js');
  const { LeafCertFactory } = await import('../src/proxy/leaf-certs.js');
  const ca = await Ca.load(await generateCa());
  const leafs = new LeafCertFactory(ca);
  const pool = new Pool(`https://127.0.0.1:${upstreamPort}`, { connections: 256, connect: { ca: upstreamCa, servername: NAME } });
  const inner = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const n = (req.rawHeaders[i] as string).toLowerCase();
      if (n !== 'connection' && n !== 'host') headers.push(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
    }
    headers.push('host', NAME);
    pool.dispatch({ method: req.method as 'GET', path: req.url ?? '/', headers, body: null }, {
      onRequestStart() {},
      onResponseStart(_c, status, h) {
        const out: string[] = [];
        for (const k of Object.keys(h)) if (k !== 'connection' && k !== 'keep-alive') out.push(k, String(h[k]));
        res.writeHead(status, out);
        res.cork();
        process.nextTick(() => res.uncork());
      },
      onResponseData(_c, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError(_c, e) {
        res.destroy(e);
      },
    });
  });
  const server = http.createServer({ noDelay: true });
  server.on('connect', (_req: unknown, socket: Socket) => {
    socket.setNoDelay(true);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const t = new tls.TLSSocket(socket, { isServer: true, secureContext: leafs.secureContextFor(NAME), SNICallback: leafs.SNICallback, ALPNProtocols: ['http/1.1'] });
    t.on('error', () => t.destroy());
    inner.emit('connection', t);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ url: `http://bare:bare@127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: ca.certPem }));
}

// --- child: the load generator -------------------------------------------------------------------

async function runClient(): Promise<void> {
  const undici = await import('undici');
  const { Agent, Pool, ProxyAgent } = undici;
  type D = import('undici').Dispatcher;
  // Both ways go through the same client call, `request(url, { dispatcher })`, as an application
  // does when only its dispatcher changes (Agent or ProxyAgent), so the client's own cost per
  // request is alike and the difference is what the proxy adds.
  // One SecureContext per trusted CA, as a client that trusts its system store keeps one: a `ca`
  // option on every connection would make each handshake parse the certificate again.
  const contexts = new Map<string, import('node:tls').SecureContext>();
  const trust = (ca: string) => {
    let ctx = contexts.get(ca);
    if (!ctx) contexts.set(ca, (ctx = tls.createSecureContext({ ca })));
    return ctx;
  };
  const make = (job: Job, t: Target, connections: number, noResume = false): D => {
    const factory = (origin: URL | string, opts: object) => new Pool(origin, { ...opts, connections, pipelining: 1 });
    const session = noResume ? { maxCachedSessions: 0 } : {};
    if (!t.proxyUrl) return new Agent({ connect: { secureContext: trust(job.upstreamCa), servername: NAME, ...session }, factory });
    return new ProxyAgent({ uri: t.proxyUrl, requestTls: { secureContext: trust(t.proxyCa!), servername: NAME, ...session }, clientFactory: factory });
  };
  const one = async (d: D, job: Job, t: Target, close = false): Promise<number> => {
    const start = process.hrtime.bigint();
    const url = t.proxyUrl ? `https://${NAME}:${job.port}/v1/models` : `https://127.0.0.1:${job.port}/v1/models`;
    const headers: Record<string, string> = { authorization: t.authorization, host: `${NAME}:${job.port}` };
    if (close) headers.connection = 'close';
    const r = await undici.request(url, { method: 'GET', headers, dispatcher: d });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`${t.name}: status ${r.statusCode}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };

  const run = async (job: Job): Promise<JobResult> => {
    const out: JobResult = Object.fromEntries(job.targets.map((t) => [t.name, { lat: [] as number[], rps: 0, cpu: {} as Record<string, number> }]));
    const pids: Record<string, number> = { client: process.pid, ...job.pids };
    const ticksNow = () => Object.fromEntries(Object.entries(pids).map(([role, pid]) => [role, cpuTicks(pid)]));
    const secs: Record<string, number> = {};
    if (job.kind === 'newconn' || job.kind === 'resumed') {
      // newconn: a new client per request, so a full TLS handshake every time. resumed: one client
      // whose every request says `connection: close`, so each request opens a new connection
      // (through a proxy: a new CONNECT tunnel) and resumes the TLS session, as clients do.
      const kept = new Map(job.targets.map((t) => [t.name, job.kind === 'resumed' ? make(job, t, 1) : null]));
      for (const t of job.targets) {
        const d = kept.get(t.name);
        if (d) await one(d, job, t, true); // the session to resume
      }
      for (let r = 0; r < job.rounds; r++) {
        for (const t of job.targets) {
          for (let i = 0; i < job.perRound; i++) {
            const d = kept.get(t.name) ?? make(job, t, 1, true);
            out[t.name]!.lat.push(await one(d, job, t, job.kind === 'resumed'));
            if (!kept.get(t.name)) await d.close();
          }
        }
      }
      for (const d of kept.values()) await d?.close();
      return out;
    }
    const ds = new Map(job.targets.map((t) => [t.name, make(job, t, job.concurrency)]));
    for (const t of job.targets) {
      const d = ds.get(t.name)!;
      for (let i = 0; i < 200; i++) await one(d, job, t); // warm: connections, caches, JIT
      await Promise.all(Array.from({ length: job.concurrency }, () => one(d, job, t)));
    }
    for (let r = 0; r < job.rounds; r++) {
      // Rotate the order each round so no mode always follows the same one.
      const order = job.targets.map((_, i) => job.targets[(i + r) % job.targets.length]!);
      for (const t of order) {
        const d = ds.get(t.name)!;
        const lat = out[t.name]!.lat;
        let left = job.kind === 'latency' ? job.perRound : Infinity;
        const deadline = job.kind === 'throughput' ? Date.now() + job.perRound : Infinity;
        const before = lat.length;
        const ticks0 = job.kind === 'throughput' ? ticksNow() : null;
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: job.concurrency }, async () => {
            while (left-- > 0 && Date.now() < deadline) lat.push(await one(d, job, t));
          }),
        );
        secs[t.name] = (secs[t.name] ?? 0) + Number(process.hrtime.bigint() - t0) / 1e9;
        out[t.name]!.rps += lat.length - before;
        if (ticks0) {
          const ticks1 = ticksNow();
          for (const role of Object.keys(pids)) out[t.name]!.cpu[role] = (out[t.name]!.cpu[role] ?? 0) + ticks1[role]! - ticks0[role]!;
        }
      }
    }
    const usPerTick = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);
    for (const t of job.targets) {
      const o = out[t.name]!;
      for (const role of Object.keys(o.cpu)) o.cpu[role] = (o.cpu[role]! * usPerTick) / o.rps; // µs per request (rps is still a count here)
      out[t.name]!.rps /= secs[t.name]!;
      if (job.kind === 'throughput') out[t.name]!.lat = [];
      await ds.get(t.name)!.close();
    }
    return out;
  };

  process.on('message', (job: Job) => {
    run(job).then(
      (r) => process.send?.(r),
      (e: Error) => process.send?.({ error: String(e.stack ?? e) }),
    );
  });
  process.send?.({ ready: true });
}

/** An in-process CPU profile of standin during one phase (BENCH_CPU_PROFILE=file.cpuprofile). */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      s.disconnect();
    },
  };
}

// --- a standin instance (in this process, or a child for the bindings comparison) ---------------

interface Instance {
  /** A sandbox bound to the secret, through this instance's proxy. */
  target: Target;
  /** The real value, for the direct mode. */
  value: string;
  /** Bindings in the store. */
  bindings: number;
  /** A new sandbox (caches cold for it). */
  newTarget(name: string): Promise<Target>;
  stop(): Promise<void>;
}

/**
 * Starts standin (SQLite in a temp dir, real logger whose lines are produced then dropped) with
 * one secret and one sandbox, plus `extra` more bindings to that secret, 1,000 per sandbox.
 */
async function startInstance(upstreamPort: number, caFile: string, extra: number): Promise<Instance> {
  const { loadConfig } = await import('../src/config.js');
  const { start } = await import('../src/main.js');
  const { randomId, hashToken } = await import('../src/crypto/tokens.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'standin-bench-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', proxyPort: '0', dataDir, databaseUrl: `sqlite:${join(dataDir, 'standin.db')}`, logLevel: 'info' },
    { STANDIN_RESOLVE: `${NAME}=127.0.0.1`, STANDIN_UPSTREAM_CA_FILE: caFile, STANDIN_EGRESS_ALLOW: '127.0.0.1' },
  );
  const running = await start(config, { logDestination: sink });
  const { core } = running;
  const init = await core.services.tenancy.initialize();
  if (!init) throw new Error('already initialised');
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(running.apiUrl + path, { method, headers: { authorization: `Bearer ${init.apiKey}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return r.json() as Promise<any>;
  };
  const value = `sk-bench-${'x'.repeat(40)}`;
  await api('POST', '/v1/secrets', { name: 'openai', value, provider: 'openai', hosts: [`${NAME}:${upstreamPort}`] });
  const newTarget = async (name: string): Promise<Target> => {
    const sb = await api('POST', '/v1/sandboxes', { secrets: { OPENAI_API_KEY: 'openai' } });
    return { name, proxyUrl: sb.proxyUrl, proxyCa: sb.caCertPem, authorization: `Bearer ${sb.env.OPENAI_API_KEY}` };
  };
  const target = await newTarget('standin');
  if (extra > 0) {
    await core.store.transaction(async (tx) => {
      const now = new Date().toISOString();
      for (let done = 0; done < extra; done += 1000) {
        const id = randomId('sbx_');
        const bindings = Array.from({ length: Math.min(1000, extra - done) }, (_, i) => ({
          id: randomId('bnd_'), sandboxId: id, tenantId: init.tenantId, envName: `K_${i}`, secretName: 'openai', mode: 'proxy' as const,
          createdAt: now, placeholderHash: hashToken(randomId('stn_ph_', 46)),
        }));
        await tx.sandboxes.create(
          { id, tenantId: init.tenantId, name: null, workspaceId: null, userId: null, externalWorkspace: null, externalUser: null, sessionId: null, egress: { allowHosts: null }, env: {}, ephemeral: false, createdAt: now, createdBy: null },
          hashToken(randomId('stn_px_', 46)),
          bindings,
        );
      }
    });
  }
  return {
    target,
    value,
    bindings: await core.store.sandboxes.countBindings(),
    newTarget,
    async stop() {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Child role: an instance with `extra` more bindings; makes new sandboxes when asked. */
async function runInstance(upstreamPort: number, extra: number): Promise<void> {
  const inst = await startInstance(upstreamPort, process.env.BENCH_UPSTREAM_CA_FILE ?? '', extra);
  process.on('message', (m: { newTarget?: string }) => {
    if (m.newTarget) void inst.newTarget(m.newTarget).then((t) => process.send?.(t));
  });
  process.on('disconnect', () => void inst.stop().then(() => process.exit(0)));
  process.send?.({ target: inst.target, bindings: inst.bindings });
}

// --- main ----------------------------------------------------------------------------------------

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (n: number): string => `${n.toFixed(3)} ms`;

function child(args: string[], env: Record<string, string> = {}): ChildProcess {
  return fork(SELF, args, { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function ask<T>(c: ChildProcess, msg?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    c.once('message', (m: any) => (m?.error ? reject(new Error(m.error)) : resolve(m as T)));
    if (msg !== undefined) c.send(msg as never);
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const { makeTestPki } = await import('../test/helpers/tls.js');

  const pki = await makeTestPki([NAME]);
  const upstream = child(['upstream'], { BENCH_CERT: JSON.stringify(pki.server) });
  const client = child(['client']);
  const [{ port }] = await Promise.all([ask<{ port: number }>(upstream), ask(client)]);
  const bareChild = child(['bare', String(port)], { BENCH_UPSTREAM_CA: pki.caPem });
  const bareInfo = await ask<{ url: string; caPem: string }>(bareChild);

  const main1 = await startInstance(port, pki.caFile, 0);
  const standin = main1.target;
  const value = main1.value;
  // Same header length everywhere, so bytes on the wire do not skew the comparison.
  const direct: Target = { name: 'direct', authorization: `Bearer ${value}`.padEnd(standin.authorization.length, 'x') };
  const bare: Target = { name: 'bare', proxyUrl: bareInfo.url, proxyCa: bareInfo.caPem, authorization: direct.authorization };
  const job = (kind: Job['kind'], targets: Target[], concurrency: number, perRound: number, rounds = ROUNDS, pids?: Record<string, number>) =>
    ask<JobResult>(client, { kind, port, upstreamCa: pki.caPem, targets, concurrency, perRound, rounds, pids } satisfies Job);

  const say = (s: string) => console.log(s);
  say(`standin proxy benchmark — node ${process.version}, ${cpus().length} CPUs; upstream, client and bare proxy in child processes; load average ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);

  // Concurrency 1: latency.
  const c1 = await job('latency', [direct, bare, standin], 1, 600);
  const p50 = (n: string) => pct(c1[n]!.lat, 50);
  say(`\nconcurrency 1, keep-alive (${c1.direct!.lat.length} requests per mode, ${ROUNDS} interleaved rounds)`);
  for (const n of ['direct', 'bare', 'standin']) say(`  ${n.padEnd(8)} p50 ${ms(pct(c1[n]!.lat, 50))}  p99 ${ms(pct(c1[n]!.lat, 99))}`);
  say(`  standin adds p50 ${ms(p50('standin') - p50('direct'))} to direct (target ≤ 0.3 ms); ${ms(p50('standin') - p50('bare'))} to the bare interception proxy`);

  // Concurrency 32: throughput, with every process's CPU per request in each mode.
  const profiler = process.env.BENCH_CPU_PROFILE ? await startProfile() : null;
  const c32 = await job('throughput', [direct, bare, standin], 32, 1000, ROUNDS, { upstream: upstream.pid!, bare: bareChild.pid!, standin: process.pid });
  if (profiler) await profiler.stop(process.env.BENCH_CPU_PROFILE as string);
  const rps = (n: string) => c32[n]!.rps;
  say(`\nconcurrency 32, keep-alive (${ROUNDS} interleaved rounds of 1 s per mode)`);
  say(`  direct   ${rps('direct').toFixed(0)} req/s`);
  say(`  bare     ${rps('bare').toFixed(0)} req/s  ratio ${(rps('bare') / rps('direct')).toFixed(2)}`);
  say(`  standin  ${rps('standin').toFixed(0)} req/s  ratio ${(rps('standin') / rps('direct')).toFixed(2)} (target ≥ 0.50); ${(rps('standin') / rps('bare')).toFixed(2)} of the bare proxy`);
  // Client, upstream and proxy share this machine's CPUs: once they are all busy, a mode's
  // requests/s is about (CPUs / its CPU per request), so the ratio to direct cannot exceed the
  // ratio of their CPU per request, however fast the proxy's own part is.
  const cpuOf = (n: string, role: string) => c32[n]!.cpu[role] ?? 0;
  const proxyRole = (n: string) => (n === 'direct' ? null : n);
  const total = (n: string) => cpuOf(n, 'client') + cpuOf(n, 'upstream') + (proxyRole(n) ? cpuOf(n, proxyRole(n)!) : 0);
  say(`  CPU per request, µs (client + upstream + proxy = total; CPUs in use)`);
  for (const n of ['direct', 'bare', 'standin']) {
    const p = proxyRole(n);
    say(`    ${n.padEnd(8)} ${cpuOf(n, 'client').toFixed(0)} + ${cpuOf(n, 'upstream').toFixed(0)} + ${p ? cpuOf(n, p).toFixed(0) : '0'} = ${total(n).toFixed(0)}; ${((total(n) * rps(n)) / 1e6).toFixed(2)} of ${cpus().length}`);
  }
  say(`  with the CPUs saturated, the ratio to direct is bounded by ${(total('direct') / total('standin')).toFixed(2)} for standin and ${(total('direct') / total('bare')).toFixed(2)} for the bare proxy`);

  // New connections: each request on a new connection, with a full TLS handshake and resumed.
  const nc = await job('newconn', [direct, bare, standin], 1, 30);
  const rc = await job('resumed', [direct, bare, standin], 1, 30);
  const keepAlive = p50('standin');
  say(`\nnew connection per request (${nc.direct!.lat.length} per mode, interleaved), p50: full TLS handshake / TLS session resumed`);
  const both = (n: string) => `${ms(pct(nc[n]!.lat, 50))} / ${ms(pct(rc[n]!.lat, 50))}`;
  say(`  direct   ${both('direct')}  (TCP + TLS to the upstream)`);
  say(`  bare     ${both('bare')}  (TCP + CONNECT + TLS to the proxy; upstream pooled)`);
  say(`  standin  ${both('standin')}`);
  const added = (r: JobResult) => ms(pct(r.standin!.lat, 50) - pct(r.direct!.lat, 50));
  say(`  a new connection through standin adds ${added(nc)} / ${added(rc)} to a new direct one (target ≤ 3 ms)`);
  say(`  and costs ${ms(pct(nc.standin!.lat, 50) - keepAlive)} / ${ms(pct(rc.standin!.lat, 50) - keepAlive)} more than a kept-alive request through standin`);

  // 10 vs 100,000 bindings: two instances alike but for the store, in child processes, measured
  // in interleaved rounds like the modes above.
  const t0 = Date.now();
  const small = child(['instance', String(port), '9'], { BENCH_UPSTREAM_CA_FILE: pki.caFile });
  const big = child(['instance', String(port), '100000'], { BENCH_UPSTREAM_CA_FILE: pki.caFile });
  const [si, bi] = await Promise.all([ask<{ target: Target; bindings: number }>(small), ask<{ target: Target; bindings: number }>(big)]);
  const s10: Target = { ...si.target, name: 'small' };
  const s100k: Target = { ...bi.target, name: 'big' };
  const setup = Date.now() - t0;
  const bl = await job('latency', [s10, s100k], 1, 400, 4);
  const bt = await job('throughput', [s10, s100k], 32, 1000, 3);
  // A fresh sandbox's first request misses every cache and looks its binding up among 100k.
  const colds: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await job('newconn', [await ask<Target>(big, { newTarget: 'cold' })], 1, 1, 1);
    colds.push(r.cold!.lat[0]!);
  }
  const s50 = pct(bl.small!.lat, 50);
  const b50 = pct(bl.big!.lat, 50);
  const change = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)}%`;
  say(`\nbindings in the store: ${si.bindings} vs ${bi.bindings} (two instances in child processes, set up in ${setup} ms; interleaved rounds)`);
  say(`  c=1 p50   ${ms(s50)} vs ${ms(b50)}  (${change(s50, b50)}; target within 10%)`);
  say(`  c=32      ${bt.small!.rps.toFixed(0)} vs ${bt.big!.rps.toFixed(0)} req/s  (${change(bt.small!.rps, bt.big!.rps)})`);
  say(`  first request of a new sandbox among 100k bindings (cold caches, new tunnel): p50 ${ms(pct(colds, 50))}`);
  for (const c of [small, big]) c.disconnect();

  say(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const c of [upstream, client, bareChild]) c.kill();
  await main1.stop();
}

const role = process.argv[2] ?? 'main';
if (role === 'upstream') runUpstream(JSON.parse(process.env.BENCH_CERT ?? '{}'));
else if (role === 'client') void runClient();
else if (role === 'bare') void runBareProxy(Number(process.argv[3]), process.env.BENCH_UPSTREAM_CA ?? '');
else if (role === 'instance') void runInstance(Number(process.argv[3]), Number(process.argv[4]));
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
