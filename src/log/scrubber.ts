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
 */
export class Scrubber {
  /** Every registered form, in least-recently-registered order (eviction order). */
  readonly #values = new Map<string, true>();
  /** First KEY_CHARS characters → the forms starting with them, longest first. */
  readonly #byPrefix = new Map<string, string[]>();

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
    let out = '';
    let copied = 0;
    let i = 0;
    while (i <= text.length - KEY_CHARS) {
      const candidates = this.#byPrefix.get(text.slice(i, i + KEY_CHARS));
      // Longest first, so a value that contains another is replaced whole.
      const hit = candidates?.find((f) => text.startsWith(f, i));
      if (hit) {
        out += text.slice(copied, i) + REDACTED;
        i += hit.length;
        copied = i;
      } else {
        i++;
      }
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  #index(form: string): void {
    const key = form.slice(0, KEY_CHARS);
    const list = this.#byPrefix.get(key);
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
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.#byPrefix.delete(key);
  }
}

const REDACTED = '[redacted]';
const MIN_VALUE_CHARS = 6;
/** Index key length; every form of a value of MIN_VALUE_CHARS or more is at least this long. */
const KEY_CHARS = 6;

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
