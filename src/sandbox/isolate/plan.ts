/**
 * Names, addresses and the nftables ruleset of one isolated run. Pure: everything the kernel is
 * told is built here as data, so it is tested without privileges.
 *
 * Every object is named after the run id so that a leftover can be recognised by name alone:
 *   network namespace  standin_<id>         nftables table  inet standin_<id>
 *   host-side veth     stdnh<id>            namespace-side  stdnn<id>   (IFNAMSIZ: ≤ 15 chars)
 */
import { randomBytes } from 'node:crypto';

export const NETNS_PREFIX = 'standin_';
export const TABLE_PREFIX = 'standin_';
export const VETH_HOST_PREFIX = 'stdnh';
export const VETH_NS_PREFIX = 'stdnn';
export const RUN_ID_RE = /^[0-9a-f]{8}$/;
export const NETNS_RE = /^standin_([0-9a-f]{8})$/;
export const TABLE_RE = /^standin_([0-9a-f]{8})$/;
export const VETH_RE = /^stdn[hn]([0-9a-f]{8})$/;

/** The default pool the per-run /30s come from (STANDIN_ISOLATE_POOL overrides). */
export const DEFAULT_POOL = '10.231.0.0/16';

export interface NetNames {
  runId: string;
  netns: string;
  table: string;
  hostVeth: string;
  nsVeth: string;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export function namesFor(runId: string): NetNames {
  if (!RUN_ID_RE.test(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
  return { runId, netns: NETNS_PREFIX + runId, table: TABLE_PREFIX + runId, hostVeth: VETH_HOST_PREFIX + runId, nsVeth: VETH_NS_PREFIX + runId };
}

export const ipToInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Parses an IPv4 CIDR; throws with the setting's name when malformed. */
export function parseCidr(cidr: string): { base: number; bits: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || m[1]!.split('.').some((o) => Number(o) > 255) || Number(m[2]) > 30) {
    throw new Error(`STANDIN_ISOLATE_POOL: "${cidr}" is not an IPv4 CIDR of /30 or larger`);
  }
  const bits = Number(m[2]);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(ipToInt(m[1]!) / size) * size, bits };
}

/** A /30: network, host side (.1), namespace side (.2). */
export interface Subnet {
  network: string;
  hostAddr: string;
  nsAddr: string;
}

export function subnetAt(network: number): Subnet {
  return { network: intToIp(network), hostAddr: intToIp(network + 1), nsAddr: intToIp(network + 2) };
}

/** True when [a, a+aSize) and [b, b+bSize) share an address. */
export const overlaps = (a: number, aSize: number, b: number, bSize: number): boolean => a < b + bSize && b < a + aSize;

/**
 * Candidate /30s of the pool in a random order (bounded count), skipping every one that overlaps
 * a prefix already in use on the host (its addresses and routes, default route excluded).
 */
export function candidateSubnets(pool: string, inUse: ReadonlyArray<{ base: number; size: number }>, max = 64, rand: () => number = Math.random): Subnet[] {
  const { base, bits } = parseCidr(pool);
  const blocks = 2 ** (30 - bits);
  const start = Math.floor(rand() * blocks);
  const out: Subnet[] = [];
  for (let i = 0; i < blocks && out.length < max; i++) {
    const net = base + ((start + i) % blocks) * 4;
    if (inUse.some((u) => overlaps(net, 4, u.base, u.size))) continue;
    out.push(subnetAt(net));
  }
  return out;
}

/** Where the namespace's traffic is allowed to go: the run's listeners on the host-side address. */
export interface ListenerPorts {
  /** Forwarder to the explicit proxy (HTTPS_PROXY inside the namespace points here). */
  explicit: number;
  /** Transparent listener: every other TCP connection is redirected here. */
  transparent: number;
  dnsUdp: number;
  dnsTcp: number;
}

const q = (s: string) => JSON.stringify(s);

/**
 * The host-side nftables table of a run (`nft -f -` input). In the host's network namespace, so
 * nothing inside the sandbox can change it, even as root there:
 *   - prerouting: DNS (UDP and TCP 53, to any address) → the stub; every other TCP connection →
 *     the transparent listener, except those addressed to the run's listeners themselves;
 *   - input: from the namespace, only the run's listeners are reachable; everything else that
 *     arrives on the veth (other ports, other UDP, ICMP, IPv6, spoofed sources) is dropped;
 *   - forward: nothing is routed to or from the veth, whatever the host's ip_forward says.
 * Drops in a base chain are final in nftables, whatever other tables accept.
 */
export function nftRuleset(n: NetNames, s: Subnet, p: ListenerPorts): string {
  const from = `iifname ${q(n.hostVeth)} ip saddr ${s.nsAddr}`;
  const own = `{ ${p.explicit}, ${p.transparent}, ${p.dnsTcp} }`;
  return [
    `table inet ${n.table} {`,
    `  chain prerouting {`,
    `    type nat hook prerouting priority dstnat; policy accept;`,
    `    ${from} ip daddr ${s.hostAddr} tcp dport ${own} return`,
    `    ${from} udp dport 53 dnat ip to ${s.hostAddr}:${p.dnsUdp}`,
    `    ${from} tcp dport 53 dnat ip to ${s.hostAddr}:${p.dnsTcp}`,
    `    ${from} meta l4proto tcp dnat ip to ${s.hostAddr}:${p.transparent}`,
    `  }`,
    `  chain input {`,
    `    type filter hook input priority filter - 10; policy accept;`,
    `    ${from} ip daddr ${s.hostAddr} tcp dport ${own} accept`,
    `    ${from} ip daddr ${s.hostAddr} udp dport ${p.dnsUdp} accept`,
    `    iifname ${q(n.hostVeth)} drop`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter - 10; policy accept;`,
    `    iifname ${q(n.hostVeth)} drop`,
    `    oifname ${q(n.hostVeth)} drop`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
