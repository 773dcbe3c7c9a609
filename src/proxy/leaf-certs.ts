import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { domainToASCII } from 'node:url';
import { StandinError } from '../core/errors.js';
import type { Ca } from './ca.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Tuning knobs; the defaults suit a proxy serving many sandboxes. */
export interface LeafCertFactoryOptions {
  /** Most SecureContexts kept (LRU). Default 1000. */
  maxEntries?: number;
  /** Leaf lifetime. Default 7 days: short, because leaves are free to re-issue. */
  validityMs?: number;
  /** How far notBefore is backdated, for sandboxes whose clock lags. Default 1 hour. */
  backdateMs?: number;
  /** A cached leaf this close to expiry is re-issued on its next use. Default 1 day. */
  renewBeforeMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Counters for metrics and tests. */
export interface LeafCertStats {
  issued: number;
  hits: number;
  evicted: number;
}

interface Entry {
  context: tls.SecureContext;
  renewAt: number;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Canonical form of a TLS server name, used as cache key and certificate subject: lower-case,
 * IDNA A-labels, one trailing dot stripped, IPv6 without brackets. Throws `bad_request` on a
 * name no certificate should carry (empty, over 253 octets, bad label, wildcard, whitespace,
 * IPv6 zone id).
 */
export function normalizeServerName(raw: string): string {
  const unbracketed = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : undefined;
  if (unbracketed !== undefined ? isIP(unbracketed) === 6 : isIP(raw) !== 0) {
    const ip = (unbracketed ?? raw).toLowerCase();
    // A zone id (fe80::1%eth0) names an interface, not a host a certificate can carry.
    if (!ip.includes('%')) return ip;
  }
  let name = raw;
  if (name.endsWith('.')) name = name.slice(0, -1);
  name = name.toLowerCase();
  // SNI carries A-labels already (RFC 6066 §3); a U-label can only come from a CONNECT authority.
  // Anything outside printable ASCII goes through IDNA; what is left invalid fails the check below.
  if (/[^ -~]/.test(name)) name = domainToASCII(name);
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new StandinError('bad_request', 'invalid TLS server name', { serverName: raw.slice(0, 260) });
  }
  return name;
}

/**
 * Issues and caches the TLS server identities the proxy presents while intercepting.
 *
 * - One ECDSA P-256 key, generated at start, serves every leaf: issuing is then one synchronous
 *   signature (~0.3 ms) plus a SecureContext (~1 ms), no key generation per host. The key never
 *   leaves memory.
 * - SecureContexts are cached per normalized name in an LRU of `maxEntries`; a hit is a map lookup.
 *   Issuance is synchronous, so concurrent handshakes for one name cannot race: the first issues,
 *   the rest hit the cache (nothing to coalesce).
 * - Every context shares one 48-byte session-ticket key set (`tls.createSecureContext({ ticketKeys })`)
 *   and one `sessionIdContext`. OpenSSL seals and opens tickets with the keys of the connection's
 *   *initial* context (the one before SNI switches it), so sharing them keeps tickets valid when a
 *   context is evicted and re-created, renewed, or when the initial context is another host's.
 *   Measured: a fresh context per connection resumes only with shared keys. Keys live for the
 *   process, like Node's own `tls.Server` default; a restart invalidates outstanding tickets.
 */
export class LeafCertFactory {
  readonly #ca: Ca;
  readonly #keyPem: string;
  readonly #spki: Buffer;
  readonly #ticketKeys: Buffer = randomBytes(48);
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #validityMs: number;
  readonly #backdateMs: number;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  readonly #stats: LeafCertStats = { issued: 0, hits: 0, evicted: 0 };

  /**
   * A certificate-less context carrying the shared ticket keys: pass it as `secureContext` to a
   * server-side `TLSSocket` whose leaf `SNICallback` picks. Without it Node gives every TLSSocket
   * a fresh default context with random ticket keys, and no session ever resumes. (When the
   * CONNECT authority is known up front, `secureContextFor(authority)` serves as well.)
   */
  readonly baseContext: tls.SecureContext;

  constructor(ca: Ca, options: LeafCertFactoryOptions = {}) {
    this.#ca = ca;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.#keyPem = String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    this.#spki = publicKey.export({ type: 'spki', format: 'der' });
    this.#max = Math.max(1, options.maxEntries ?? 1000);
    this.#validityMs = options.validityMs ?? 7 * DAY_MS;
    this.#backdateMs = options.backdateMs ?? HOUR_MS;
    this.#renewBeforeMs = Math.min(options.renewBeforeMs ?? DAY_MS, this.#validityMs / 2);
    this.#now = options.now ?? Date.now;
    this.baseContext = tls.createSecureContext(this.#sessionOptions());
  }

  #sessionOptions(): tls.SecureContextOptions {
    return { ticketKeys: this.#ticketKeys, sessionIdContext: 'standin' };
  }

  /**
   * The SecureContext presenting a leaf for `serverName` (a host name or IP literal), from the
   * cache or freshly issued. Synchronous, so it fits `SNICallback` and CONNECT handling alike.
   * Throws `bad_request` for an invalid name.
   */
  secureContextFor(serverName: string): tls.SecureContext {
    const name = normalizeServerName(serverName);
    const now = this.#now();
    const hit = this.#entries.get(name);
    if (hit) {
      this.#entries.delete(name); // re-insert: Map iteration order is the LRU order
      if (now < hit.renewAt) {
        this.#entries.set(name, hit);
        this.#stats.hits++;
        return hit.context;
      }
    }
    const notAfter = now + this.#validityMs;
    const cert = this.#ca.issueLeaf({
      host: name,
      publicKeySpki: this.#spki,
      notBefore: new Date(now - this.#backdateMs),
      notAfter: new Date(notAfter),
    });
    // Only the leaf is sent: sandboxes trust the CA itself, so the chain would be dead weight.
    // This call dominates issuance (~1 ms: OpenSSL 3 decoding the PEM key and cert), the
    // signature itself is ~0.3 ms; hence the cache.
    const context = tls.createSecureContext({
      key: this.#keyPem,
      cert,
      ...this.#sessionOptions(),
    });
    this.#stats.issued++;
    this.#entries.set(name, { context, renewAt: notAfter - this.#renewBeforeMs });
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.#stats.evicted++;
    }
    return context;
  }

  /** The cached context for `serverName` if present and fresh, without issuing or reordering. */
  peek(serverName: string): tls.SecureContext | undefined {
    const hit = this.#entries.get(normalizeServerName(serverName));
    return hit && this.#now() < hit.renewAt ? hit.context : undefined;
  }

  /** Ready-made `SNICallback` for `tls.createServer` / `new tls.TLSSocket(..., { isServer })`. */
  readonly SNICallback = (serverName: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
    let context: tls.SecureContext;
    try {
      context = this.secureContextFor(serverName);
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb(null, context);
  };

  /** Number of cached contexts. */
  get size(): number {
    return this.#entries.size;
  }

  /** A snapshot of the counters. */
  get stats(): LeafCertStats {
    return { ...this.#stats };
  }
}
