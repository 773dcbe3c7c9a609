/**
 * Sandbox identity on the explicit listener (DESIGN.md §6 step 1): the `Proxy-Authorization`
 * credential embedded in the sandbox's proxy URL (`http://standin:stn_px_…@host:port`).
 * Tokens are looked up by SHA-256 and the stored hash is compared in constant time (§2.10).
 * Identities are cached; a sandbox change on the bus revokes the cached identity, so a deleted
 * sandbox stops working on its next request, also inside an already open tunnel.
 */
import type { Sandbox } from '../core/types.js';
import type { Change } from '../store/changes.js';
import { PROXY_TOKEN_PREFIX, hashToken, tokenHashEquals, verifyTokenChecksum } from '../crypto/tokens.js';

/** Who is talking to the proxy. `revoked` flips when the sandbox changes; callers then re-check. */
export interface Identity {
  readonly tokenHash: string;
  readonly sandbox: Sandbox;
  revoked: boolean;
}

/** The narrow store surface this module reads. */
export interface IdentityStore {
  sandboxes: { byProxyTokenHash(hash: string): Promise<{ sandbox: Sandbox; hash: string } | null> };
}

const BASIC_RE = /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i;

/**
 * The proxy token from a `Proxy-Authorization: Basic base64(user:token)` value, or null. The user
 * name is not checked (the URL says `standin`, clients may rewrite it); the token must have the
 * proxy-token shape and a valid checksum, which rejects junk before any lookup.
 */
export function proxyTokenFrom(header: string | undefined): string | null {
  if (!header) return null;
  const m = BASIC_RE.exec(header);
  if (!m) return null;
  const creds = Buffer.from(m[1] as string, 'base64').toString('latin1');
  const colon = creds.indexOf(':');
  const token = colon === -1 ? creds : creds.slice(colon + 1);
  return token.startsWith(PROXY_TOKEN_PREFIX) && verifyTokenChecksum(token) ? token : null;
}

/** Authenticates proxy requests and keeps the identities warm. */
export class SandboxAuth {
  readonly #store: IdentityStore;
  readonly #byHash = new Map<string, Identity>();
  readonly #max: number;
  // Bumped on every change: a lookup that raced a change is used once but not cached.
  #generation = 0;

  constructor(store: IdentityStore, opts: { maxEntries?: number } = {}) {
    this.#store = store;
    this.#max = opts.maxEntries ?? 50_000;
  }

  /** The identity behind a `Proxy-Authorization` value, or null (→ 407). */
  async authenticate(header: string | undefined): Promise<Identity | null> {
    const token = proxyTokenFrom(header);
    return token === null ? null : this.#lookup(hashToken(token));
  }

  /** `identity` if still valid, a fresh one if the sandbox changed, null if it is gone. */
  async current(identity: Identity): Promise<Identity | null> {
    return identity.revoked ? this.#lookup(identity.tokenHash) : identity;
  }

  async #lookup(hash: string): Promise<Identity | null> {
    const hit = this.#byHash.get(hash);
    if (hit) return hit;
    const generation = this.#generation;
    const row = await this.#store.sandboxes.byProxyTokenHash(hash);
    if (!row || !tokenHashEquals(row.hash, hash)) return null;
    const identity: Identity = { tokenHash: hash, sandbox: row.sandbox, revoked: false };
    if (generation !== this.#generation) {
      identity.revoked = true; // re-checked on its next use
      return identity;
    }
    this.#byHash.set(hash, identity);
    if (this.#byHash.size > this.#max) {
      const oldest = this.#byHash.entries().next().value as [string, Identity];
      oldest[1].revoked = true;
      this.#byHash.delete(oldest[0]);
    }
    return identity;
  }

  /** Applies a change from the store's bus. */
  onChange(c: Change): void {
    this.#generation++;
    if (c.kind !== 'sandbox' && c.kind !== 'tenant') return;
    for (const [hash, id] of this.#byHash) {
      if (c.kind === 'sandbox' ? id.sandbox.id === c.id : id.sandbox.tenantId === c.tenantId) {
        id.revoked = true;
        this.#byHash.delete(hash);
      }
    }
  }

  /** Forgets everything (missed notifications): every identity is re-checked on its next use. */
  reset(): void {
    this.#generation++;
    for (const id of this.#byHash.values()) id.revoked = true;
    this.#byHash.clear();
  }
}
