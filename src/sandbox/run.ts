/**
 * `standin run`: create (or reuse) a sandbox, assemble its environment, optionally isolate the
 * network, run the command in the foreground, and undo everything when it ends — also after
 * Ctrl-C, a crash or SIGKILL of the command, and (best effort) SIGTERM of standin itself.
 *
 * Order matters for crash safety: the run record is written before anything is created and
 * removed only after everything is gone, so a standin killed at any point leaves things that
 * `standin doctor --fix` (and the next `standin run --isolate`) recognise as stale and remove.
 */
import type { CreateSandboxInput, CreatedSandbox, SandboxDetail } from '../../sdk/index.js';
import { assembleEnv, proxyEndpoint, rewriteProxyUrl } from './env.js';
import { startDnsStub, type DnsStub } from '../proxy/dns.js';
import { startProxyForwarder, startTransparentListener, type Listening, type TransparentRoute } from '../proxy/transparent.js';
import { allocateSubnet, applyRules, createNet, releaseSubnet, removeNet, removeStale, type IsolatedNet } from './isolate/namespace.js';
import { DEFAULT_POOL, namesFor, newRunId } from './isolate/plan.js';
import { conntrackOriginalPort, preflight, type Tools } from './isolate/system.js';
import { SignalGate, exitCodeOf, runChild } from './spawn.js';
import { newRecord, readRecords, removeRecord, writeRecord, type RunRecord } from './state.js';
import { saveSandbox, toSaved, type SavedSandbox } from './saved.js';
import { nodePreloadPath, writeTrustDir, type TrustDir } from './trust.js';

/** The part of the SDK a run uses. */
export interface SandboxApi {
  create(input: CreateSandboxInput): Promise<CreatedSandbox>;
  get(id: string): Promise<SandboxDetail>;
  delete(id: string): Promise<void>;
}

export interface RunOptions {
  api: SandboxApi;
  apiUrl: string;
  /** Create a sandbox from this input, or use a saved one (`--sandbox`). */
  sandbox: { create: CreateSandboxInput } | { saved: SavedSandbox };
  /** Keep a created sandbox (not ephemeral, saved locally) instead of deleting it at the end. */
  keep: boolean;
  isolate: boolean;
  command: string;
  args: string[];
  /** Extra plain variables (`--env` with `--sandbox`). */
  extraEnv: Record<string, string>;
  /** Messages for the person at the terminal (stderr). */
  note: (m: string) => void;
  /** The environment the command inherits. */
  baseEnv?: Record<string, string | undefined>;
}

/** Thrown for a failure before the command ran; the CLI maps it to its exit code. */
export class RunSetupError extends Error {}

/** The uid/gid the command runs as under --isolate: the sudo caller's, else unchanged. */
function commandOwner(env: Record<string, string | undefined>): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  return Number.isInteger(uid) && uid > 0 && Number.isInteger(gid) && gid >= 0 ? { uid, gid } : null;
}

/** `setpriv` arguments: no capabilities, no privilege gain, and the sudo caller's ids when there is one. */
function privilegeDrop(owner: { uid: number; gid: number } | null): string[] {
  const ids = owner ? ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--clear-groups'] : [];
  return [...ids, '--bounding-set', '-all', '--inh-caps', '-all', '--ambient-caps', '-all', '--no-new-privs'];
}

interface Isolation {
  tools: Tools;
  net: IsolatedNet | null;
  listeners: Array<Listening | DnsStub>;
  routes: Map<string, TransparentRoute>;
}

/** Runs the command; resolves with the exit code to return. */
export async function runSandboxed(o: RunOptions): Promise<number> {
  const baseEnv = o.baseEnv ?? process.env;
  const gate = new SignalGate();
  const runId = newRunId();
  let record: RunRecord | null = null;
  let ephemeralId: string | null = null;
  let trust: TrustDir | null = null;
  let iso: Isolation | null = null;
  const problems: string[] = [];
  const interrupted = () => {
    if (gate.received) throw new RunSetupError(`interrupted by ${gate.received} before the command started; nothing was run`);
  };

  try {
    let tools: Tools | null = null;
    if (o.isolate) {
      try {
        tools = await preflight();
      } catch (e) {
        throw new RunSetupError((e as Error).message);
      }
      const stale = await removeStale(tools, async (r) => deleteStaleSandbox(o, r));
      if (stale.removed.length) o.note(`standin: removed leftovers of crashed runs: ${stale.removed.join(', ')}`);
      for (const p of stale.problems) o.note(`standin: warning: ${p}`);
    }
    const names = namesFor(runId);
    record = newRecord(runId, {
      apiUrl: o.apiUrl,
      net: o.isolate ? { netns: names.netns, table: names.table, hostVeth: names.hostVeth, nsVeth: names.nsVeth, subnet: '' } : null,
    });
    writeRecord(record);
    interrupted();

    // The sandbox: created now, or a saved one.
    let env: Record<string, string>;
    let proxyUrl: string;
    let caCertPem: string;
    let sandboxId: string;
    if ('create' in o.sandbox) {
      const created = await o.api.create({ ...o.sandbox.create, ephemeral: !o.keep });
      sandboxId = created.id;
      if (o.keep) {
        saveSandbox(toSaved(o.apiUrl, created));
        o.note(`standin: kept sandbox ${created.id} (standin run --sandbox ${created.id} reuses it)`);
      } else {
        ephemeralId = created.id;
        record.sandboxId = created.id;
        writeRecord(record);
      }
      ({ env, proxyUrl, caCertPem } = created);
    } else {
      const s = o.sandbox.saved;
      sandboxId = s.id;
      ({ env, proxyUrl, caCertPem } = s);
      if (s.injectedOmitted.length) o.note(`standin: note: injected values are not kept locally; ${s.injectedOmitted.join(', ')} will be missing`);
    }
    interrupted();

    const owner = o.isolate ? commandOwner(baseEnv) : null;
    trust = writeTrustDir(caCertPem, { env: baseEnv, owner });
    let file = o.command;
    let args = o.args;

    if (o.isolate && tools) {
      iso = { tools, net: null, listeners: [], routes: new Map() };
      const subnet = await allocateSubnet(tools, runId, process.env.STANDIN_ISOLATE_POOL || DEFAULT_POOL);
      record.net = { ...record.net!, subnet: subnet.network };
      writeRecord(record);
      iso.net = await createNet(tools, runId, subnet);
      interrupted();
      const { hostAddr, nsAddr } = subnet;
      const sources = new Set([nsAddr]);
      // The mapping source address → sandbox lives here only, in the process that created both.
      iso.routes.set(nsAddr, { sandboxId, proxyUrl });
      const dns = await startDnsStub({ host: hostAddr, answer: hostAddr, allowSources: sources });
      iso.listeners.push(dns);
      const transparent = await startTransparentListener({
        host: hostAddr,
        routes: iso.routes,
        originalPort: (s) => conntrackOriginalPort(nsAddr, s.remotePort ?? 0, transparent.port),
        onEvent: (e) => {
          if (e.kind === 'no_sni') o.note('standin: refused a TLS connection without SNI (server name): its destination cannot be checked');
          else if (e.kind === 'proxy_unreachable') o.note(`standin: cannot reach the egress proxy for ${e.destination}: ${e.error}`);
        },
      });
      iso.listeners.push(transparent);
      const forwarder = await startProxyForwarder({ host: hostAddr, target: proxyEndpoint(proxyUrl), allowSources: sources });
      iso.listeners.push(forwarder);
      await applyRules(tools, iso.net, { explicit: forwarder.port, transparent: transparent.port, dnsUdp: dns.udpPort, dnsTcp: dns.tcpPort });
      interrupted();
      proxyUrl = rewriteProxyUrl(proxyUrl, hostAddr, forwarder.port);
      file = tools.ip;
      args = ['netns', 'exec', iso.net.netns, tools.setpriv, ...privilegeDrop(owner), '--', o.command, ...o.args];
    }

    const childEnv = assembleEnv({
      base: baseEnv,
      sandboxEnv: { ...env, ...o.extraEnv },
      proxyUrl,
      sandboxId,
      trust,
      nodePreload: nodePreloadPath(),
    });
    interrupted();
    const result = await runChild(gate, file, args, childEnv);
    if (result.spawnError) {
      const code = result.spawnError.code === 'ENOENT' ? 127 : 126;
      o.note(`standin: cannot run ${JSON.stringify(o.command)}: ${result.spawnError.code === 'ENOENT' ? 'command not found' : result.spawnError.message}`);
      return code;
    }
    return exitCodeOf(result.code, result.signal);
  } finally {
    // Teardown: every step runs, whatever failed before it.
    if (iso) {
      iso.routes.clear();
      await Promise.all(iso.listeners.map((l) => l.close().catch(() => {})));
      if (record?.net) {
        problems.push(...(await removeNet(iso.tools, record.net)));
        if (record.net.subnet) releaseSubnet(record.net.subnet, runId);
      }
    }
    trust?.remove();
    if (ephemeralId) {
      try {
        await o.api.delete(ephemeralId);
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status !== 404) problems.push(`could not delete the ephemeral sandbox ${ephemeralId}: ${(e as Error).message} (standin doctor --fix retries)`);
      }
    }
    if (record) {
      if (problems.length === 0) removeRecord(runId);
      else for (const p of problems) o.note(`standin: warning: ${p}`);
    }
    gate.dispose();
  }
}

/** Deletes the ephemeral sandbox of a crashed run when it was created on the server we talk to. */
async function deleteStaleSandbox(o: Pick<RunOptions, 'api' | 'apiUrl'>, r: RunRecord): Promise<string | null> {
  if (!r.sandboxId) return null;
  if (r.apiUrl !== o.apiUrl) return `the ephemeral sandbox ${r.sandboxId} of a crashed run was created on ${r.apiUrl}; delete it there`;
  try {
    await o.api.delete(r.sandboxId);
  } catch (e) {
    if ((e as { status?: number }).status !== 404) return `could not delete the ephemeral sandbox ${r.sandboxId}: ${(e as Error).message}`;
  }
  return null;
}

export { deleteStaleSandbox, readRecords };
