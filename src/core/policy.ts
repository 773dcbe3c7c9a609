/**
 * The swap decision (DESIGN.md §2, §6 step 4), pure: given what the proxy knows about one
 * placeholder in one request, may the real value be attached? Every "no" names the check that
 * failed and gives a sentence for the client, the log and the tripwire audit row. Reasons name
 * secrets, env names and hosts, never values or placeholders.
 */
import type { ErrorCode } from './errors.js';
import { compileEgressRules, compileHostRules, matchHost, normalizeHost, type HostRule } from './hosts.js';
import type { EgressPolicy, SecretMeta } from './types.js';

/** Which check refused the swap. */
export type DenyCheck =
  | 'unknown_placeholder'
  | 'other_sandbox'
  | 'secret_unresolved'
  | 'destination_mismatch'
  | 'misdirected_request'
  | 'insecure_http'
  | 'tls_unverified'
  | 'no_hosts'
  | 'host_not_allowed'
  | 'port_not_allowed';

/** A refusal: the error code to raise (one HTTP status each, core/http-status.ts) and why. */
export interface Denial {
  allow: false;
  code: ErrorCode;
  check: DenyCheck;
  reason: string;
}

export type Decision = { allow: true; reason: string; rule?: HostRule } | Denial;

/** Where the request really goes: the CONNECT authority, or the absolute-form URL's host. */
export interface Destination {
  host: string;
  port: number;
  scheme: 'https' | 'http';
  /** The upstream certificate is (or will be) verified against trusted CAs. */
  tlsVerified: boolean;
}

/** The secret facts the decision needs (a full SecretMeta fits). */
export type SwapSecret = Pick<SecretMeta, 'name' | 'tenantId' | 'hosts' | 'allowInsecureHttp'>;

/** Everything known about one placeholder in one request. */
export interface SwapInput {
  sandbox: { id: string; tenantId: string };
  /** The binding the placeholder's hash points to; null when it points to none. */
  binding: { sandboxId: string; envName: string; secretName: string } | null;
  /** The secret the binding's name resolves to for this sandbox now; null when none does. */
  secret: SwapSecret | null;
  destination: Destination;
  /** TLS SNI of the sandbox's inner connection (intercepted CONNECT or transparent mode). */
  sniHost?: string | null;
  /** The inner request's `Host` header (or :authority). */
  requestHost?: string | null;
}

const deny = (check: DenyCheck, reason: string, code: ErrorCode = 'placeholder_blocked'): Denial => ({ allow: false, code, check, reason });

/** Splits `host[:port]` / `[v6][:port]`; the port is undefined when absent. */
function splitAuthority(authority: string): { host: string; port: number | undefined } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!m) return { host: authority, port: undefined };
  return { host: m[1] as string, port: m[2] === undefined ? undefined : Number(m[2]) };
}

const show = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * DESIGN.md §2.2: CONNECT authority = TLS SNI = `Host`, checked on every request in a tunnel,
 * so a client cannot open a tunnel to an allowed host and then address another one through it
 * (domain fronting). SNI ≠ authority is `destination_mismatch` (400); a `Host` naming another
 * server than the connection is `misdirected_request` (421, RFC 9110 §15.5.20).
 */
export function checkDestinationConsistency(destination: Pick<Destination, 'host' | 'port' | 'scheme'>, sniHost?: string | null, requestHost?: string | null): Decision {
  const dest = normalizeHost(destination.host);
  if (dest === null) return deny('destination_mismatch', 'the destination is not a valid host name', 'destination_mismatch');
  const where = show(dest, destination.port);
  if (sniHost !== undefined && sniHost !== null && sniHost !== '') {
    const sni = normalizeHost(sniHost);
    if (sni !== dest) return deny('destination_mismatch', `the TLS server name ${sni ?? '(invalid)'} differs from the destination ${where}`, 'destination_mismatch');
  }
  if (requestHost !== undefined && requestHost !== null) {
    const { host, port } = splitAuthority(requestHost);
    const h = normalizeHost(host);
    const defaultPort = destination.scheme === 'https' ? 443 : 80;
    if (h !== dest || (port ?? defaultPort) !== destination.port) {
      return deny('misdirected_request', `the Host header ${h ?? '(invalid)'}${port ? `:${port}` : ''} differs from the destination ${where}`, 'misdirected_request');
    }
  }
  return { allow: true, reason: `destination ${where} is consistent` };
}

/**
 * May the value of the secret behind this placeholder be attached to this request? Checks, in
 * order: the placeholder is bound (§2.4), to this sandbox, its secret still resolves, the
 * destination is consistent (§2.2), TLS with a verified certificate or an explicit
 * `allowInsecureHttp` (§2.3), and the host and port match the secret's rules (§2.2).
 */
export function decideSwap(input: SwapInput): Decision {
  const { sandbox, binding, secret, destination } = input;
  if (binding === null) return deny('unknown_placeholder', 'the placeholder is not bound to any sandbox (unknown, mistyped or from a deleted sandbox)');
  if (binding.sandboxId !== sandbox.id) return deny('other_sandbox', 'the placeholder belongs to another sandbox');
  const which = `secret ${JSON.stringify(binding.secretName)} (bound to ${binding.envName})`;
  if (secret === null || secret.tenantId !== sandbox.tenantId || secret.name !== binding.secretName) {
    return deny('secret_unresolved', `${which} no longer resolves for this sandbox (deleted, or not visible at its scope)`);
  }
  const consistent = checkDestinationConsistency(destination, input.sniHost, input.requestHost);
  if (!consistent.allow) return consistent;
  const dest = normalizeHost(destination.host) ?? destination.host;
  const where = show(dest, destination.port);
  if (destination.scheme === 'http' && !secret.allowInsecureHttp) {
    return deny('insecure_http', `${which} is not sent over plain http (to ${where}); use https or set allowInsecureHttp on the secret`);
  }
  if (destination.scheme === 'https' && !destination.tlsVerified) {
    return deny('tls_unverified', `${which} is sent only to a verified TLS upstream; the certificate of ${where} is not verified`);
  }
  if (secret.hosts.length === 0) return deny('no_hosts', `${which} has no hosts, so it cannot be used through the proxy`);
  let rules: readonly HostRule[];
  try {
    rules = compileHostRules(secret.hosts);
  } catch {
    return deny('host_not_allowed', `${which} has an invalid host rule`);
  }
  const m = matchHost(rules, destination.host, destination.port);
  if (!m.ok) return deny(m.hostMatched ? 'port_not_allowed' : 'host_not_allowed', `${which} may not be sent to ${where}: ${m.reason}`);
  return { allow: true, rule: m.rule, reason: `${which} may be sent to ${where}: ${m.reason}` };
}

/**
 * The sandbox's own egress policy (`allowHosts`; null allows any public host). A rule without a
 * port allows ports 443 and 80 (hosts.ts compileEgressRules); secrets' host rules keep the
 * strict default of 443 only. Refusals are `egress_denied` (403).
 */
export function checkEgressPolicy(policy: EgressPolicy, host: string, port: number): Decision {
  if (policy.allowHosts === null) return { allow: true, reason: 'the sandbox has no egress allow-list; any public host is allowed' };
  const rules = compileEgressRules(policy.allowHosts);
  const m = matchHost(rules, host, port);
  if (m.ok) return { allow: true, rule: m.rule, reason: `egress allowed: ${m.reason}` };
  return { allow: false, code: 'egress_denied', check: m.hostMatched ? 'port_not_allowed' : 'host_not_allowed', reason: `the sandbox's egress policy refuses this destination: ${m.reason}` };
}
