/**
 * The SSRF guard around the upstream connection (DESIGN.md §2.6): a destination name is resolved
 * once (operator overrides first, like curl's --resolve), every address is classified by
 * core/ssrf.ts, and the proxy connects to exactly the address that passed. A DNS answer that
 * changes between check and connect (rebinding) therefore cannot reach a refused address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkDestination, parseAllowList, type AllowList } from '../core/ssrf.js';
import type { ErrorCode } from '../core/errors.js';

/** The address the proxy will connect to, after the checks. */
export interface CheckedAddress {
  address: string;
  family: 4 | 6;
  /** The allow-list entry that exempted a non-public address, if one did. */
  allowedBy?: string;
}

export type GuardResult = { ok: true; target: CheckedAddress } | { ok: false; code: ErrorCode; reason: string };

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface GuardOptions {
  /** STANDIN_EGRESS_ALLOW entries. */
  allow: readonly string[];
  /** STANDIN_RESOLVE: normalized host → address. */
  resolve: Readonly<Record<string, string>>;
  lookup?: Lookup;
  /** How long a DNS answer is reused. Default 30 s; the check runs on every use regardless. */
  ttlMs?: number;
}

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

export class DestinationGuard {
  readonly #allow: AllowList;
  readonly #resolve: Readonly<Record<string, string>>;
  readonly #lookup: Lookup;
  readonly #ttlMs: number;
  readonly #dns = new Map<string, { at: number; answer: Promise<string[]> }>();
  /** Decisions per host for the DNS TTL: the same answer always gets the same decision. */
  readonly #decided = new Map<string, { at: number; result: GuardResult }>();

  constructor(opts: GuardOptions) {
    this.#allow = parseAllowList(opts.allow.join(','));
    this.#resolve = opts.resolve;
    this.#lookup = opts.lookup ?? systemLookup;
    this.#ttlMs = opts.ttlMs ?? 30_000;
  }

  /** Resolves a normalized host (IPv6 without brackets) and picks an address that passes. */
  async check(host: string): Promise<GuardResult> {
    const now = Date.now();
    const hit = this.#decided.get(host);
    if (hit && now - hit.at < this.#ttlMs) return hit.result;
    const result = await this.#check(host);
    if (result.ok || result.code === 'ssrf_blocked') {
      this.#decided.set(host, { at: now, result });
      if (this.#decided.size > 10_000) this.#decided.delete(this.#decided.keys().next().value as string);
    }
    return result;
  }

  async #check(host: string): Promise<GuardResult> {
    let addresses: string[];
    if (isIP(host)) addresses = [host];
    else {
      const fixed = this.#resolve[host];
      if (fixed !== undefined) addresses = [fixed];
      else {
        try {
          addresses = await this.#answer(host);
        } catch {
          return { ok: false, code: 'upstream_failed', reason: `the destination ${host} could not be resolved` };
        }
      }
    }
    let firstRefusal: string | null = null;
    for (const address of addresses) {
      const d = checkDestination(address, this.#allow, host);
      if (d.allowed) return { ok: true, target: { address, family: isIP(address) === 6 ? 6 : 4, ...(d.allowedBy ? { allowedBy: d.allowedBy } : {}) } };
      firstRefusal ??= d.reason;
    }
    const via = isIP(host) ? '' : ` (${host} resolves to ${addresses.join(', ')})`;
    return { ok: false, code: 'ssrf_blocked', reason: `the proxy does not connect to internal addresses: ${firstRefusal ?? 'no address'}${via}` };
  }

  #answer(host: string): Promise<string[]> {
    const now = Date.now();
    const hit = this.#dns.get(host);
    if (hit && now - hit.at < this.#ttlMs) return hit.answer;
    const answer = this.#lookup(host).then((r) => {
      if (r.length === 0) throw new Error('no addresses');
      return r.map((a) => a.address);
    });
    const entry = { at: now, answer };
    this.#dns.set(host, entry);
    answer.catch(() => {
      if (this.#dns.get(host) === entry) this.#dns.delete(host);
    });
    if (this.#dns.size > 10_000) this.#dns.delete(this.#dns.keys().next().value as string);
    return answer;
  }
}
