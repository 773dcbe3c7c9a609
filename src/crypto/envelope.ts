import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StandinError } from '../core/errors.js';
import type { Keyring } from './keyring.js';

/**
 * AES-256-GCM envelope (DESIGN.md §5). Blob layout:
 *
 *   0x01 | id length (1 byte) | key id (ASCII) | nonce (12) | ciphertext | tag (16)
 *
 * The header (format byte and key id) is authenticated together with the caller's AAD, so
 * relabelling a blob with another key id or format fails like any other tampering.
 */
export const FORMAT_V1 = 0x01;
export const NONCE_BYTES = 12; // 96-bit random nonces: NIST SP 800-38D §8.2.2
export const TAG_BYTES = 16;
const KEY_BYTES = 32;
const AAD_PREFIX = 'standin/v1';

/** Where a blob's value lives; bound into the AAD so a blob copied to another row fails to open. */
export interface AadParts {
  tenantId: string;
  secretId: string;
  version: number;
  field: string;
}

// '|' separates the parts, so a part containing it could make two rows share one AAD.
const AAD_PART_RE = /^[^|\x00-\x1f]+$/;

/** `standin/v1|<tenant>|<secret>|<version>|<field>`: the associated data of a value blob. */
export function aad(parts: AadParts): string {
  const { tenantId, secretId, version, field } = parts;
  for (const [name, v] of [['tenantId', tenantId], ['secretId', secretId], ['field', field]] as const) {
    if (!AAD_PART_RE.test(v)) throw new StandinError('crypto_failed', `invalid associated data: ${name} is empty or contains '|' or a control character`);
  }
  if (!Number.isSafeInteger(version) || version < 1) throw new StandinError('crypto_failed', 'invalid associated data: version must be a positive integer');
  return `${AAD_PREFIX}|${tenantId}|${secretId}|${version}|${field}`;
}

/**
 * Resolves the key a blob names; throws (e.g. `unknown_root_key`) when it has none. A Keyring
 * yields the root key bytes as they are; data keys are wrapped with HKDF-derived keys instead
 * (see dek.ts), so pass a function there.
 */
export type KeyLookup = Keyring | ((keyId: string) => Buffer);

const failed = (cause?: unknown) => new StandinError('crypto_failed', 'decryption failed: the data is corrupt, was moved, or the key is wrong', undefined, { cause });

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  if (id.length === 0 || id.length > 255 || !/^[\x21-\x7e]+$/.test(keyId)) throw new StandinError('crypto_failed', 'invalid key id for an envelope');
  return Buffer.concat([Buffer.from([FORMAT_V1, id.length]), id]);
}

/** Encrypts `plaintext` under a 32-byte key with a fresh random nonce; `keyId` is stored in the blob. */
export function seal(key: Buffer, keyId: string, plaintext: Buffer, aadText: string): Buffer {
  if (key.length !== KEY_BYTES) throw new StandinError('crypto_failed', 'encryption key must be 32 bytes');
  const head = header(keyId);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([head, Buffer.from(aadText, 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, nonce, body, cipher.getAuthTag()]);
}

interface Parsed {
  head: Buffer;
  keyId: string;
  nonce: Buffer;
  body: Buffer;
  tag: Buffer;
}

function parse(blob: Buffer): Parsed {
  if (blob.length < 2 || blob[0] !== FORMAT_V1) throw failed();
  const idLen = blob[1] as number;
  const headLen = 2 + idLen;
  if (idLen === 0 || blob.length < headLen + NONCE_BYTES + TAG_BYTES) throw failed();
  return {
    head: blob.subarray(0, headLen),
    keyId: blob.subarray(2, headLen).toString('latin1'),
    nonce: blob.subarray(headLen, headLen + NONCE_BYTES),
    body: blob.subarray(headLen + NONCE_BYTES, blob.length - TAG_BYTES),
    tag: blob.subarray(blob.length - TAG_BYTES),
  };
}

/** The key id recorded in a blob (e.g. to find data keys still wrapped by an old root key). */
export function blobKeyId(blob: Buffer): string {
  return parse(blob).keyId;
}

/**
 * Decrypts a blob made by `seal`. Any tampering, truncation, wrong key or wrong AAD →
 * `crypto_failed` with one generic message; a key id the lookup does not know → its own error
 * (`unknown_root_key` for a Keyring).
 */
export function open(keys: KeyLookup, blob: Buffer, aadText: string): Buffer {
  const p = parse(blob);
  const key = typeof keys === 'function' ? keys(p.keyId) : keys.get(p.keyId).bytes();
  if (key.length !== KEY_BYTES) throw failed();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, p.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([p.head, Buffer.from(aadText, 'utf8')]));
    decipher.setAuthTag(p.tag);
    return Buffer.concat([decipher.update(p.body), decipher.final()]);
  } catch (e) {
    throw failed(e);
  }
}
