// Two processes on one SQLite file, as when `standin keyring rotate` (or `init`) runs beside a
// server: both append to the same tenant's audit chain at once, each append in a transaction that
// read first. Every append must commit, and the chain must come out whole, with no seq taken twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/store.js';
import { randomId } from '../../src/crypto/tokens.js';
import { appendSlowly } from './sqlite-processes.shared.js';

const CHILD = fileURLToPath(new URL('./fixtures/append-audit.ts', import.meta.url));
const N = 120;

test('two processes appending to one audit chain on SQLite: every append commits and the chain verifies', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'standin-2proc-'));
  const url = `sqlite:${join(dir, 'standin.db')}`;
  const store = await Store.open(url, { listen: false });
  const tenantId = randomId('ten_');
  await store.tenancy.createTenant({ id: tenantId, name: 'acme', wrappedDek: randomBytes(60), createdAt: new Date().toISOString() });
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, url, tenantId, String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => out.includes('ready\n') && (clearInterval(t), resolve()), 10);
      proc.once('exit', (code) => (clearInterval(t), reject(new Error(`the child exited (${code}) before it was ready`))));
    });
    proc.stdin.write('go\n');
    const mine = await appendSlowly(store, tenantId, 'parent', N);
    assert.equal(await exited, 0);
    const theirs = JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as typeof mine;
    // They really ran at the same time (each appends while the other's loop is running).
    assert.ok(theirs.startedAt < mine.endedAt && mine.startedAt < theirs.endedAt, 'the two processes overlapped');
    const summary = (r: typeof mine) => ({ ok: r.ok, failed: r.failed, errors: r.errors });
    assert.deepEqual(summary(mine), { ok: N, failed: 0, errors: [] }, 'every append of this process committed');
    assert.deepEqual(summary(theirs), { ok: N, failed: 0, errors: [] }, 'every append of the other process committed');
    const chain = await store.audit.chain(tenantId);
    assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 2 * N }, (_, i) => i + 1));
    assert.equal(chain.filter((r) => r.actor === 'child').length, N);
    const report = await store.audit.verify(tenantId);
    assert.equal(report.ok, true, JSON.stringify(report));
  } finally {
    proc.kill();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
