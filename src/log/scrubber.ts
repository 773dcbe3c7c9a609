/**
 * Removes registered secret values from text before it is written anywhere. pino's redact paths
 * cover fields we know about; this covers the ones we don't (an upstream error message that quotes
 * a header, a stack trace). Values are registered when they enter the process (create, rotate) and
 * when the proxy decrypts them.
 */
export class Scrubber {
  readonly #values = new Map<string, true>();
  #pattern: RegExp | null = null;
  #dirty = false;

  constructor(private readonly max = 10_000) {}

  /** Registers a value; values shorter than 6 characters are too likely to be ordinary text. */
  register(value: string): void {
    if (value.length < 6) return;
    for (const form of forms(value)) {
      if (this.#values.has(form)) {
        // Refresh recency so hot values are the last ones evicted.
        this.#values.delete(form);
      } else {
        this.#dirty = true;
      }
      this.#values.set(form, true);
    }
    while (this.#values.size > this.max) {
      const oldest = this.#values.keys().next().value as string;
      this.#values.delete(oldest);
      this.#dirty = true;
    }
  }

  get size(): number {
    return this.#values.size;
  }

  scrub(text: string): string {
    if (this.#values.size === 0) return text;
    if (this.#dirty || !this.#pattern) {
      // Longest first, so a value that contains another is replaced whole.
      const alts = [...this.#values.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.#pattern = new RegExp(alts.join('|'), 'g');
      this.#dirty = false;
    }
    return text.replace(this.#pattern, '[redacted]');
  }
}

/** The forms a value takes in our output: raw, JSON-escaped, base64 and URL-encoded. */
function forms(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  return [...out];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
