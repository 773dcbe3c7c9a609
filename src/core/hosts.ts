/**
 * Host rules: which destinations a secret may authenticate (DESIGN.md §2.2).
 * A rule is `host`, `host:port`, `*.domain` or `*.domain:port`; the port defaults to 443.
 * Comparison is on the lower-cased, IDNA-to-ASCII (UTS #46), trailing-dot-stripped name, so
 * `BÜCHER.example.` and `xn--bcher-kva.example` are one host.
 */
import { domainToASCII } from 'node:url';
import { StandinError } from './errors.js';

/** A parsed host rule. For a wildcard, `host` is the domain under `*.` (`openai.com`). */
export interface HostRule {
  host: string;
  wildcard: boolean;
  port: number;
}

/** Result of {@link parseHostRule}. */
export type HostRuleResult = { ok: true; rule: HostRule } | { ok: false; reason: string };

/** Result of {@link matchHost}. `hostMatched` tells a wrong port from a wrong host. */
export type HostMatch =
  | { ok: true; rule: HostRule; reason: string }
  | { ok: false; hostMatched: boolean; reason: string };

export const DEFAULT_PORT = 443;

/**
 * Suffixes under which anyone can get a subdomain and run code or log requests, so a wildcard
 * over them would hand a credential to strangers. Not the whole Public Suffix List: a guard
 * against the common mistakes. Single-label suffixes (`*.com`) are refused separately.
 */
export const SHARED_SUFFIXES: ReadonlySet<string> = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'ne.jp',
  'or.jp', 'com.br', 'com.cn', 'com.tw', 'com.mx', 'co.in', 'co.za', 'co.kr', 'com.sg', 'com.tr',
  'github.io', 'gitlab.io', 'herokuapp.com', 'vercel.app', 'netlify.app', 'pages.dev',
  'workers.dev', 'web.app', 'firebaseapp.com', 'appspot.com', 'azurewebsites.net',
  'cloudfront.net', 's3.amazonaws.com', 'amazonaws.com', 'ngrok.io', 'ngrok-free.app',
  'ngrok.app', 'fly.dev', 'onrender.com', 'railway.app', 'trycloudflare.com', 'glitch.me',
  'repl.co', 'replit.app', 'deno.dev', 'blogspot.com', 'hf.space', 'twil.io', 'supabase.co',
]);

const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV4_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
// Characters that never belong in a host; checked before IDNA because domainToASCII
// percent-decodes (`ex%41.com` → `exa.com`) and would otherwise hide them.
const FORBIDDEN_RE = /[\s%/\\@?#*:[\]<>^|"'`{}]/;

const PLAIN_RE = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;
const NUMERIC_LABEL_RE = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;

// Fast path for the common case (already lower-case ASCII, no punycode, last label not numeric):
// such a name is its own UTS #46 / WHATWG form, so the costlier domainToASCII can be skipped.
function isPlainAscii(name: string): boolean {
  return name.length <= 253 && PLAIN_RE.test(name) && !name.includes('xn--') && !NUMERIC_LABEL_RE.test(name) && name.split('.').every((l) => LABEL_RE.test(l));
}

/** True for a normalized IPv4 or IPv6 literal. */
export function isIpLiteral(host: string): boolean {
  return host.includes(':') || IPV4_RE.test(host);
}

function normalizeIPv6(inner: string): string | null {
  if (!inner.includes(':') || inner.includes('%')) return null; // zone ids (RFC 6874) are local-only
  try {
    return new URL(`http://[${inner}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/**
 * The canonical form of a host name, or null when it is not one: lower case, one trailing dot
 * stripped, IDNA to ASCII, labels of `[a-z0-9_-]`. IPv4 literals come out dotted-quad (WHATWG
 * URL parsing, as clients do: `0x7f.1` → `127.0.0.1`); IPv6 literals, with or without brackets,
 * come out RFC 5952-compressed without brackets (`[::FFFF:7F00:1]` → `::ffff:7f00:1`).
 */
export function normalizeHost(input: string): string | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > 300) return null;
  if (input.startsWith('[')) return input.endsWith(']') ? normalizeIPv6(input.slice(1, -1)) : null;
  if (input.includes(':')) return normalizeIPv6(input);
  if (FORBIDDEN_RE.test(input)) return null;
  const name = input.endsWith('.') ? input.slice(0, -1) : input;
  if (name.length === 0) return null;
  if (isPlainAscii(name)) return name;
  const ascii = domainToASCII(name);
  if (ascii.length === 0 || ascii.length > 253) return null;
  if (!ascii.split('.').every((l) => LABEL_RE.test(l))) return null;
  return ascii;
}

/**
 * Parses a host rule: `host`, `host:port`, `[v6]:port`, `*.domain`, `*.domain:port`.
 * Refuses schemes, paths, user info, `*` alone, `*` anywhere but a leading `*.`, wildcards over a
 * single label or a shared suffix (SHARED_SUFFIXES), wildcards over IP addresses, and ports
 * outside 1–65535.
 */
export function parseHostRule(input: string): HostRuleResult {
  const r = parseRule(input);
  return r.ok ? { ok: true, rule: r.rule } : r;
}

/** {@link parseHostRule}, and whether the rule names its port (`host:443`) or takes the default. */
function parseRule(input: string): { ok: false; reason: string } | { ok: true; rule: HostRule; portGiven: boolean } {
  const s = typeof input === 'string' ? input.trim() : '';
  const q = JSON.stringify(s);
  const fail = (why: string): { ok: false; reason: string } => ({ ok: false, reason: `host rule ${q} ${why}` });
  if (s.length === 0) return { ok: false, reason: 'a host rule is empty' };
  if (s.includes('://')) return fail('has a scheme; give the host name only (e.g. api.example.com)');
  if (s.includes('@')) return fail('has user info; give the host name only');
  if (/[/?#]/.test(s)) return fail('has a path, query or fragment; rules name hosts, not URLs');
  const wildcard = s.startsWith('*.');
  const rest = wildcard ? s.slice(2) : s;
  if (rest.includes('*')) return fail('has a "*" that is not a leading "*."; wildcards look like *.example.com');

  let hostPart = rest;
  let portPart: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return fail('has an unclosed "["');
    hostPart = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return fail('has text after the IPv6 address');
      portPart = after.slice(1);
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons === 1) [hostPart, portPart] = rest.split(':') as [string, string];
    // more than one colon and no brackets: a bare IPv6 literal, which cannot carry a port
  }

  let port = DEFAULT_PORT;
  if (portPart !== null) {
    if (!/^[1-9][0-9]{0,4}$/.test(portPart) || Number(portPart) > 65535) return fail('has an invalid port (1–65535)');
    port = Number(portPart);
  }
  const host = normalizeHost(hostPart);
  if (host === null) return fail('is not a valid host name');
  if (wildcard) {
    if (isIpLiteral(host)) return fail('puts a wildcard over an IP address');
    if (!host.includes('.')) return fail(`is a wildcard over the top-level domain "${host}"; name the domain (e.g. *.example.${host})`);
    if (SHARED_SUFFIXES.has(host)) return fail(`is a wildcard over the shared suffix "${host}", where anyone can have a subdomain`);
  }
  return { ok: true, rule: { host, wildcard, port }, portGiven: portPart !== null };
}

/**
 * The canonical text of a rule, as stored in `SecretMeta.hosts` (port omitted when 443).
 * `keepPort`: write `:443` too, for lists where a rule without a port means more than 443
 * (sandbox egress policies, see {@link compileEgressRules}).
 */
export function formatHostRule(rule: HostRule, keepPort = false): string {
  const h = rule.host.includes(':') ? `[${rule.host}]` : rule.host;
  return `${rule.wildcard ? '*.' : ''}${h}${rule.port === DEFAULT_PORT && !keepPort ? '' : `:${rule.port}`}`;
}

/** The canonical text of a rule as written: `:443` kept when it was given, omitted when not. */
export function normalizeHostRuleText(input: string): { ok: true; text: string } | { ok: false; reason: string } {
  const r = parseRule(input);
  return r.ok ? { ok: true, text: formatHostRule(r.rule, r.portGiven) } : r;
}

const compiled = new WeakMap<readonly string[], readonly HostRule[]>();

/**
 * Parses a list of rules, memoized by array identity so the proxy's per-request checks cost a
 * lookup. Throws `validation_failed` naming the first bad rule.
 */
export function compileHostRules(hosts: readonly string[]): readonly HostRule[] {
  const hit = compiled.get(hosts);
  if (hit) return hit;
  const rules = hosts.map((h) => {
    const r = parseHostRule(h);
    if (!r.ok) throw new StandinError('validation_failed', r.reason, { field: 'hosts' });
    return r.rule;
  });
  Object.freeze(rules);
  compiled.set(hosts, rules);
  return rules;
}

/** Ports a sandbox egress rule without a port allows: HTTPS, and plain HTTP (RFC 9110 §4.2). */
export const EGRESS_DEFAULT_PORTS: readonly number[] = [443, 80];

const compiledEgress = new WeakMap<readonly string[], readonly HostRule[]>();

/**
 * Parses a sandbox egress allow-list. Unlike a secret's hosts (where a rule without a port means
 * 443 only, DESIGN.md §2.2, because the rule decides where a credential may go), an egress rule
 * says which hosts the sandbox may reach at all, and `allowHosts: ['example.com']` is meant to
 * cover `http://example.com` too: a rule without a port allows 443 and 80. A rule with a port,
 * `:443` included, allows that port only. Credentials are unaffected: they still need their own
 * host rule and TLS. Memoized by array identity; throws `validation_failed` like
 * {@link compileHostRules}.
 */
export function compileEgressRules(hosts: readonly string[]): readonly HostRule[] {
  const hit = compiledEgress.get(hosts);
  if (hit) return hit;
  const rules: HostRule[] = [];
  for (const h of hosts) {
    const r = parseRule(h);
    if (!r.ok) throw new StandinError('validation_failed', r.reason, { field: 'allowHosts' });
    if (r.portGiven) rules.push(r.rule);
    else for (const port of EGRESS_DEFAULT_PORTS) rules.push({ ...r.rule, port });
  }
  Object.freeze(rules);
  compiledEgress.set(hosts, rules);
  return rules;
}

function hostMatches(rule: HostRule, host: string): boolean {
  if (!rule.wildcard) return rule.host === host;
  // Subdomains only: `*.openai.com` matches `a.openai.com`, not `openai.com` nor `evilopenai.com`.
  return host.length > rule.host.length + 1 && host.endsWith(rule.host) && host[host.length - rule.host.length - 1] === '.' && !isIpLiteral(host);
}

/**
 * Whether `host:port` is allowed by any of `rules`. The host is normalized first; ports must be
 * equal. The reason names the host and the rules, for logs and the client.
 */
export function matchHost(rules: readonly HostRule[], host: string, port: number): HostMatch {
  const h = normalizeHost(host);
  if (h === null) return { ok: false, hostMatched: false, reason: 'the destination is not a valid host name' };
  const shown = `${h.includes(':') ? `[${h}]` : h}:${port}`;
  const byHost = rules.filter((r) => hostMatches(r, h));
  const rule = byHost.find((r) => r.port === port);
  if (rule) return { ok: true, rule, reason: `${shown} matches ${formatHostRule(rule)}` };
  if (byHost.length > 0) {
    const ports = [...new Set(byHost.map((r) => r.port))].join(', ');
    return { ok: false, hostMatched: true, reason: `${shown} is allowed only on port ${ports}` };
  }
  const list = rules.length === 0 ? 'no hosts' : rules.map((r) => formatHostRule(r)).join(', ');
  return { ok: false, hostMatched: false, reason: `${shown} matches none of the allowed hosts (${list})` };
}
