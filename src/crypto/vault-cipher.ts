import { createHash } from 'node:crypto';
import { StandinError } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { DEK_BYTES, newDataKey, rewrapDataKey, unwrapDataKey, wrapDataKey } from './dek.js';
import { aad, open, seal, type AadParts } from './envelope.js';
import type { Keyring } from './keyring.js';
import { KeyringHolder } from './keyring-holder.js';

/** What the store and API hand in: the keyring and a way to find a tenant's data key. */
export interface ValueCipherOptions {
  /** A fixed keyring, or a holder whose keyring is re-read when a data key needs a key it lacks. */
  keyring: Keyring | KeyringHolder;
  /**
   * Resolves a tenant's data key: either the wrapped blob exactly as stored (it is unwrapped here
   * with the keyring) or the 32-byte plaintext DEK. The two cannot be confused: a wrapped blob is
   * always longer than 32 bytes.
   */
  dekFor: (tenantId: string) => Promise<Buffer>;
}

// Value blobs carry a fingerprint of the DEK in the key-id slot, not a root key id: values are
// sealed with the DEK, and a root key id there would go stale at the first rotation. The
// fingerprint turns "tenant data key replaced" into a clear error instead of a bare tag failure.
function dekId(dek: Buffer): string {
  return 'dek-' + createHash('sha256').update('standin/v1/dek-id|').update(dek).digest('hex').slice(0, 8);
}

/**
 * Encrypts and decrypts secret values with the tenant's DEK (AES-256-GCM, AAD
 * `standin/v1|tenant|secret|version|field`), so a blob copied to another row fails to open.
 */
export class ValueCipher {
  readonly #keys: KeyringHolder;
  readonly #dekFor: (tenantId: string) => Promise<Buffer>;

  constructor(opts: ValueCipherOptions) {
    this.#keys = opts.keyring instanceof KeyringHolder ? opts.keyring : new KeyringHolder(opts.keyring);
    this.#dekFor = opts.dekFor;
  }

  /** A wrapped DEK for a new tenant, to store in its row. */
  newTenantKey(tenantId: string): Buffer {
    const dek = newDataKey();
    try {
      return wrapDataKey(this.#keys.current(), tenantId, dek);
    } finally {
      dek.fill(0);
    }
  }

  /** The tenant's wrapped DEK re-wrapped under the active root key (keyring rotation). */
  rewrapTenantKey(tenantId: string, wrapped: Buffer): Buffer {
    return rewrapDataKey(this.#keys.current(), tenantId, wrapped);
  }

  /** Encrypts one field of one secret version; the blob is what the store writes. */
  async encryptValue(where: AadParts, value: SecretValue): Promise<Buffer> {
    const ad = aad(where);
    const dek = await this.#dek(where.tenantId);
    const plaintext = Buffer.from(value.reveal(), 'utf8');
    try {
      return seal(dek, dekId(dek), plaintext, ad);
    } finally {
      plaintext.fill(0);
      dek.fill(0);
    }
  }

  /** Decrypts a blob written by `encryptValue` for exactly the same tenant/secret/version/field. */
  async decryptValue(where: AadParts, blob: Buffer): Promise<SecretValue> {
    const ad = aad(where);
    const dek = await this.#dek(where.tenantId);
    try {
      const expected = dekId(dek);
      const plaintext = open(
        (id) => {
          if (id !== expected) throw new StandinError('crypto_failed', `decryption failed: the value was sealed with data key "${id}", but the tenant's data key is "${expected}"`);
          return dek;
        },
        blob,
        ad,
      );
      try {
        return new SecretValue(plaintext.toString('utf8'));
      } finally {
        plaintext.fill(0);
      }
    } finally {
      dek.fill(0);
    }
  }

  // Always returns a private copy, which the callers above zero after use.
  async #dek(tenantId: string): Promise<Buffer> {
    const stored = await this.#dekFor(tenantId);
    if (stored.length === DEK_BYTES) return Buffer.from(stored);
    // A data key wrapped by a root key this process has not loaded yet (a `keyring rotate` since
    // it started) makes the holder re-read the key file once and retry.
    return this.#keys.withReload((keyring) => unwrapDataKey(keyring, tenantId, stored));
  }
}
