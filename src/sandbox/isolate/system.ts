/**
 * The system tools isolation uses (`ip`, `nft`, `setpriv`), called with argument arrays (never a
 * shell) and a time limit, and the checks `--isolate` makes before it touches anything.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const TOOL_TIMEOUT_MS = 15_000;
/** sudo's secure_path and some shells leave the sbin directories out. */
const EXTRA_PATH = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

/** Absolute path of a program, or null. */
export function which(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of [...path.split(delimiter).filter(Boolean), ...EXTRA_PATH]) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; resolves with its exit code and output (never rejects on a non-zero exit). */
export function tool(file: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args as string[], { timeout: opts.timeoutMs ?? TOOL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 1 && !stderr ? err.message : '') });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like `tool`, but a non-zero exit is an error naming the command. */
export async function mustTool(file: string, args: readonly string[], opts: { input?: string } = {}): Promise<string> {
  const r = await tool(file, args, opts);
  if (r.code !== 0) throw new Error(`${file.split('/').pop()} ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

export interface Tools {
  ip: string;
  nft: string;
  setpriv: string;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** Effective capabilities of this process (from /proc/self/status), or null when unreadable. */
export function effectiveCaps(): bigint | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : null;
  } catch {
    return null;
  }
}

function hasCap(caps: bigint | null, cap: number): boolean {
  return caps !== null && (caps & (1n << BigInt(cap))) !== 0n;
}

/** Whether unprivileged user namespaces are enabled (for the message only: see below). */
function userNamespacesEnabled(): boolean {
  try {
    const clone = existsSync('/proc/sys/kernel/unprivileged_userns_clone') ? readFileSync('/proc/sys/kernel/unprivileged_userns_clone', 'utf8').trim() : '1';
    const max = readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim();
    return clone !== '0' && max !== '0';
  } catch {
    return false;
  }
}

/**
 * What `--isolate` needs, checked before anything is created. Returns the tools, or throws one
 * message that lists everything missing — isolation never degrades to an unisolated run.
 */
export async function preflight(): Promise<Tools> {
  const missing: string[] = [];
  if (process.platform !== 'linux') {
    throw new Error(`--isolate needs Linux (network namespaces and nftables); this is ${process.platform}. Nothing was run.`);
  }
  const caps = effectiveCaps();
  const privileged = process.getuid?.() === 0 || (hasCap(caps, CAP_NET_ADMIN) && hasCap(caps, CAP_SYS_ADMIN));
  if (!privileged) {
    missing.push(
      'root (or CAP_NET_ADMIN and CAP_SYS_ADMIN): the veth pair and the nftables rules live in the host network namespace' +
        (userNamespacesEnabled() ? ' — unprivileged user namespaces are enabled here, but they cannot create a veth pair to the host; run "sudo -E standin run --isolate …"' : ''),
    );
  }
  const ip = which('ip');
  const nft = which('nft');
  const setpriv = which('setpriv');
  if (!ip) missing.push('the "ip" command (Debian/Ubuntu: apt-get install iproute2)');
  if (!nft) missing.push('the "nft" command (Debian/Ubuntu: apt-get install nftables)');
  if (!setpriv) missing.push('the "setpriv" command (util-linux), used to drop the command\'s capabilities');
  if (privileged && ip && !existsSync('/proc/self/ns/net')) missing.push('kernel support for network namespaces (/proc/self/ns/net)');
  if (privileged && nft) {
    const r = await tool(nft, ['list', 'tables']);
    if (r.code !== 0) missing.push(`a working nftables (nft list tables: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`})`);
  }
  if (missing.length) throw new Error(`--isolate cannot isolate this command; missing:\n  - ${missing.join('\n  - ')}\nNothing was run.`);
  return { ip: ip!, nft: nft!, setpriv: setpriv! };
}

/**
 * The port a redirected connection was originally addressed to, from the kernel's connection
 * tracking table (the redirect rewrote it; Node has no SO_ORIGINAL_DST). Null when the table is
 * not exposed (CONFIG_NF_CONNTRACK_PROCFS) or the entry is not found.
 */
export async function conntrackOriginalPort(source: string, sourcePort: number, localPort: number, file = '/proc/net/nf_conntrack'): Promise<number | null> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  if (!existsSync(file)) return null;
  const needle = `src=${source} `;
  const sport = ` sport=${sourcePort} `;
  const rl = createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      if (!line.includes(needle) || !line.includes(sport) || !line.includes(' tcp ')) continue;
      // Original tuple first, reply tuple second: src=ns dst=X sport=S dport=P … src=host dst=ns sport=L dport=S
      const m = /src=(\S+) dst=\S+ sport=(\d+) dport=(\d+) .*?src=\S+ dst=\S+ sport=(\d+) dport=(\d+)/.exec(line);
      if (m && m[1] === source && Number(m[2]) === sourcePort && Number(m[4]) === localPort) return Number(m[3]);
    }
  } finally {
    rl.close();
  }
  return null;
}
