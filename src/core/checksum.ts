/**
 * The checksum suffix shared by API keys, proxy tokens and placeholders: CRC32 of the random body,
 * written as 6 base62 characters. It lets the API reject a mistyped key and the proxy's scanner
 * reject a random look-alike before any hash lookup, as GitHub's token format does. It is not a
 * security control: it detects typos, not forgery.
 *
 * Pure (no I/O, no node:crypto) so core/placeholder.ts can reuse the same algorithm.
 */

/** Digits, then upper, then lower case: the order used by the base62 encoding below. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Length of the random body of a token or placeholder (40 × log2(62) ≈ 238 bits). */
export const PLACEHOLDER_BODY_LEN = 40;

/** Length of the checksum suffix; 62^6 > 2^32, so any CRC32 fits. */
export const CHECKSUM_LEN = 6;

const BASE62_RE = /^[0-9A-Za-z]*$/;

// IEEE 802.3 polynomial (reflected), the CRC32 of zlib and PNG. Our own table because
// zlib.crc32 only exists from Node 20.15 and core/ must not import node modules anyway.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const encoder = new TextEncoder();

/** CRC32 (IEEE) of the UTF-8 bytes of a string, or of raw bytes; an unsigned 32-bit integer. */
export function crc32(data: string | Uint8Array): number {
  let crc = 0xffffffff;
  if (typeof data === 'string') {
    // ASCII (every token body) is its own UTF-8: no encoding, no allocation. The proxy validates
    // each placeholder candidate it scans, on every request.
    let i = 0;
    for (; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c > 0x7f) break;
      crc = (CRC_TABLE[(crc ^ c) & 0xff] as number) ^ (crc >>> 8);
    }
    if (i === data.length) return (crc ^ 0xffffffff) >>> 0;
    crc = 0xffffffff;
    data = encoder.encode(data);
  }
  for (const b of data) crc = (CRC_TABLE[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Fixed-width base62 of a non-negative safe integer, left-padded with '0'. */
export function toBase62(n: number, width: number): string {
  let out = '';
  let rest = n;
  for (let i = 0; i < width; i++) {
    out = BASE62_ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  if (rest !== 0) throw new RangeError(`${n} does not fit in ${width} base62 digits`);
  return out;
}

/** True when `s` consists only of base62 characters. */
export function isBase62(s: string): boolean {
  return BASE62_RE.test(s);
}

/**
 * The 6-character checksum of a token body. Only the body is covered, not the prefix, so a
 * scanner can validate a placeholder whatever provider-specific prefix it carries.
 */
export function checksumOf(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LEN);
}

/**
 * True when `bodyAndChecksum` is a base62 body followed by its correct checksum
 * (the token without its prefix).
 */
export function hasValidChecksum(bodyAndChecksum: string): boolean {
  if (bodyAndChecksum.length <= CHECKSUM_LEN || !isBase62(bodyAndChecksum)) return false;
  const split = bodyAndChecksum.length - CHECKSUM_LEN;
  // Compare as numbers: the suffix's base62 value against the body's CRC32 (no string building).
  let written = 0;
  for (let i = split; i < bodyAndChecksum.length; i++) written = written * 62 + base62Digit(bodyAndChecksum.charCodeAt(i));
  return written === crc32(bodyAndChecksum.slice(0, split));
}

/** The value of a base62 character (the caller checked it is one). */
function base62Digit(c: number): number {
  return c <= 57 ? c - 48 : c <= 90 ? c - 55 : c - 61;
}
