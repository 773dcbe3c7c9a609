import { hkdfSync, randomBytes } from 'node:crypto';
import { StandinError } from '../core/errors.js';
import { open, seal } from './envelope.js';
import type { Keyring, RootKey } from './keyring.js';

/**
 * Per-tenant data keys (DEKs). Values are encrypted with the tenant's DEK; the DEK is stored
 * wrapped by a key derived from a root key. Rotating the root key therefore re-wraps one small
 * blob per tenant instead of re-encrypting every value.
 */
export const DEK_BYTES = 32;

// RFC 5869 §3.1: a salt adds nothing when the input key is already uniformly random, so it is
// empty; `info` binds the derived key to its purpose and tenant (§3.2), so the wrapping key of
// one tenant never unwraps another tenant's DEK even if blobs are swapped.
const EMPTY_SALT = Buffer.alloc(0);
const wrapInfo = (tenantId: string) => `standin/v1/dek-wrap|${tenantId}`;
const dekAad = (tenantId: string) => `standin/v1|tenant|${tenantId}|dek`;

function wrappingKey(root: RootKey, tenantId: string): Buffer {
  if (tenantId === '' || tenantId.includes('|')) throw new StandinError('crypto_failed', "invalid tenant id for a data key: empty or contains '|'");
  return Buffer.from(hkdfSync('sha256', root.bytes(), EMPTY_SALT, wrapInfo(tenantId), DEK_BYTES));
}

/** A fresh random 32-byte data key. */
export function newDataKey(): Buffer {
  return randomBytes(DEK_BYTES);
}

/** Wraps a tenant's DEK under the keyring's active root key; the blob records that key's id. */
export function wrapDataKey(keyring: Keyring, tenantId: string, dek: Buffer): Buffer {
  if (dek.length !== DEK_BYTES) throw new StandinError('crypto_failed', 'a data key must be 32 bytes');
  const root = keyring.active();
  const kek = wrappingKey(root, tenantId);
  try {
    return seal(kek, root.id, dek, dekAad(tenantId));
  } finally {
    kek.fill(0);
  }
}

/**
 * Unwraps a tenant's DEK with whichever root key the blob names. Throws `unknown_root_key`
 * (naming the id) when that key is not loaded, `crypto_failed` for anything else.
 */
export function unwrapDataKey(keyring: Keyring, tenantId: string, blob: Buffer): Buffer {
  let kek: Buffer | undefined;
  try {
    const dek = open((id) => (kek = wrappingKey(keyring.get(id), tenantId)), blob, dekAad(tenantId));
    if (dek.length !== DEK_BYTES) throw new StandinError('crypto_failed', 'decryption failed: the data key has the wrong length');
    return dek;
  } finally {
    kek?.fill(0);
  }
}

/** Re-wraps a DEK under the active root key (keyring rotation); the DEK itself is unchanged. */
export function rewrapDataKey(keyring: Keyring, tenantId: string, blob: Buffer): Buffer {
  const dek = unwrapDataKey(keyring, tenantId, blob);
  try {
    return wrapDataKey(keyring, tenantId, dek);
  } finally {
    dek.fill(0);
  }
}
