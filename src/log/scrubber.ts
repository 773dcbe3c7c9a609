/**
 * Removes registered secret values from text before it is written anywhere. pino's redact paths
 * cover fields we know about; this covers the ones we don't (an upstream error message that quotes
 * a header, a stack trace). Values are registered when they enter the process (create, rotate) and
 * when the proxy decrypts them.
 *
 * Matching uses an index from the first {@link KEY_CHARS} characters of every registered form to
 * the forms that start with them, longest first. An earlier version compiled one RegExp over all
 * values: V8 refuses patterns past a size limit (a SyntaxError, reached by one 64 KiB value or a
 * few thousand ordinary ones, after which every log write threw), and recompiling it after each
 * new value cost ~100 ms of event-loop time per write at 2,000 secrets. Here registering is O(1)
 * and scrubbing is linear in the text.
 *
 * Prefilter: almost every line holds no value, and slicing a key at every position of it cost
 * ~15–20 µs a line. Every form of at least MIN_VALUE_CHARS characters has a GRAM-character window
 * at each offset 0..STRIDE-1, and any occurrence of it in a text covers one text position that is
 * a multiple of STRIDE with one of those windows. So each form counts its first STRIDE windows
 * into a table of hashed buckets, and a scrub hashes only the windows at multiples of STRIDE:
 * when the bucket is empty, no form can start in the STRIDE positions before it, and they are
 * skipped; otherwise those positions get the exact lookup. No false negatives (no value slips
 * through); a bucket collision only costs the exact lookup the prefilter saved.
 */
export class Scrubber {
  /** Every registered form, in least-recently-registered order (eviction order). */
  readonly #values = new Map<string, true>();
  /** First KEY_CHARS characters → the forms starting with them, longest first. */
  readonly #byPrefix = new Map<string, string[]>();
  /** Keys of #byPrefix per hash bucket, saturating at 255 (a saturated bucket stays set). */
  readonly #buckets = new Uint8Array(BUCKETS);

  constructor(private readonly max = 10_000) {}

  /** Registers a value; values shorter than 6 characters are too likely to be ordinary text. */
  register(value: string): void {
    if (value.length < MIN_VALUE_CHARS) return;
    for (const form of forms(value)) {
      if (this.#values.has(form)) {
        // Refresh recency so hot values are the last ones evicted.
        this.#values.delete(form);
        this.#values.set(form, true);
        continue;
      }
      this.#values.set(form, true);
      this.#index(form);
    }
    while (this.#values.size > this.max) {
      const oldest = this.#values.keys().next().value as string;
      this.#values.delete(oldest);
      this.#unindex(oldest);
    }
  }

  get size(): number {
    return this.#values.size;
  }

  /** `text` with every registered value (in any registered form) replaced by `[redacted]`. */
  scrub(text: string): string {
    if (this.#values.size === 0 || text.length < KEY_CHARS) return text;
    const buckets = this.#buckets;
    let out = '';
    let copied = 0;
    // Positions before `next` are decided (copied, or inside a replaced value).
    let next = 0;
    for (let w = 0; w + GRAM <= text.length; w += STRIDE) {
      if (buckets[gramBucket(text, w)] === 0) continue;
      // A form holding this window starts in (w - STRIDE, w]: check those starts, leftmost first.
      for (let i = Math.max(next, w - STRIDE + 1); i <= w; i++) {
        const candidates = this.#byPrefix.get(text.slice(i, i + KEY_CHARS));
        // Longest first, so a value that contains another is replaced whole.
        const hit = candidates?.find((f) => text.startsWith(f, i));
        if (hit) {
          out += text.slice(copied, i) + REDACTED;
          copied = next = i + hit.length;
          break;
        }
      }
      if (next > w) w = next - (next % STRIDE) - (next % STRIDE === 0 ? STRIDE : 0);
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  #index(form: string): void {
    const key = form.slice(0, KEY_CHARS);
    const list = this.#byPrefix.get(key);
    this.#count(form, 1);
    if (!list) {
      this.#byPrefix.set(key, [form]);
      return;
    }
    const at = list.findIndex((f) => f.length < form.length);
    list.splice(at === -1 ? list.length : at, 0, form);
  }

  #unindex(form: string): void {
    const key = form.slice(0, KEY_CHARS);
    const list = this.#byPrefix.get(key);
    if (!list) return;
    const at = list.indexOf(form);
    if (at === -1) return;
    list.splice(at, 1);
    if (list.length === 0) this.#byPrefix.delete(key);
    this.#count(form, -1);
  }

  /** Adds (or removes) the form's first STRIDE windows to the prefilter's buckets. */
  #count(form: string, by: 1 | -1): void {
    for (let o = 0; o < STRIDE; o++) {
      const b = gramBucket(form, o);
      const n = this.#buckets[b] as number;
      // A saturated counter no longer knows how many forms it holds: it stays set (a false positive).
      if (n < 255) this.#buckets[b] = n + by;
    }
  }
}

const REDACTED = '[redacted]';
const MIN_VALUE_CHARS = 6;
/** Index key length; every form of a value of MIN_VALUE_CHARS or more is at least this long. */
const KEY_CHARS = 6;

/** Prefilter window length and stride: GRAM + STRIDE - 1 must not exceed MIN_VALUE_CHARS. */
const GRAM = 4;
const STRIDE = 3;
/** 2^18 one-byte counters (256 KiB): at the 10,000-form bound about 10% of buckets are set. */
const BUCKET_BITS = 18;
const BUCKETS = 1 << BUCKET_BITS;

/** The bucket of the GRAM characters of `s` at `at`. */
function gramBucket(s: string, at: number): number {
  let h = Math.imul(s.charCodeAt(at), 0x01000193);
  h = Math.imul(h ^ s.charCodeAt(at + 1), 0x01000193);
  h = Math.imul(h ^ s.charCodeAt(at + 2), 0x01000193);
  h = Math.imul(h ^ s.charCodeAt(at + 3), 0x01000193);
  return (h ^ (h >>> BUCKET_BITS)) & (BUCKETS - 1);
}

/** The forms a value takes in our output: raw, JSON-escaped, base64 and URL-encoded. */
function forms(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1), safeUriComponent(value), Buffer.from(value).toString('base64')]);
  return [...out].filter((f) => f.length >= KEY_CHARS);
}

// encodeURIComponent throws on a lone surrogate; such a value has no URL-encoded form to scrub.
function safeUriComponent(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}
