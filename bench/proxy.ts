/**
 * Proxy benchmark (issue 3): keep-alive HTTPS requests carrying a placeholder to a local
 * upstream, directly vs through standin, measured in one run so the ratios compare like with like.
 *
 *   npx tsx bench/proxy.ts
 *
 * Layout: standin runs in this process (as in production, with its real logger, SQLite store and
 * batched event writer); the upstream and the load generator are child processes, so neither
 * shares standin's event loop. Everything stays on 127.0.0.1.
 *
 * Figures: concurrency 1 (p50/p99, added p50), concurrency 32 (req/s and ratio), the cost of a new
 * connection, and per-request cost with 10 vs 100,000 bindings in the store. Bounded: fixed
 * request counts and durations, well under 60 s in total.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const NAME = 'api.openai.com';
const role = process.argv[2] ?? 'main';

// --- child: the upstream -------------------------------------------------------------------------

function runUpstream(cert: { cert: string; key: string }): void {
  const body = JSON.stringify({ object: 'list', data: [{ id: 'gpt-bench', object: 'model' }] });
  const server = https.createServer({ ...cert, keepAliveTimeout: 60_000 }, (req, res) => {
    // Touch the header the proxy swapped, like a real API would.
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

// --- child: the load generator -------------------------------------------------------------------

interface LoadJob {
  kind: 'latency' | 'throughput' | 'newconn';
  via: 'direct' | 'proxy';
  concurrency: number;
  count: number;
  ms?: number;
  port: number;
  authorization: string;
  upstreamCa: string;
  proxyUrl?: string;
  proxyCa?: string;
}

async function runClient(): Promise<void> {
  const { Pool, ProxyAgent, Client } = await import('undici');
  const dispatcherFor = (job: LoadJob, connections: number) =>
    job.via === 'direct'
      ? new Pool(`https://127.0.0.1:${job.port}`, { connections, pipelining: 1, connect: { ca: job.upstreamCa, servername: NAME } })
      : new ProxyAgent({ uri: job.proxyUrl!, requestTls: { ca: job.proxyCa!, servername: NAME }, clientFactory: (origin, opts) => new Pool(origin, { ...opts, connections, pipelining: 1 }) });
  const url = (job: LoadJob) => (job.via === 'direct' ? '/v1/models' : `https://${NAME}:${job.port}/v1/models`);
  const one = async (d: import('undici').Dispatcher, job: LoadJob): Promise<number> => {
    const t = process.hrtime.bigint();
    const opts = { method: 'GET' as const, headers: { authorization: job.authorization, host: `${NAME}:${job.port}` } };
    const r = job.via === 'direct' ? await d.request({ ...opts, path: url(job) }) : await (await import('undici')).request(url(job), { ...opts, dispatcher: d });
    await r.body.dump();
    if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };

  process.on('message', async (job: LoadJob) => {
    try {
      if (job.kind === 'newconn') {
        // Every request on a fresh connection (fresh TLS, fresh tunnel), sequentially.
        const lat: number[] = [];
        for (let i = 0; i < job.count; i++) {
          const d =
            job.via === 'direct'
              ? new Client(`https://127.0.0.1:${job.port}`, { connect: { ca: job.upstreamCa, servername: NAME, maxCachedSessions: 0 } })
              : new ProxyAgent({ uri: job.proxyUrl!, requestTls: { ca: job.proxyCa!, servername: NAME, maxCachedSessions: 0 } });
          lat.push(await one(d, job));
          await d.close();
        }
        return process.send?.({ lat });
      }
      const d = dispatcherFor(job, job.concurrency);
      for (let i = 0; i < Math.min(200, job.count); i++) await one(d, job); // warm: connections, caches, JIT
      await Promise.all(Array.from({ length: job.concurrency }, () => one(d, job)));
      const lat: number[] = [];
      let done = 0;
      const t0 = process.hrtime.bigint();
      const deadline = job.ms ? Date.now() + job.ms : Infinity;
      await Promise.all(
        Array.from({ length: job.concurrency }, async () => {
          while (done < job.count && Date.now() < deadline) {
            done++;
            lat.push(await one(d, job));
          }
        }),
      );
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      await d.close();
      process.send?.({ lat: job.kind === 'latency' ? lat : [], rps: lat.length / secs });
    } catch (e) {
      process.send?.({ error: String((e as Error).stack ?? e) });
    }
  });
  process.send?.({ ready: true });
}

// --- main ----------------------------------------------------------------------------------------

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const f2 = (n: number): string => n.toFixed(3);

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
  const { loadConfig } = await import('../src/config.js');
  const { start } = await import('../src/main.js');
  const { randomId, hashToken } = await import('../src/crypto/tokens.js');

  const pki = await makeTestPki([NAME]);
  const upstream = child(['upstream'], { BENCH_CERT: JSON.stringify(pki.server) });
  const client = child(['client']);
  const [{ port }] = await Promise.all([ask<{ port: number }>(upstream), ask(client)]);

  const dataDir = mkdtempSync(join(tmpdir(), 'standin-bench-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() }); // logs are produced, then dropped
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', proxyPort: '0', dataDir, databaseUrl: `sqlite:${join(dataDir, 'standin.db')}`, logLevel: 'info' },
    { STANDIN_RESOLVE: `${NAME}=127.0.0.1`, STANDIN_UPSTREAM_CA_FILE: pki.caFile, STANDIN_EGRESS_ALLOW: '127.0.0.1' },
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
  await api('POST', '/v1/secrets', { name: 'openai', value, provider: 'openai', hosts: [`${NAME}:${port}`] });
  const sbx = await api('POST', '/v1/sandboxes', { secrets: { OPENAI_API_KEY: 'openai' } });
  const placeholder: string = sbx.env.OPENAI_API_KEY;
  const base = { port, upstreamCa: pki.caPem, proxyUrl: sbx.proxyUrl as string, proxyCa: sbx.caCertPem as string };
  const direct = { ...base, via: 'direct' as const, authorization: `Bearer ${value}` };
  const proxied = { ...base, via: 'proxy' as const, authorization: `Bearer ${placeholder}` };
  // Same header length both ways, so the comparison is not skewed by bytes on the wire.
  direct.authorization = direct.authorization.padEnd(proxied.authorization.length, 'x');

  type R = { lat: number[]; rps: number };
  const latency = (job: object) => ask<R>(client, { kind: 'latency', concurrency: 1, count: 3000, ...job });
  const throughput = (job: object) => ask<R>(client, { kind: 'throughput', concurrency: 32, count: 1_000_000, ms: 3000, ...job });
  const newconn = (job: object) => ask<R>(client, { kind: 'newconn', concurrency: 1, count: 150, ...job });

  const out: string[] = [];
  const say = (s: string) => {
    out.push(s);
    console.log(s);
  };
  say(`standin proxy benchmark — node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, upstream and client in child processes`);

  // Concurrency 1: latency.
  const d1 = await latency(direct);
  const p1 = await latency(proxied);
  const addedP50 = pct(p1.lat, 50) - pct(d1.lat, 50);
  say(`\nconcurrency 1, keep-alive (${d1.lat.length} requests each)`);
  say(`  direct   p50 ${f2(pct(d1.lat, 50))} ms  p99 ${f2(pct(d1.lat, 99))} ms`);
  say(`  standin  p50 ${f2(pct(p1.lat, 50))} ms  p99 ${f2(pct(p1.lat, 99))} ms`);
  say(`  added p50 ${f2(addedP50)} ms (target ≤ 0.3 ms)`);

  // Concurrency 32: throughput.
  const d32 = await throughput(direct);
  const cpu0 = process.cpuUsage();
  const p32 = await throughput(proxied);
  const cpu = process.cpuUsage(cpu0);
  const cpuPerReq = (cpu.user + cpu.system) / (p32.rps * 3 + 232); // µs of standin CPU per request (incl. warm-up)
  say(`\nconcurrency 32, keep-alive (3 s each)`);
  say(`  direct   ${d32.rps.toFixed(0)} req/s`);
  say(`  standin  ${p32.rps.toFixed(0)} req/s`);
  say(`  ratio ${(p32.rps / d32.rps).toFixed(2)} (target ≥ 0.50)`);
  say(`  standin CPU per proxied request ${cpuPerReq.toFixed(0)} µs (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms)`);

  // New connections.
  const dn = await newconn(direct);
  const pn = await newconn(proxied);
  say(`\nnew connection per request (${dn.lat.length} each; TLS without resumption on the client side)`);
  say(`  direct   p50 ${f2(pct(dn.lat, 50))} ms   (a fresh TLS connection to the upstream)`);
  say(`  standin  p50 ${f2(pct(pn.lat, 50))} ms   (CONNECT + TLS to standin; upstream pooled)`);
  say(`  added vs direct new connection ${f2(pct(pn.lat, 50) - pct(dn.lat, 50))} ms; vs standin keep-alive ${f2(pct(pn.lat, 50) - pct(p1.lat, 50))} ms (target ≤ 3 ms)`);

  // 10 vs 100,000 bindings.
  const before = core.store.sandboxes ? await core.store.sandboxes.countBindings() : 0;
  const t0 = Date.now();
  await core.store.transaction(async (tx) => {
    const now = new Date().toISOString();
    for (let s = 0; s < 100; s++) {
      const id = randomId('sbx_');
      const bindings = Array.from({ length: 1000 }, (_, i) => ({
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
  const after = await core.store.sandboxes.countBindings();
  say(`\nbindings: ${before} → ${after} (inserted in ${Date.now() - t0} ms, one transaction)`);
  const p1Big = await latency(proxied);
  const p32Big = await throughput(proxied);
  // A fresh sandbox: its first request misses every cache and looks its binding up by hash.
  const cold = async () => {
    const sb = await api('POST', '/v1/sandboxes', { secrets: { OPENAI_API_KEY: 'openai' } });
    const r = await ask<R>(client, { kind: 'newconn', concurrency: 1, count: 1, ...base, via: 'proxy', proxyUrl: sb.proxyUrl, proxyCa: sb.caCertPem, authorization: `Bearer ${sb.env.OPENAI_API_KEY}` });
    return r.lat[0] as number;
  };
  const colds: number[] = [];
  for (let i = 0; i < 15; i++) colds.push(await cold());
  say(`  c=1 p50   10 bindings ${f2(pct(p1.lat, 50))} ms  vs 100k ${f2(pct(p1Big.lat, 50))} ms  ratio ${(pct(p1Big.lat, 50) / pct(p1.lat, 50)).toFixed(2)} (target within 10%)`);
  say(`  c=32 rps  10 bindings ${p32.rps.toFixed(0)}  vs 100k ${p32Big.rps.toFixed(0)}  ratio ${(p32Big.rps / p32.rps).toFixed(2)}`);
  say(`  first request of a new sandbox with 100k bindings stored (cold caches, new tunnel): p50 ${f2(pct(colds, 50))} ms`);

  say(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
  upstream.kill();
  client.kill();
  await running.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

if (role === 'upstream') runUpstream(JSON.parse(process.env.BENCH_CERT ?? '{}'));
else if (role === 'client') void runClient();
else
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });

void tls;
