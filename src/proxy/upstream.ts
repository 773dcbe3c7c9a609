/**
 * Upstream connections (DESIGN.md §6 step 5): undici keep-alive pools keyed by
 * (scheme, host, port, checked address), so a pool only ever connects to the address the SSRF
 * guard approved, and presents the destination name as SNI. Upstream TLS is verified against the
 * bundled Mozilla roots plus the operator's extra CAs (STANDIN_UPSTREAM_CA_FILE), using one
 * SecureContext built at start: passing a `ca` list per connection would re-parse ~150
 * certificates on every handshake.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { Pool } from 'undici';
import { StandinError } from '../core/errors.js';

export interface UpstreamKey {
  scheme: 'http' | 'https';
  /** Normalized destination host: the SNI and certificate name (IPv6 without brackets). */
  host: string;
  port: number;
  /** The address the guard checked; the only one this pool connects to. */
  address: string;
}

export interface UpstreamOptions {
  caFile: string | null;
  /** Pools kept; the least recently created beyond this is closed. Default 512. */
  maxPools?: number;
  /** Connections per pool. Default 256. */
  connections?: number;
}

const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);

/** Reads the extra upstream CAs; a missing or empty file stops start-up with the setting named. */
export function upstreamSecureContext(caFile: string | null): tls.SecureContext {
  const ca = [...tls.rootCertificates];
  if (caFile) {
    let pem: string;
    try {
      pem = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new StandinError('config_invalid', `STANDIN_UPSTREAM_CA_FILE ${caFile} cannot be read`, { setting: 'upstreamCaFile' }, { cause: e });
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new StandinError('config_invalid', `STANDIN_UPSTREAM_CA_FILE ${caFile} holds no PEM certificate`, { setting: 'upstreamCaFile' });
    }
    ca.push(pem);
  }
  return tls.createSecureContext({ ca });
}

export class UpstreamPools {
  readonly #secureContext: tls.SecureContext;
  readonly #pools = new Map<string, Pool>();
  readonly #max: number;
  readonly #connections: number;

  constructor(opts: UpstreamOptions) {
    this.#secureContext = upstreamSecureContext(opts.caFile);
    this.#max = opts.maxPools ?? 512;
    this.#connections = opts.connections ?? 256;
  }

  /** The pool for this destination and checked address. */
  get(k: UpstreamKey): Pool {
    const key = `${k.scheme}|${k.host}|${k.port}|${k.address}`;
    const hit = this.#pools.get(key);
    if (hit) return hit;
    const sni = isIP(k.host) ? undefined : k.host; // RFC 6066 §3: no IP literals in SNI
    const pool = new Pool(`${k.scheme}://${bracket(k.address)}:${k.port}`, {
      connections: this.#connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 300_000,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
      // Certificate checks use `servername` (else the address); rejectUnauthorized stays true.
      connect: k.scheme === 'https' ? { secureContext: this.#secureContext, servername: sni, rejectUnauthorized: true, timeout: 10_000 } : { timeout: 10_000 },
    });
    this.#pools.set(key, pool);
    if (this.#pools.size > this.#max) {
      const [oldKey, old] = this.#pools.entries().next().value as [string, Pool];
      this.#pools.delete(oldKey);
      void old.close().catch(() => {});
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** True when an upstream failure is about its certificate or the TLS handshake. */
export function isTlsFailure(err: unknown): boolean {
  for (let e: unknown = err, i = 0; e && i < 4; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODE.test(code)) return true;
  }
  return false;
}
