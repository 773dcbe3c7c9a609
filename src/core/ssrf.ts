/**
 * SSRF guard, pure part (DESIGN.md §2.6): classify the address a destination resolved to, and
 * the operator's exemptions (STANDIN_EGRESS_ALLOW). The proxy resolves once, calls
 * {@link checkDestination}, and connects to exactly the address it checked, so a DNS answer that
 * changes between check and connect (DNS rebinding) cannot slip through.
 * IP parsing is our own: core/ imports no socket module, and strict dotted-quad parsing refuses
 * the octal/hex forms (`0177.0.0.1`) that resolvers would read differently.
 */
import { StandinError } from './errors.js';
import { isIpLiteral, normalizeHost, parseHostRule, type HostRule } from './hosts.js';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'ipv4_mapped'
  | 'ipv4_embedded'
  | 'reserved'
  | 'unique_local'
  | 'documentation'
  | 'benchmark'
  | 'invalid';

/** Classification of one address. Only `public` is allowed without an operator exemption. */
export interface AddressClass {
  allowed: boolean;
  category: AddressCategory;
  reason: string;
  /** The IPv4 address carried inside an IPv4-mapped or -embedded IPv6 address. */
  embeddedIPv4?: string;
}

type V4Range = [net: string, bits: number, category: AddressCategory, what: string];
type V6Range = [net: string, bits: number, category: AddressCategory, what: string];

// RFC 6890 special-purpose registries; the first match wins, so narrow ranges come first.
const V4_RANGES: readonly V4Range[] = [
  ['255.255.255.255', 32, 'reserved', 'the limited broadcast address (RFC 919)'],
  ['0.0.0.0', 8, 'unspecified', '"this network" (RFC 791); Linux connects 0.0.0.0 to the local host'],
  ['10.0.0.0', 8, 'private', 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'cgnat', 'shared CGNAT space (RFC 6598), also cloud metadata such as 100.100.100.200'],
  ['127.0.0.0', 8, 'loopback', 'loopback (RFC 1122)'],
  ['169.254.0.0', 16, 'link_local', 'link-local (RFC 3927), home of cloud metadata endpoints such as 169.254.169.254'],
  ['172.16.0.0', 12, 'private', 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'reserved', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0', 24, 'documentation', 'documentation TEST-NET-1 (RFC 5737)'],
  ['192.88.99.0', 24, 'reserved', 'the deprecated 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0', 16, 'private', 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmark', 'benchmarking (RFC 2544)'],
  ['198.51.100.0', 24, 'documentation', 'documentation TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0', 24, 'documentation', 'documentation TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0', 4, 'multicast', 'multicast (RFC 5771)'],
  ['240.0.0.0', 4, 'reserved', 'reserved (RFC 1112)'],
];

const V6_RANGES: readonly V6Range[] = [
  ['::', 128, 'unspecified', 'the unspecified address (RFC 4291)'],
  ['::1', 128, 'loopback', 'loopback (RFC 4291)'],
  ['::ffff:0:0', 96, 'ipv4_mapped', 'an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2)'],
  ['::ffff:0:0:0', 96, 'ipv4_embedded', 'an IPv4-translated address (RFC 2765)'],
  ['::', 96, 'ipv4_embedded', 'an IPv4-compatible IPv6 address (deprecated, RFC 4291 §2.5.5.1)'],
  ['64:ff9b::', 96, 'ipv4_embedded', 'a NAT64 address (RFC 6052)'],
  ['64:ff9b:1::', 48, 'ipv4_embedded', 'a local-use NAT64 address (RFC 8215)'],
  ['100::', 64, 'reserved', 'discard-only (RFC 6666)'],
  ['2001:2::', 48, 'benchmark', 'benchmarking (RFC 5180)'],
  ['2001:db8::', 32, 'documentation', 'documentation (RFC 3849)'],
  ['2001:10::', 28, 'reserved', 'ORCHID (RFC 4843)'],
  ['2001:20::', 28, 'reserved', 'ORCHIDv2 (RFC 7343)'],
  ['2001::', 32, 'ipv4_embedded', 'a Teredo address (RFC 4380)'],
  ['2002::', 16, 'ipv4_embedded', 'a 6to4 address (RFC 3056)'],
  ['3fff::', 20, 'documentation', 'documentation (RFC 9637)'],
  ['fc00::', 7, 'unique_local', 'unique local (RFC 4193), e.g. AWS metadata at fd00:ec2::254'],
  ['fe80::', 10, 'link_local', 'link-local (RFC 4291)'],
  ['fec0::', 10, 'reserved', 'deprecated site-local (RFC 3879)'],
  ['ff00::', 8, 'multicast', 'multicast (RFC 4291)'],
];

/** Strict dotted quad (no octal, hex or short forms) → unsigned 32-bit integer, or null. */
export function parseIPv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith('0')) return null;
    const v = Number(part);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** IPv6 text (RFC 4291 §2.2, incl. `::` and a trailing dotted quad) → 128-bit integer, or null. */
export function parseIPv6(s: string): bigint | null {
  let text = s;
  let want = 8;
  let low = 0n;
  const last = text.lastIndexOf(':');
  if (last === -1) return null;
  const quad = text.slice(last + 1);
  if (quad.includes('.')) {
    // a trailing dotted quad stands for the last two groups
    const n = parseIPv4(quad);
    if (n === null) return null;
    low = BigInt(n);
    want = 6;
    text = text.slice(0, last + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves[1] ? halves[1].split(':') : [];
  let groups: string[];
  if (halves.length === 2) {
    const fill = want - head.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  } else {
    if (head.length !== want) return null;
    groups = head;
  }
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return want === 6 ? (n << 32n) | low : n;
}

function v4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function inV4(ip: number, net: number, bits: number): boolean {
  if (bits === 0) return true;
  const shift = 32 - bits;
  return Math.floor(ip / 2 ** shift) === Math.floor(net / 2 ** shift);
}

function inV6(ip: bigint, net: bigint, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return ip >> shift === net >> shift;
}

const V4_TABLE = V4_RANGES.map(([net, bits, category, what]) => ({ net: parseIPv4(net) as number, bits, category, what }));
const V6_TABLE = V6_RANGES.map(([net, bits, category, what]) => ({ net: parseIPv6(net) as bigint, bits, category, what }));

function classifyV4(n: number, shown: string): AddressClass {
  const hit = V4_TABLE.find((r) => inV4(n, r.net, r.bits));
  if (!hit) return { allowed: true, category: 'public', reason: `${shown} is a public address` };
  return { allowed: false, category: hit.category, reason: `${shown} is ${hit.what}` };
}

function embedded(n: bigint, category: AddressCategory): number | null {
  if (category === 'ipv4_mapped') return Number(n & 0xffffffffn);
  if (category !== 'ipv4_embedded') return null;
  if (n >> 112n === 0x2002n) return Number((n >> 80n) & 0xffffffffn); // 6to4: 2002:AABB:CCDD::/48
  if (n >> 96n === 0x20010000n) return Number(~n & 0xffffffffn); // Teredo: client address, bit-inverted
  if (n >> 80n === 0x64ff9b0001n) return Number(n & 0xffffffffn); // RFC 8215 /48: take the low 32 bits (RFC 6052 /96 layout)
  return Number(n & 0xffffffffn);
}

/**
 * Classifies an IPv4 or IPv6 address (brackets and a zone id are tolerated). Only public
 * addresses are allowed; IPv4-mapped and IPv4-embedded IPv6 forms are refused whatever they
 * carry, because they reach IPv4 hosts the IPv4 checks would have refused (`::ffff:127.0.0.1`).
 */
export function classifyAddress(ip: string): AddressClass {
  const raw = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const v4 = parseIPv4(raw);
  if (v4 !== null) return classifyV4(v4, raw);
  const zone = raw.indexOf('%');
  const v6 = parseIPv6(zone === -1 ? raw : raw.slice(0, zone));
  if (v6 === null) return { allowed: false, category: 'invalid', reason: 'the destination address is not an IP address' };
  const hit = V6_TABLE.find((r) => inV6(v6, r.net, r.bits));
  if (hit) {
    const e = embedded(v6, hit.category);
    if (e === null) return { allowed: false, category: hit.category, reason: `${raw} is ${hit.what}` };
    const inner = classifyV4(e, v4Text(e));
    return {
      allowed: false,
      category: hit.category,
      embeddedIPv4: v4Text(e),
      reason: `${raw} is ${hit.what} carrying ${v4Text(e)} (${inner.category})`,
    };
  }
  if (v6 >> 125n !== 1n) return { allowed: false, category: 'reserved', reason: `${raw} is outside IPv6 global unicast 2000::/3` };
  return { allowed: true, category: 'public', reason: `${raw} is a public address` };
}

/** The operator's exemptions from the SSRF guard (`STANDIN_EGRESS_ALLOW`). */
export interface AllowList {
  /** The entries as given, normalized. */
  readonly entries: readonly string[];
  /** The entry that exempts this address or host name, or null. */
  match(ip: string, host?: string): string | null;
}

type Entry =
  | { kind: 'v4'; net: number; bits: number; text: string }
  | { kind: 'v6'; net: bigint; bits: number; text: string }
  | { kind: 'host'; rule: HostRule; text: string };

function parseEntry(raw: string): Entry | string {
  const slash = raw.indexOf('/');
  const addr = slash === -1 ? raw : raw.slice(0, slash);
  const bitsText = slash === -1 ? null : raw.slice(slash + 1);
  const inner = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const v4 = parseIPv4(inner);
  const v6 = v4 === null ? parseIPv6(inner) : null;
  if (v4 !== null || v6 !== null) {
    const max = v4 !== null ? 32 : 128;
    if (bitsText !== null && !/^(0|[1-9][0-9]{0,2})$/.test(bitsText)) return 'has an invalid prefix length';
    const bits = bitsText === null ? max : Number(bitsText);
    if (bits > max) return `has a prefix length over ${max}`;
    return v4 !== null ? { kind: 'v4', net: v4, bits, text: `${inner}/${bits}` } : { kind: 'v6', net: v6 as bigint, bits, text: `${inner}/${bits}` };
  }
  if (bitsText !== null) return 'is not an address range (a.b.c.d/n or v6::/n)';
  if (raw.includes(':') && !raw.startsWith('[')) return 'is neither an IP address, a range nor a host name (host names take no port here)';
  const r = parseHostRule(raw);
  if (!r.ok) return 'is not a valid host name or *.domain';
  return { kind: 'host', rule: r.rule, text: raw.startsWith('*.') ? `*.${r.rule.host}` : r.rule.host };
}

/**
 * Parses a comma-separated allow-list of host names (`localhost`, `*.corp.example`), addresses
 * (`10.1.2.3`, `::1`) and ranges (`10.0.0.0/8`, `fd00::/8`). Throws `config_invalid` naming the
 * bad entry. An empty string gives an empty list.
 */
export function parseAllowList(spec: string): AllowList {
  const parsed: Entry[] = [];
  for (const piece of spec.split(',')) {
    const raw = piece.trim();
    if (raw === '') continue;
    const e = parseEntry(raw);
    if (typeof e === 'string') throw new StandinError('config_invalid', `egress allow-list entry ${JSON.stringify(raw)} ${e}`);
    parsed.push(e);
  }
  return {
    entries: parsed.map((e) => e.text),
    match(ip: string, host?: string): string | null {
      const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
      const v4 = parseIPv4(bare);
      const v6 = v4 === null ? parseIPv6(bare.split('%')[0] as string) : null;
      const h = host !== undefined ? normalizeHost(host) : null;
      for (const e of parsed) {
        if (e.kind === 'v4' && v4 !== null && inV4(v4, e.net, e.bits)) return e.text;
        if (e.kind === 'v6' && v6 !== null && inV6(v6, e.net, e.bits)) return e.text;
        if (e.kind === 'host' && h !== null && !isIpLiteral(h)) {
          const d = e.rule.host;
          if (e.rule.wildcard ? h.endsWith(`.${d}`) : h === d) return e.text;
        }
      }
      return null;
    },
  };
}

/** {@link AddressClass} plus the allow-list entry that exempted the address, if one did. */
export interface DestinationDecision extends AddressClass {
  allowedBy?: string;
}

/**
 * The SSRF decision for one connection: allowed when the address is public, or when the
 * operator's allow-list names the address, a range containing it, or the host name that was
 * resolved to it. An IPv4-mapped address is also exempted by an entry for the IPv4 it carries.
 */
export function checkDestination(ip: string, allowList: AllowList | null, host?: string): DestinationDecision {
  const c = classifyAddress(ip);
  if (c.allowed || c.category === 'invalid' || !allowList) return c;
  const by = allowList.match(ip, host) ?? (c.category === 'ipv4_mapped' && c.embeddedIPv4 ? allowList.match(c.embeddedIPv4) : null);
  if (by === null) return { ...c, reason: `${c.reason}; not in the egress allow-list` };
  return { ...c, allowed: true, allowedBy: by, reason: `${c.reason}, allowed by egress allow-list entry ${by}` };
}
