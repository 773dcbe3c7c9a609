/**
 * Placeholder format and scanning (DESIGN.md §1, §6 step 3).
 * A placeholder is `stn_ph_` + 40 base62 + a 6-char base62 CRC32 of the 40 (core/checksum.ts).
 * A provider may put its own prefix in front (`sk-stn_ph_…`) so SDKs that check a key's shape
 * accept it; the scanner finds the `stn_ph_…` core wherever it is, and a swap consumes the
 * provider prefix too when told what it is (see {@link Replacement}).
 *
 * These functions run on every proxied request: each starts with an `indexOf` pre-check and does
 * no regex, decoding or allocation when there is nothing to find.
 *
 * Values: a lookup returns the real value as stored (a JS string), never a pre-encoded form; the
 * swap writes it in the encoding of the place the placeholder sat, one rule per place:
 *
 * - header value: the value's UTF-8 bytes as a latin1 string (one char per byte, which is how
 *   Node's and undici's header APIs put a string on the wire);
 * - `Basic` credentials: the UTF-8 bytes spliced into the decoded `user:password`, re-encoded
 *   in base64 (RFC 7617 §2.1, UTF-8 charset);
 * - percent-encoded places, i.e. the query string, form bodies and a header placeholder that was
 *   itself percent-escaped: `encodeURIComponent` (percent-encoded UTF-8), in the query and in
 *   form bodies always, because a raw `&`, `=`, `+`, `%` or `#` in a value would change the
 *   structure around it (RFC 3986 §2.1, WHATWG URL application/x-www-form-urlencoded);
 * - JSON bodies: JSON string escaping (RFC 8259 §7), then UTF-8 bytes as latin1.
 */
import { CHECKSUM_LEN, PLACEHOLDER_BODY_LEN, checksumOf, hasValidChecksum, isBase62 } from './checksum.js';

export const PLACEHOLDER_PREFIX = 'stn_ph_';
/** Length of a placeholder without provider prefix: 7 + 40 + 6 = 53. */
export const PLACEHOLDER_LENGTH = PLACEHOLDER_PREFIX.length + PLACEHOLDER_BODY_LEN + CHECKSUM_LEN;

/** One placeholder found in a text: the `stn_ph_…` token and its [start, end) in that text. */
export interface PlaceholderMatch {
  token: string;
  start: number;
  end: number;
}

/** Where in a header value a placeholder was found. */
export type PlaceholderEncoding = 'plain' | 'percent' | 'basic';

/** A placeholder found in a header value or query; for `basic`, positions are in the decoded credentials. */
export interface EncodedPlaceholderMatch extends PlaceholderMatch {
  encoding: PlaceholderEncoding;
}

/**
 * What a token is swapped for: the real value (not encoded; see the module comment), or the value
 * plus the provider prefix that the sandbox's placeholder carries (`sk-`), which is then replaced
 * too when it precedes the token. `username`: when the placeholder is the password of `Basic`
 * credentials, the user name is set to this (a `basic` secret stores it; the sandbox lacks it).
 */
export type Replacement = string | { value: string; prefix?: string; username?: string | null };

/** Looks a token up; undefined leaves it in place. May throw to abort (a blocked placeholder). */
export type ReplacementLookup = (token: string) => Replacement | undefined;

/** The placeholder for a 40-char base62 body (the random part comes from crypto/). */
export function placeholderFromBody(body: string): string {
  if (body.length !== PLACEHOLDER_BODY_LEN || !isBase62(body)) throw new RangeError(`a placeholder body is ${PLACEHOLDER_BODY_LEN} base62 characters`);
  return PLACEHOLDER_PREFIX + body + checksumOf(body);
}

/** True when `s` is exactly one placeholder with a valid checksum (no provider prefix). */
export function isPlaceholder(s: string): boolean {
  return s.length === PLACEHOLDER_LENGTH && s.startsWith(PLACEHOLDER_PREFIX) && hasValidChecksum(s.slice(PLACEHOLDER_PREFIX.length));
}

/**
 * Every placeholder in `text`, left to right, with positions. A candidate whose checksum fails is
 * a near-miss (typo, truncation, a look-alike) and is skipped; scanning resumes one character
 * later so `stn_ph_stn_ph_<valid>` still finds the valid one.
 */
export function findPlaceholders(text: string): PlaceholderMatch[] {
  let i = text.indexOf(PLACEHOLDER_PREFIX);
  if (i === -1) return [];
  const out: PlaceholderMatch[] = [];
  while (i !== -1) {
    const end = i + PLACEHOLDER_LENGTH;
    if (end > text.length) break;
    if (hasValidChecksum(text.slice(i + PLACEHOLDER_PREFIX.length, end))) {
      out.push({ token: text.slice(i, end), start: i, end });
      i = text.indexOf(PLACEHOLDER_PREFIX, end);
    } else {
      i = text.indexOf(PLACEHOLDER_PREFIX, i + 1);
    }
  }
  return out;
}

// --- percent-decoding with a position map -------------------------------------------------------

/** A decoded text and, for each decoded index (and one past the end), the index in the raw text. */
interface View {
  text: string;
  map: Int32Array | null; // null: identity
}

const hexVal = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/**
 * Decodes `%XX` escapes one byte to one char (latin1-style: placeholders are ASCII, so UTF-8
 * sequences need not be assembled) and records where each decoded char came from.
 */
function percentView(raw: string): View {
  if (raw.indexOf('%') === -1) return { text: raw, map: null };
  const map = new Int32Array(raw.length + 1);
  const parts: string[] = [];
  let i = 0;
  let j = 0;
  while (i < raw.length) {
    const p = raw.indexOf('%', i);
    const stop = p === -1 ? raw.length : p;
    if (stop > i) {
      parts.push(raw.slice(i, stop));
      for (let k = i; k < stop; k++) map[j++] = k;
      i = stop;
    }
    if (p === -1) break;
    const hi = p + 2 < raw.length ? hexVal(raw.charCodeAt(p + 1)) : -1;
    const lo = hi >= 0 ? hexVal(raw.charCodeAt(p + 2)) : -1;
    map[j++] = p;
    if (lo >= 0) {
      parts.push(String.fromCharCode(hi * 16 + lo));
      i = p + 3;
    } else {
      parts.push('%');
      i = p + 1;
    }
  }
  map[j] = raw.length;
  return { text: parts.join(''), map: map.subarray(0, j + 1) };
}

const at = (v: View, i: number): number => (v.map ? (v.map[i] as number) : i);

// Does a raw text possibly hold a placeholder, encoded or not? (the fast pre-check)
const mayHold = (raw: string): boolean => raw.indexOf(PLACEHOLDER_PREFIX) !== -1 || raw.indexOf('%') !== -1;

function matchesIn(view: View, encoding: PlaceholderEncoding): EncodedPlaceholderMatch[] {
  return findPlaceholders(view.text).map((m) => {
    const start = at(view, m.start);
    const end = at(view, m.end);
    const enc = encoding === 'plain' && end - start !== m.end - m.start ? 'percent' : encoding;
    return { token: m.token, start, end, encoding: enc };
  });
}

// --- value encodings (see the module comment) ---------------------------------------------------

/** Encodes a value for the place it goes; `escaped`: the placeholder there was percent-escaped. */
type Encoder = (value: string, escaped: boolean) => string;

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** The UTF-8 bytes of `s` as a latin1 string (one char per byte); ASCII is its own view. */
export const utf8Bytes = (s: string): string => (isAscii(s) ? s : Buffer.from(s, 'utf8').toString('latin1'));

const asBytes: Encoder = (v) => utf8Bytes(v);
const asPercent: Encoder = (v) => encodeURIComponent(v);
const asJson: Encoder = (v) => utf8Bytes(JSON.stringify(v).slice(1, -1));
const asHeader: Encoder = (v, escaped) => (escaped ? encodeURIComponent(v) : utf8Bytes(v));

/** Swaps every placeholder of `view` that `lookup` knows, in `raw`, the value written by `encode`. */
function swapView(raw: string, view: View, lookup: ReplacementLookup, encode: Encoder): string {
  const found = findPlaceholders(view.text);
  if (found.length === 0) return raw;
  let out = '';
  let rawPos = 0;
  let decodedFloor = 0;
  for (const m of found) {
    const r = lookup(m.token);
    if (r === undefined) continue;
    const value = typeof r === 'string' ? r : r.value;
    const prefix = typeof r === 'string' ? undefined : r.prefix;
    let ds = m.start;
    if (prefix && ds - prefix.length >= decodedFloor && view.text.startsWith(prefix, ds - prefix.length)) ds -= prefix.length;
    const start = at(view, ds);
    const end = at(view, m.end);
    out += raw.slice(rawPos, start) + encode(value, end - start !== m.end - ds);
    rawPos = end;
    decodedFloor = m.end;
  }
  return rawPos === 0 ? raw : out + raw.slice(rawPos);
}

const asView = (text: string): View => ({ text, map: null });

/**
 * Replaces every placeholder that is a key of `map` (other text, and unknown tokens, stay). Text
 * in, text out: the replacement is inserted as it is, for text that is no wire format.
 */
export function replaceAll(text: string, map: ReadonlyMap<string, Replacement>): string {
  if (text.indexOf(PLACEHOLDER_PREFIX) === -1 || map.size === 0) return text;
  return swapView(text, asView(text), (t) => map.get(t), (v) => v);
}

// --- headers -------------------------------------------------------------------------------------

const isBasic = (v: string): boolean => v.length > 6 && /^basic[ \t]+/i.test(v.slice(0, 16));

function basicCredentials(value: string): { scheme: string; creds: string } | null {
  const m = /^(basic[ \t]+)([A-Za-z0-9+/=_-]+)[ \t]*$/i.exec(value);
  if (!m) return null;
  // latin1: one char per byte, so the credentials re-encode byte-for-byte after a swap
  return { scheme: m[1] as string, creds: Buffer.from(m[2] as string, 'base64').toString('latin1') };
}

/**
 * Placeholders in one header value: plain, percent-encoded (`%73tn_ph_…`, or every char escaped),
 * or inside `Basic <base64>` credentials (RFC 7617), where base64 hides the prefix.
 */
export function scanHeaderValue(value: string): EncodedPlaceholderMatch[] {
  if (isBasic(value)) {
    const b = basicCredentials(value);
    if (b && b.creds.indexOf(PLACEHOLDER_PREFIX) !== -1) return matchesIn(asView(b.creds), 'basic');
  }
  if (!mayHold(value)) return [];
  return matchesIn(percentView(value), 'plain');
}

/**
 * A header value with its placeholders swapped. Inside `Basic` credentials the value is spliced
 * into the decoded `user:password` and re-encoded (and when the placeholder is the password and
 * its replacement names a `username`, the user name is set too); a percent-escaped placeholder
 * gets the value percent-encoded (the receiver decodes it), a plain one its UTF-8 bytes.
 */
export function swapHeaderValue(value: string, lookup: ReplacementLookup): string {
  if (isBasic(value)) {
    const b = basicCredentials(value);
    if (b && b.creds.indexOf(PLACEHOLDER_PREFIX) !== -1) {
      const swapped = swapBasicUsername(b.creds, lookup) ?? swapView(b.creds, asView(b.creds), lookup, asBytes);
      return swapped === b.creds ? value : b.scheme + Buffer.from(swapped, 'latin1').toString('base64');
    }
  }
  if (!mayHold(value)) return value;
  return swapView(value, percentView(value), lookup, asHeader);
}

/** Decoded Basic credentials with the user name set, when a placeholder in the password asks for it. */
function swapBasicUsername(creds: string, lookup: ReplacementLookup): string | null {
  const colon = creds.indexOf(':');
  if (colon === -1) return null;
  const password = creds.slice(colon + 1);
  for (const m of findPlaceholders(password)) {
    const r = lookup(m.token);
    if (r !== undefined && typeof r !== 'string' && r.username != null) {
      return `${utf8Bytes(r.username)}:${swapView(password, asView(password), lookup, asBytes)}`;
    }
  }
  return null;
}

// --- query strings -------------------------------------------------------------------------------

/** Placeholders in a raw query string (without `?`), plain or percent-encoded. */
export function scanQuery(rawQuery: string): EncodedPlaceholderMatch[] {
  if (!mayHold(rawQuery)) return [];
  return matchesIn(percentView(rawQuery), 'plain');
}

/** A raw query string with its placeholders swapped; values are always percent-encoded. */
export function swapQuery(rawQuery: string, lookup: ReplacementLookup): string {
  if (!mayHold(rawQuery)) return rawQuery;
  return swapView(rawQuery, percentView(rawQuery), lookup, asPercent);
}

// --- streams -------------------------------------------------------------------------------------

/**
 * What a stream carries, which decides how a value is written into it: `form`
 * (application/x-www-form-urlencoded: percent-escaped placeholders are found too, values are
 * always percent-encoded), `json` (values JSON-escaped), `text` (values as their UTF-8 bytes).
 */
export type StreamFormat = 'text' | 'json' | 'form';

/** Options of {@link PlaceholderStream}. */
export interface PlaceholderStreamOptions {
  /** Default `text`. */
  format?: StreamFormat;
  /** Longest provider prefix a {@link Replacement} may carry; default 32. */
  maxPrefixLength?: number;
}

/**
 * Finds and swaps placeholders in a body that arrives in chunks, without buffering it: each
 * `push` returns the text that is safe to send and holds back a tail just long enough for a
 * (prefixed, possibly escaped) placeholder split across chunks. Chunks are bytes decoded as
 * latin1 (one char per byte), and so is the output: values go in as their (encoded) UTF-8 bytes.
 * `tokens` lists the distinct placeholders seen so far.
 */
export class PlaceholderStream {
  readonly tokens = new Set<string>();
  readonly #lookup: ReplacementLookup;
  readonly #percent: boolean;
  readonly #encode: Encoder;
  readonly #hold: number;
  #tail = '';

  constructor(lookup: ReplacementLookup, options: PlaceholderStreamOptions = {}) {
    this.#lookup = lookup;
    const format = options.format ?? 'text';
    this.#percent = format === 'form';
    this.#encode = format === 'form' ? asPercent : format === 'json' ? asJson : asBytes;
    const longest = PLACEHOLDER_LENGTH + (options.maxPrefixLength ?? 32);
    this.#hold = longest * (this.#percent ? 3 : 1) - 1;
  }

  /** Feeds one chunk; returns the processed text that may be sent now. */
  push(chunk: string): string {
    const window = this.#tail + chunk;
    // Anything that could still become a (prefixed, escaped) placeholder stays in the tail.
    let cut = Math.max(0, window.length - this.#hold);
    if (mayHold(window)) {
      const view = this.#percent ? percentView(window) : asView(window);
      // Every placeholder found is complete: swap it now, with its prefix, which is in this window.
      for (const m of findPlaceholders(view.text)) {
        this.tokens.add(m.token);
        cut = Math.max(cut, at(view, m.end));
      }
    }
    this.#tail = window.slice(cut);
    return this.#swap(window.slice(0, cut));
  }

  /** Ends the stream; returns whatever was held back, processed. */
  end(): string {
    const rest = this.#tail;
    this.#tail = '';
    for (const m of findPlaceholders((this.#percent ? percentView(rest) : asView(rest)).text)) this.tokens.add(m.token);
    return this.#swap(rest);
  }

  #swap(text: string): string {
    if (!mayHold(text)) return text;
    return swapView(text, this.#percent ? percentView(text) : asView(text), this.#lookup, this.#encode);
  }
}
