/**
 * Creates and removes the network of one isolated run: a named network namespace, a veth pair
 * with a private /30 (host side .1, namespace side .2), the namespace's resolv.conf, and the
 * host-side nftables table (plan.ts). Removal goes by name and tolerates objects that are
 * already gone, so it serves the normal end of a run, a failed start half-way, and `doctor --fix`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NETNS_RE, TABLE_RE, VETH_RE, candidateSubnets, ipToInt, namesFor, nftRuleset, type ListenerPorts, type NetNames, type Subnet } from './plan.js';
import { mustTool, tool, type Tools } from './system.js';
import { ownerAlive, readRecords, removeRecord, stateDir, subnetsDir, type NetRecord, type RunRecord } from '../state.js';

export interface IsolatedNet extends NetNames {
  subnet: Subnet;
}

/** Prefixes on the host that a /30 must not overlap: its addresses and non-default routes. */
async function prefixesInUse(t: Tools): Promise<Array<{ base: number; size: number }>> {
  const out: Array<{ base: number; size: number }> = [];
  const add = (cidr: string) => {
    const [ip, len] = cidr.split('/');
    if (!ip || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return;
    const bits = len === undefined ? 32 : Number(len);
    if (bits === 0) return; // the default route overlaps everything by definition
    const size = 2 ** (32 - bits);
    out.push({ base: Math.floor(ipToInt(ip) / size) * size, size });
  };
  const addrs = await tool(t.ip, ['-4', '-o', 'addr', 'show']);
  for (const m of addrs.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) add(m[1]!);
  const routes = await tool(t.ip, ['-4', 'route', 'show', 'table', 'all']);
  for (const line of routes.stdout.split('\n')) {
    const first = line.trim().split(/\s+/)[0] ?? '';
    const dest = /^(local|broadcast|unicast|blackhole|unreachable|prohibit)$/.test(first) ? line.trim().split(/\s+/)[1] ?? '' : first;
    if (dest && dest !== 'default') add(dest);
  }
  return out;
}

/**
 * Claims a free /30: one that overlaps nothing on the host, locked by an exclusive file in the
 * state dir so concurrent runs never pick the same one. A lock whose run is gone is taken over.
 */
export async function allocateSubnet(t: Tools, runId: string, pool: string, dir = stateDir()): Promise<Subnet> {
  const inUse = await prefixesInUse(t);
  const live = new Set(readRecords(dir).filter(ownerAlive).map((r) => r.runId));
  for (const s of candidateSubnets(pool, inUse)) {
    const lock = join(subnetsDir(dir), s.network);
    try {
      writeFileSync(lock, runId, { flag: 'wx', mode: 0o600 });
      return s;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = '';
      try {
        owner = readFileSync(lock, 'utf8').trim();
      } catch {
        /* raced with its removal */
      }
      if (owner && !live.has(owner)) {
        rmSync(lock, { force: true });
        try {
          writeFileSync(lock, runId, { flag: 'wx', mode: 0o600 });
          return s;
        } catch {
          /* someone else took it meanwhile */
        }
      }
    }
  }
  throw new Error(`--isolate found no free /30 in ${pool} (set STANDIN_ISOLATE_POOL to another private range)`);
}

export function releaseSubnet(network: string, runId: string, dir = stateDir()): void {
  const lock = join(subnetsDir(dir), network);
  try {
    if (readFileSync(lock, 'utf8').trim() === runId) rmSync(lock, { force: true });
  } catch {
    /* gone already */
  }
}

const netnsEtc = (netns: string) => join('/etc/netns', netns);

/**
 * Builds namespace, veth pair, addresses, routes and resolv.conf. Throws after undoing nothing:
 * the caller removes by name (removeNet) whatever got created.
 */
export async function createNet(t: Tools, runId: string, subnet: Subnet): Promise<IsolatedNet> {
  const n = namesFor(runId);
  await mustTool(t.ip, ['netns', 'add', n.netns]);
  await mustTool(t.ip, ['link', 'add', n.hostVeth, 'type', 'veth', 'peer', 'name', n.nsVeth, 'netns', n.netns]);
  // The host side answers nothing over IPv6 (nftables drops it anyway; this keeps it quiet).
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${n.hostVeth}/disable_ipv6`, '1');
  } catch {
    /* IPv6 not compiled in */
  }
  await mustTool(t.ip, ['addr', 'add', `${subnet.hostAddr}/30`, 'dev', n.hostVeth]);
  await mustTool(t.ip, ['link', 'set', n.hostVeth, 'up']);
  await mustTool(t.ip, ['-n', n.netns, 'link', 'set', 'lo', 'up']);
  await mustTool(t.ip, ['-n', n.netns, 'addr', 'add', `${subnet.nsAddr}/30`, 'dev', n.nsVeth]);
  await mustTool(t.ip, ['-n', n.netns, 'link', 'set', n.nsVeth, 'up']);
  await mustTool(t.ip, ['-n', n.netns, 'route', 'add', 'default', 'via', subnet.hostAddr]);
  // No IPv6 inside: no address but ::1, so no route out by v6 either.
  await tool(t.ip, ['netns', 'exec', n.netns, '/bin/sh', '-c', 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done 2>/dev/null; true']);
  // `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf over /etc/resolv.conf.
  mkdirSync(netnsEtc(n.netns), { recursive: true, mode: 0o755 });
  writeFileSync(join(netnsEtc(n.netns), 'resolv.conf'), `# standin run --isolate: every name resolves through standin\nnameserver ${subnet.hostAddr}\noptions attempts:2 timeout:2\n`, { mode: 0o644 });
  return { ...n, subnet };
}

/** Installs the run's nftables table (atomically: `nft -f` applies all of it or nothing). */
export async function applyRules(t: Tools, net: IsolatedNet, ports: ListenerPorts): Promise<void> {
  await mustTool(t.nft, ['-f', '-'], { input: nftRuleset(net, net.subnet, ports) });
}

/** Processes still inside a namespace (a daemon the command left behind). */
async function pidsIn(t: Tools, netns: string): Promise<number[]> {
  const r = await tool(t.ip, ['netns', 'pids', netns]);
  return r.code === 0 ? r.stdout.split(/\s+/).filter(Boolean).map(Number).filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid) : [];
}

/**
 * Removes everything of one run's network by name; each step tolerates "already gone". Returns
 * the steps that failed for another reason (empty when clean).
 */
export async function removeNet(t: Tools, r: NetRecord, opts: { killLeftovers?: boolean } = {}): Promise<string[]> {
  const problems: string[] = [];
  const gone = (stderr: string) => /No such file|Cannot find|does not exist|not exist|No such device|Could not process rule/i.test(stderr);
  if (opts.killLeftovers !== false) {
    // Whatever the command left running in its namespace was started by it: end it with the run.
    for (const pid of await pidsIn(t, r.netns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
  }
  const del = await tool(t.nft, ['delete', 'table', 'inet', r.table]);
  if (del.code !== 0 && !gone(del.stderr)) problems.push(`nft delete table inet ${r.table}: ${del.stderr.trim()}`);
  const link = await tool(t.ip, ['link', 'del', r.hostVeth]);
  if (link.code !== 0 && !gone(link.stderr)) problems.push(`ip link del ${r.hostVeth}: ${link.stderr.trim()}`);
  const ns = await tool(t.ip, ['netns', 'del', r.netns]);
  if (ns.code !== 0 && !gone(ns.stderr)) problems.push(`ip netns del ${r.netns}: ${ns.stderr.trim()}`);
  if (NETNS_RE.test(r.netns)) rmSync(netnsEtc(r.netns), { recursive: true, force: true });
  return problems;
}

export interface Leftover {
  kind: 'netns' | 'veth' | 'nft table' | 'run record' | 'subnet lock';
  name: string;
  runId: string;
  /** The owning process, when a record names one. */
  pid: number | null;
  /** True when its owner is gone (or unknown): safe to remove. */
  stale: boolean;
}

/** Everything on the host that carries standin's name prefixes, with its owner's liveness. */
export async function findLeftovers(t: Partial<Tools>, dir = stateDir()): Promise<Leftover[]> {
  const records = new Map(readRecords(dir).map((r) => [r.runId, r]));
  const status = (runId: string): { pid: number | null; stale: boolean } => {
    const r = records.get(runId);
    return r ? { pid: r.pid, stale: !ownerAlive(r) } : { pid: null, stale: true };
  };
  const out: Leftover[] = [];
  if (t.ip) {
    const ns = await tool(t.ip, ['netns', 'list']);
    for (const line of ns.stdout.split('\n')) {
      const m = NETNS_RE.exec(line.trim().split(/\s+/)[0] ?? '');
      if (m) out.push({ kind: 'netns', name: m[0], runId: m[1]!, ...status(m[1]!) });
    }
    const links = await tool(t.ip, ['-o', 'link', 'show']);
    for (const m of links.stdout.matchAll(/^\d+:\s+([^:@\s]+)/gm)) {
      const v = VETH_RE.exec(m[1]!);
      if (v) out.push({ kind: 'veth', name: v[0], runId: v[1]!, ...status(v[1]!) });
    }
  }
  if (t.nft) {
    const tables = await tool(t.nft, ['list', 'tables']);
    for (const line of tables.stdout.split('\n')) {
      const m = /^table inet (\S+)$/.exec(line.trim());
      const n = m ? TABLE_RE.exec(m[1]!) : null;
      if (n) out.push({ kind: 'nft table', name: `inet ${n[0]}`, runId: n[1]!, ...status(n[1]!) });
    }
  }
  for (const r of records.values()) out.push({ kind: 'run record', name: r.runId, runId: r.runId, pid: r.pid, stale: !ownerAlive(r) });
  try {
    for (const f of readdirSync(subnetsDir(dir))) {
      let owner = '';
      try {
        owner = readFileSync(join(subnetsDir(dir), f), 'utf8').trim();
      } catch {
        continue;
      }
      out.push({ kind: 'subnet lock', name: f, runId: owner, ...status(owner) });
    }
  } catch {
    /* no state dir yet */
  }
  return out;
}

/**
 * Removes the stale leftovers (never those of a live run). `deleteSandbox` is asked to remove the
 * ephemeral sandbox a crashed run left on the server; it may decline (another server). Returns
 * what was removed and what could not be.
 */
export async function removeStale(
  t: Partial<Tools>,
  deleteSandbox: ((r: RunRecord) => Promise<string | null>) | null,
  dir = stateDir(),
): Promise<{ removed: string[]; problems: string[] }> {
  const leftovers = (await findLeftovers(t, dir)).filter((l) => l.stale);
  const records = new Map(readRecords(dir).map((r) => [r.runId, r]));
  const removed: string[] = [];
  const problems: string[] = [];
  const runIds = new Set(leftovers.map((l) => l.runId).filter((id) => /^[0-9a-f]{8}$/.test(id)));
  for (const runId of runIds) {
    const n = namesFor(runId);
    const rec = records.get(runId);
    const net: NetRecord = rec?.net ?? { netns: n.netns, table: n.table, hostVeth: n.hostVeth, nsVeth: n.nsVeth, subnet: '' };
    const kinds = leftovers.filter((l) => l.runId === runId);
    if (t.ip && t.nft && kinds.some((l) => l.kind === 'netns' || l.kind === 'veth' || l.kind === 'nft table')) {
      const p = await removeNet(t as Tools, net);
      problems.push(...p);
      if (p.length === 0) removed.push(...kinds.filter((l) => l.kind !== 'run record' && l.kind !== 'subnet lock').map((l) => `${l.kind} ${l.name}`));
    }
    if (rec?.sandboxId && deleteSandbox) {
      const p = await deleteSandbox(rec).catch((e: Error) => e.message);
      if (p) problems.push(p);
      else removed.push(`ephemeral sandbox ${rec.sandboxId}`);
    }
    for (const l of kinds.filter((k) => k.kind === 'subnet lock')) {
      rmSync(join(subnetsDir(dir), l.name), { force: true });
      removed.push(`subnet lock ${l.name}`);
    }
    if (rec) {
      removeRecord(runId, dir);
      removed.push(`run record ${runId}`);
    }
  }
  return { removed, problems };
}
