/**
 * Removes registered secret values from text before it is written anywhere. pino's redact paths
 * cover fields we know about; this covers the ones we don't (an upstream error message that quotes
 * a header, a stack trace). Values are registered when they enter the process (create, rotate) and
 * when the proxy decrypts them.
 */
export class Scrubber {
  readonly #values = new Map<string, true>();
  // One RegExp over every value breaks at scale: V8 refuses a pattern past a size limit
  // ("Regular expression too large" is a SyntaxError), which a single 64 KiB value or a few
  // thousand ordinary ones reach, and then every log write threw. Patterns are therefore built
  // in bounded chunks, and values too long for a chunk are replaced with split/join.
  #patterns: RegExp[] = [];
  #long: string[] = [];
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
    if (this.#dirty) this.#rebuild();
    // Longest first (long values, then chunks in length order), so a value that contains
    // another is replaced whole.
    let out = text;
    for (const v of this.#long) if (out.includes(v)) out = out.split(v).join('[redacted]');
    for (const p of this.#patterns) out = out.replace(p, '[redacted]');
    return out;
  }

  #rebuild(): void {
    const sorted = [...this.#values.keys()].sort((a, b) => b.length - a.length);
    this.#long = [];
    this.#patterns = [];
    let chunk: string[] = [];
    let size = 0;
    for (const v of sorted) {
      const alt = escapeRegExp(v);
      if (alt.length > MAX_PATTERN_CHARS / 4) {
        this.#long.push(v);
        continue;
      }
      if (size + alt.length + 1 > MAX_PATTERN_CHARS && chunk.length) {
        this.#patterns.push(new RegExp(chunk.join('|'), 'g'));
        chunk = [];
        size = 0;
      }
      chunk.push(alt);
      size += alt.length + 1;
    }
    if (chunk.length) this.#patterns.push(new RegExp(chunk.join('|'), 'g'));
    this.#dirty = false;
  }
}

/** Characters per RegExp source; far below V8's limit for alternations of literals. */
const MAX_PATTERN_CHARS = 32 * 1024;

/** The forms a value takes in our output: raw, JSON-escaped, base64 and URL-encoded. */
function forms(value: string): string[] {
  const out = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), Buffer.from(value).toString('base64')]);
  return [...out];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
