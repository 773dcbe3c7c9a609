import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BASE62_ALPHABET, CHECKSUM_LEN, PLACEHOLDER_BODY_LEN, checksumOf, hasValidChecksum } from '../core/checksum.js';
import type { ApiKeyKind } from '../core/types.js';

export { CHECKSUM_LEN, PLACEHOLDER_BODY_LEN, checksumOf } from '../core/checksum.js';

/** Prefixes of the credentials standin issues (DESIGN.md §1, issue 2). */
export const API_KEY_PREFIXES: Readonly<Record<ApiKeyKind, string>> = Object.freeze({ live: 'stn_live_', test: 'stn_test_', user: 'stn_u_' });
export const PLACEHOLDER_PREFIX = 'stn_ph_';
export const PROXY_TOKEN_PREFIX = 'stn_px_';
/** Characters of a key shown in lists: enough to recognise it, far too few to use it. */
export const TOKEN_PREFIX_LEN = 12;

const TOKEN_RE = new RegExp(`^stn_(?:live|test|u|ph|px)_([0-9A-Za-z]{${PLACEHOLDER_BODY_LEN + CHECKSUM_LEN}})$`);
const HASH_HEX_RE = /^[0-9a-fA-F]{64}$/;
// 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely
// (a plain `byte % 62` would favour the first 8 characters).
const UNBIASED_LIMIT = 248;

/** `length` uniformly random base62 characters (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // ~3% of bytes are rejected; ask for a little more than needed to rarely loop twice.
    for (const b of randomBytes(Math.ceil((length - out.length) * 1.1) + 4)) {
      if (b < UNBIASED_LIMIT) out += BASE62_ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

function withChecksum(prefix: string): string {
  const body = randomBase62(PLACEHOLDER_BODY_LEN);
  return prefix + body + checksumOf(body);
}

/** A new API key: `stn_live_` / `stn_test_` / `stn_u_` + 40 base62 + 6-character checksum. */
export function generateApiKey(kind: ApiKeyKind): string {
  return withChecksum(API_KEY_PREFIXES[kind]);
}

/** A new placeholder: prefix + 40 base62 (≈238 bits) + 6-character checksum. */
export function generatePlaceholder(prefix: string = PLACEHOLDER_PREFIX): string {
  return withChecksum(prefix);
}

/** A new sandbox proxy token: `stn_px_` + 40 base62 + 6-character checksum. */
export function generateProxyToken(): string {
  return withChecksum(PROXY_TOKEN_PREFIX);
}

/**
 * True when `token` has the shape of a standin-issued token (stn_live_/test_/u_/ph_/px_) and a
 * valid checksum. A cheap filter before any database lookup; it proves nothing about validity.
 */
export function verifyTokenChecksum(token: string): boolean {
  const m = TOKEN_RE.exec(token);
  return m !== null && hasValidChecksum(m[1] as string);
}

/** The kind of an API key from its prefix, or null when it is not an API key. */
export function apiKeyKind(token: string): ApiKeyKind | null {
  for (const [kind, prefix] of Object.entries(API_KEY_PREFIXES) as [ApiKeyKind, string][]) {
    if (token.startsWith(prefix)) return kind;
  }
  return null;
}

/** The first 12 characters, stored and listed to recognise a key. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX_LEN);
}

/**
 * Hex SHA-256 of a token: how keys, placeholders and proxy tokens are stored. Tokens carry
 * ≥230 random bits, so an unsalted fast hash is safe and allows an indexed lookup.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex SHA-256 digests; false for anything malformed. */
export function tokenHashEquals(aHex: string, bHex: string): boolean {
  // The length check leaks nothing: every well-formed digest is 64 characters.
  if (!HASH_HEX_RE.test(aHex) || !HASH_HEX_RE.test(bHex)) return false;
  return timingSafeEqual(Buffer.from(aHex, 'hex'), Buffer.from(bHex, 'hex'));
}

/** A row id: `prefix` + 20 random base62 characters (≈119 bits), e.g. `sec_…`. */
export function randomId(prefix: string, length = 20): string {
  return prefix + randomBase62(length);
}
