/**
 * Run records: one small JSON file per live `standin run`, written before it creates anything
 * (sandbox, namespace, veth, nftables table) and removed after it has removed them all. A record
 * whose process is gone marks leftovers of a crashed run: `standin doctor` lists them and
 * `--fix` removes them, and `standin run --isolate` removes them before it starts.
 *
 * Where: root → /run/standin (tmpfs: gone with a reboot, like the namespaces themselves);
 * others → $XDG_RUNTIME_DIR/standin, else ~/.local/state/standin. Directories 0700, files 0600.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NetRecord {
  netns: string;
  table: string;
  hostVeth: string;
  nsVeth: string;
  /** The /30's network address, e.g. 10.231.7.4. */
  subnet: string;
}

export interface RunRecord {
  runId: string;
  /** The `standin run` process that owns everything below. */
  pid: number;
  /** Its start time (clock ticks since boot, /proc/<pid>/stat field 22), so a reused pid is not mistaken for it. */
  pidStart: string | null;
  createdAt: string;
  /** The API and the ephemeral sandbox this run created (deleted when it ends); null when it used --sandbox or --keep. */
  apiUrl: string | null;
  sandboxId: string | null;
  net: NetRecord | null;
}

export function stateDir(env: Record<string, string | undefined> = process.env): string {
  if (env.STANDIN_RUN_DIR) return env.STANDIN_RUN_DIR;
  if (process.getuid?.() === 0) return '/run/standin';
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'standin');
  return join(homedir(), '.local', 'state', 'standin');
}

const runsDir = (dir: string) => join(dir, 'runs');
export const subnetsDir = (dir: string) => join(dir, 'subnets');

export function ensureStateDirs(dir = stateDir()): void {
  for (const d of [dir, runsDir(dir), subnetsDir(dir)]) mkdirSync(d, { recursive: true, mode: 0o700 });
}

/** Start time of a process, or null if it does not exist. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

/** Whether the process that wrote a record still runs (same pid, same start time). */
export function ownerAlive(r: Pick<RunRecord, 'pid' | 'pidStart'>): boolean {
  if (!Number.isInteger(r.pid) || r.pid <= 0) return false;
  try {
    process.kill(r.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux' || r.pidStart === null) return true;
  return processStart(r.pid) === r.pidStart;
}

export function writeRecord(r: RunRecord, dir = stateDir()): void {
  ensureStateDirs(dir);
  const path = join(runsDir(dir), `${r.runId}.json`);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(r) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeRecord(runId: string, dir = stateDir()): void {
  rmSync(join(runsDir(dir), `${runId}.json`), { force: true });
}

export function readRecords(dir = stateDir()): RunRecord[] {
  let names: string[];
  try {
    names = readdirSync(runsDir(dir));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const n of names) {
    if (!/^[0-9a-f]{8}\.json$/.test(n)) continue;
    try {
      const r = JSON.parse(readFileSync(join(runsDir(dir), n), 'utf8')) as RunRecord;
      if (r && typeof r.runId === 'string' && typeof r.pid === 'number') out.push(r);
    } catch {
      /* a half-written or foreign file: ignored */
    }
  }
  return out;
}

export function newRecord(runId: string, fields: Partial<RunRecord> = {}): RunRecord {
  return { runId, pid: process.pid, pidStart: processStart(process.pid), createdAt: new Date().toISOString(), apiUrl: null, sandboxId: null, net: null, ...fields };
}
