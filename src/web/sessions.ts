import { createHash, randomBytes } from 'node:crypto';

/**
 * A dashboard sign-in. Lives in this process's memory only; the cookie carries just a random id.
 * It holds no credential: the key itself is used once, at sign-in, and every later request
 * re-authenticates by the key's id (KeysService.authenticateById), so a revoked or expired key
 * ends the session on its next request and the actor always carries the key's current scopes.
 */
export interface WebSession {
  /** The id of the API key the user signed in with. */
  keyId: string;
  /** First characters of the key, to show which key the session uses. */
  keyPrefix: string;
  /** Synchronizer token for the forms of this session. */
  csrf: string;
  expiresAt: number;
}

/** Sessions above this many are refused until old ones expire: memory stays bounded. */
const MAX_SESSIONS = 10_000;

const idHash = (id: string) => createHash('sha256').update(id).digest('hex');

/** In-memory sessions keyed by the SHA-256 of their id (DESIGN.md §2.10 stores tokens as hashes). */
export class SessionStore {
  readonly #byHash = new Map<string, WebSession>();

  constructor(private readonly ttlMs: number, private readonly now: () => number) {}

  /** Starts a session; returns the id for the cookie (256 random bits). */
  create(keyId: string, keyPrefix: string): { id: string; session: WebSession } | null {
    this.sweep();
    if (this.#byHash.size >= MAX_SESSIONS) return null;
    const id = randomBytes(32).toString('base64url');
    const session: WebSession = { keyId, keyPrefix, csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.#byHash.set(idHash(id), session);
    return { id, session };
  }

  /** The live session for a cookie value, or null (unknown or expired; expired ones are removed). */
  get(id: string | undefined | null): WebSession | null {
    if (!id || id.length > 128) return null;
    const h = idHash(id);
    const s = this.#byHash.get(h);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.#byHash.delete(h);
      return null;
    }
    return s;
  }

  destroy(id: string | undefined | null): void {
    if (id) this.#byHash.delete(idHash(id));
  }

  sweep(): void {
    const t = this.now();
    for (const [h, s] of this.#byHash) if (s.expiresAt <= t) this.#byHash.delete(h);
  }

  get size(): number {
    return this.#byHash.size;
  }
}
