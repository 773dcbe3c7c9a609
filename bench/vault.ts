// Vault throughput: secrets create / list / resolve per second on SQLite and (when reachable)
// PostgreSQL, through the services layer and through the HTTP API in-process (app.request, no
// socket). The baseline, measured in the same run on the same database, is the raw store insert
// of the same rows (one transaction each) without encryption and without the audit row, so the
// ratio shows what encryption + audit cost.
//
//   npx tsx bench/vault.ts            # 2,000 secrets per dialect
//   BENCH_N=500 npx tsx bench/vault.ts
//
// Bounded: every phase stops after BENCH_N operations or BENCH_PHASE_SECONDS (default 5 s),
// whichever comes first, and reports the rate over what it did.
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Store } from '../src/store/store.js';
import { Keyring, generateRootKey } from '../src/crypto/keyring.js';
import { ValueCipher } from '../src/crypto/vault-cipher.js';
import { Scrubber } from '../src/log/scrubber.js';
import { createLogger } from '../src/log/logger.js';
import { createServices, type Services } from '../src/services/index.js';
import { buildApi } from '../src/api/app.js';
import { resolveSecret } from '../src/core/scope.js';
import { randomId } from '../src/crypto/tokens.js';
import type { SecretMeta } from '../src/core/types.js';
import { createTestDatabase, pgAvailable } from '../test/helpers/pg.js';

const N = Number(process.env.BENCH_N ?? 2000);
const HTTP_N = Math.min(N, Number(process.env.BENCH_HTTP_N ?? 1000));
const PHASE_SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 5);

interface Row {
  dialect: string;
  phase: string;
  ops: number;
  seconds: number;
  note?: string;
}
const rows: Row[] = [];

/** Runs `op(i)` for i = 0.. until `count` or the phase time limit; records and returns ops/s. */
async function phase(dialect: string, name: string, count: number, op: (i: number) => Promise<unknown>, note?: string): Promise<number> {
  const deadline = performance.now() + PHASE_SECONDS * 1000;
  const t0 = performance.now();
  let i = 0;
  for (; i < count && performance.now() < deadline; i++) await op(i);
  const seconds = (performance.now() - t0) / 1000;
  rows.push({ dialect, phase: name, ops: i, seconds, note: note ?? (i < count ? `stopped at the ${PHASE_SECONDS} s limit` : undefined) });
  return i / seconds;
}

async function database(dialect: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'postgres') return createTestDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'standin-bench-'));
  return { url: `sqlite:${join(dir, 'standin.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function bench(dialect: 'sqlite' | 'postgres'): Promise<void> {
  const db = await database(dialect);
  const store = await Store.open(db.url);
  const keyring = new Keyring([generateRootKey()]);
  const cipher = new ValueCipher({ keyring, dekFor: async (t) => Buffer.from((await store.tenancy.wrappedDek(t)) as Uint8Array) });
  const scrubber = new Scrubber();
  const services: Services = createServices({ store, cipher, scrubber }, { proxyUrl: () => 'http://127.0.0.1:1', caCertPem: () => '' });
  try {
    const init = await services.tenancy.initialize();
    if (!init) throw new Error('store was not empty');
    const actor = await services.keys.authenticate(init.apiKey, null);
    const value = (i: number) => `sk-bench-${i}-${randomBytes(16).toString('hex')}`;

    // Baseline: the same secret + version rows, one transaction each, random bytes as "ciphertext", no audit.
    const baselineTenant = randomId('ten_');
    await store.tenancy.createTenant({ id: baselineTenant, name: 'baseline', wrappedDek: randomBytes(60), createdAt: new Date().toISOString() });
    const baseline = await phase(dialect, 'store insert, no crypto/audit (baseline)', N, async (i) => {
      const now = new Date().toISOString();
      const meta: SecretMeta = {
        id: randomId('sec_'), tenantId: baselineTenant, name: `raw-${i}`, type: 'token', provider: null, scope: 'tenant', scopeRef: '',
        hosts: ['api.example.com'], exposeAs: 'RAW', description: null, preview: null, version: 1, allowInsecureHttp: false,
        bodyPlaceholders: false, autoBind: false, createdAt: now, updatedAt: now, lastUsedAt: null, createdBy: null,
      };
      await store.transaction((tx) => tx.secrets.create(meta, { valueBlob: randomBytes(75), usernameBlob: null, preview: 'abcd' }));
    });

    const created = await phase(dialect, 'secrets.create (services: encrypt + audit)', N, (i) =>
      services.secrets.create(actor, { name: `svc-${String(i).padStart(5, '0')}`, value: value(i), hosts: ['api.example.com'] }));
    const made = rows[rows.length - 1]!.ops;
    const createRow = rows[rows.length - 1]!;
    createRow.note = [`${(baseline / created).toFixed(1)}× the baseline's time per secret`, createRow.note].filter(Boolean).join('; ');

    // Walk all pages of the secrets just made, five times over.
    const pages = Math.max(1, Math.ceil(made / 100));
    let listed = 0;
    let lastCursor: string | null = null;
    await phase(dialect, 'secrets.list, pages of 100 (services)', pages * 5, async (i) => {
      const page = await services.secrets.list(actor, { namePrefix: 'svc-', limit: 100, cursor: i % pages === 0 ? null : lastCursor });
      lastCursor = page.nextCursor;
      listed += page.data.length;
    });
    const pageRow = rows[rows.length - 1]!;
    pageRow.note = `${Math.round(listed / pageRow.seconds)} secrets/s listed`;

    // Resolve: what the proxy does per placeholder: candidates by name, scope walk, decrypt.
    const coords = { tenantId: init.tenantId, userId: actor.userId, sandboxId: 'sbx_bench' };
    await phase(dialect, 'resolve + decrypt (byName, scope walk, reveal)', N, async (i) => {
      // A sandbox's view: the name resolves at tenant scope (no narrower copies exist).
      const name = `svc-${String((i * 7919) % made).padStart(5, '0')}`;
      const r = resolveSecret(await store.secrets.byName(init.tenantId, name), name, coords);
      if (!r.secret) throw new Error(`${name} did not resolve`);
      await services.secrets.reveal(init.tenantId, r.secret.id, r.secret.version);
    });

    await phase(dialect, 'secrets.rotate (services)', Math.min(N, 1000), (i) =>
      services.secrets.rotate(actor, `svc-${String(i % made).padStart(5, '0')}`, { value: value(i + N) }));

    // Through the HTTP API in-process: auth, rate-limit counters, validation, the request log line.
    const api = buildApi({
      services, log: createLogger({ level: 'info', scrubber, destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      limits: { perKey: 1e9, perTenant: 1e9, writesPerKey: 1e9 }, ready: async () => true,
    });
    const headers = { authorization: `Bearer ${init.apiKey}`, 'content-type': 'application/json' };
    await phase(dialect, 'POST /v1/secrets (HTTP in-process)', HTTP_N, async (i) => {
      const res = await api.request('/v1/secrets', { method: 'POST', headers, body: JSON.stringify({ name: `http-${i}`, value: value(i), hosts: ['api.example.com'] }) });
      if (res.status !== 201) throw new Error(`POST /v1/secrets: ${res.status} ${await res.text()}`);
    });
    await phase(dialect, 'GET /v1/secrets?limit=100 (HTTP in-process)', 500, async (i) => {
      const res = await api.request(`/v1/secrets?limit=100&prefix=${i % 2 ? 'svc-' : 'http-'}`, { headers });
      if (res.status !== 200) throw new Error(`GET /v1/secrets: ${res.status}`);
      await res.arrayBuffer();
    });
    const chain = await services.audit.verify(actor);
    if (!chain.ok) throw new Error('audit chain broken after the benchmark');
  } finally {
    await store.close();
    await db.drop();
  }
}

const started = performance.now();
console.log(`standin vault benchmark: N=${N} (HTTP ${HTTP_N}), phases capped at ${PHASE_SECONDS} s, node ${process.version}`);
await bench('sqlite');
// pgAvailable prints why PostgreSQL is skipped (STANDIN_TEST_PG_URL names another server).
if (await pgAvailable()) await bench('postgres');

const fmt = (r: Row) => [r.dialect.padEnd(9), r.phase.padEnd(48), String(r.ops).padStart(6), r.seconds.toFixed(2).padStart(8), Math.round(r.ops / r.seconds).toString().padStart(9), r.note ? `  ${r.note}` : ''].join(' ');
console.log(['dialect'.padEnd(9), 'phase'.padEnd(48), 'ops'.padStart(6), 'seconds'.padStart(8), 'ops/s'.padStart(9)].join(' '));
for (const r of rows) console.log(fmt(r));
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
