import { StandinError, isStandinError } from '../core/errors.js';
import { Keyring, MASTER_KEY_ENV, loadKeyring, type LoadKeyringOptions, type RootKey } from './keyring.js';

/** A running server re-reads its key source at most this often. */
export const KEYRING_RELOAD_INTERVAL_MS = 5000;

export interface KeyringHolderOptions {
  /** Reads the key source again. Without it the keyring never changes. */
  reload?: () => Promise<Keyring>;
  /** Minimum time between two re-reads (KEYRING_RELOAD_INTERVAL_MS by default). */
  minIntervalMs?: number;
  now?: () => number;
  /** Where reloads and failed reloads are reported (ids and paths only, never key material). */
  log?: (msg: string) => void;
}

/**
 * The keyring of a running server, reloadable. `standin keyring rotate` writes the new active key
 * to the key file and re-wraps every data key in the database under it, so a server started before
 * the rotation meets data keys wrapped by a key it never loaded, and used to fail every
 * encryption and decryption with `unknown_root_key` until it was restarted.
 *
 * `withReload` turns that into one re-read of the key source: when an operation fails with
 * `unknown_root_key` for a key id this keyring lacks, the source is read again (at most once per
 * interval, one read shared by concurrent callers) and the operation retried once. A source that
 * still lacks the key leaves the original error in place, so a server that really lacks a key
 * still says which one.
 */
export class KeyringHolder {
  #current: Keyring;
  #lastReloadAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | null = null;
  readonly #opts: KeyringHolderOptions;

  constructor(initial: Keyring, opts: KeyringHolderOptions = {}) {
    this.#current = initial;
    this.#opts = opts;
  }

  /** The keyring to use now. */
  current(): Keyring {
    return this.#current;
  }

  /**
   * Re-reads the key source unless it was read less than the interval ago (or is being read: then
   * waits for that read). Resolves true when a read happened or was awaited, false when skipped.
   * The new keyring has the source's keys (its first one active) plus every key loaded before
   * that the source no longer lists: a running server never loses a key it could read with.
   * Rejects when the source cannot be read; the current keyring is kept.
   */
  async reload(): Promise<boolean> {
    const read = this.#opts.reload;
    if (!read) return false;
    if (this.#inflight) {
      await this.#inflight;
      return true;
    }
    const now = (this.#opts.now ?? Date.now)();
    if (now - this.#lastReloadAt < (this.#opts.minIntervalMs ?? KEYRING_RELOAD_INTERVAL_MS)) return false;
    // Counted before the read: a source that fails to read is not hammered either.
    this.#lastReloadAt = now;
    this.#inflight = (async () => {
      const before = this.#current;
      const next = merged(await read(), before);
      this.#current = next;
      if (next.ids().join(',') !== before.ids().join(',')) {
        this.#opts.log?.(`root keys reloaded: active key ${next.activeId} (was ${before.activeId}); loaded ${next.ids().join(', ')}`);
      }
    })().finally(() => {
      this.#inflight = null;
    });
    await this.#inflight;
    return true;
  }

  /**
   * Runs `fn` with the current keyring. When it throws `unknown_root_key` for a key id that keyring
   * lacks, reloads (rate-limited) and runs `fn` once more if the key is loaded now; otherwise the
   * original error stands.
   */
  async withReload<T>(fn: (keyring: Keyring) => T | Promise<T>): Promise<T> {
    const ring = this.#current;
    try {
      return await fn(ring);
    } catch (e) {
      const id = missingKeyId(e, ring);
      if (id === null) throw e;
      if (!this.#current.has(id)) {
        try {
          await this.reload();
        } catch (reloadError) {
          this.#opts.log?.(`root key "${id}" is not loaded and re-reading the key source failed: ${(reloadError as Error).message}`);
          throw e;
        }
      }
      if (!this.#current.has(id)) throw e;
      return fn(this.#current);
    }
  }
}

/** The id an `unknown_root_key` error asks for, when `ring` does not hold it; else null. */
function missingKeyId(e: unknown, ring: Keyring): string | null {
  if (!isStandinError(e) || e.code !== 'unknown_root_key') return null;
  const id = e.details?.expectedKeyId;
  return typeof id === 'string' && !ring.has(id) ? id : null;
}

function merged(fresh: Keyring, before: Keyring): Keyring {
  const keys: RootKey[] = fresh.ids().map((id) => fresh.get(id));
  for (const id of before.ids()) {
    const old = before.get(id);
    if (!fresh.has(id)) keys.push(old);
    else if (!fresh.get(id).sameMaterial(old)) {
      // Swapping the material behind an id under a running server would make data it wrote
      // unreadable to it; that takes a restart, done on purpose.
      throw new StandinError('config_invalid', `root key id "${id}" now names a different key in the key source; restart standin to load it`);
    }
  }
  return new Keyring(keys);
}

/**
 * Loads the keyring as `loadKeyring` does, in a holder that can re-read the key file later.
 * Keys given inline in STANDIN_MASTER_KEY cannot change under a running process: no reload then.
 */
export async function loadKeyringHolder(opts: LoadKeyringOptions): Promise<KeyringHolder> {
  const { keyring, source } = await loadKeyring(opts);
  const reload = source === MASTER_KEY_ENV ? undefined : async () => (await loadKeyring({ ...opts, create: false })).keyring;
  return new KeyringHolder(keyring, { reload, log: opts.log });
}
