/**
 * Response redaction (DESIGN.md §2.8): every real value swapped into a request is replaced by its
 * placeholder in the response's headers and textual body, so an upstream that echoes the key
 * (error pages, debug endpoints, a hostile server) hands the sandbox nothing.
 *
 * Bodies stream: each chunk is emitted at once except for the shortest tail that could still be
 * the start of a value, so a value split across chunks is still caught, and since values never
 * contain CR or LF (core/names.ts) an SSE event ending in a newline is never held back.
 * Text is handled as latin1 (one char per byte), needles as latin1 views of their UTF-8 bytes,
 * so multi-byte characters split across chunks need no decoding.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** One sensitive string and what replaces it; both latin1 views of the wire bytes. */
export interface RedactionPair {
  secret: string;
  replacement: string;
}

/** The latin1 view of a string's UTF-8 bytes: how it appears in a latin1-decoded stream. */
export const wire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/**
 * The pairs for one swapped value: the value itself, JSON-escaped (an upstream echoing it inside
 * a JSON string) and percent-encoded (it went out in a query), each back to the placeholder text.
 */
export function valuePairs(value: string, placeholderText: string): RedactionPair[] {
  const forms = new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  return [...forms].map((f) => ({ secret: wire(f), replacement: placeholderText }));
}

/** Replaces every occurrence of every pair's secret in a complete text (a header value). */
export function redactText(text: string, pairs: readonly RedactionPair[]): string {
  let out = text;
  for (const p of pairs) if (out.includes(p.secret)) out = out.split(p.secret).join(p.replacement);
  return out;
}

/** Streaming redactor over byte chunks. `pairs` may grow while streaming (late body swaps). */
export class Redactor {
  readonly #pairs: RedactionPair[];
  #tail = '';

  constructor(pairs: RedactionPair[]) {
    this.#pairs = pairs;
  }

  push(chunk: Buffer): Buffer {
    const w = this.#tail + chunk.toString('latin1');
    const pairs = this.#pairs;
    let out = '';
    let pos = 0;
    for (;;) {
      let at = -1;
      let hit: RedactionPair | undefined;
      for (const p of pairs) {
        const i = w.indexOf(p.secret, pos);
        if (i !== -1 && (at === -1 || i < at || (i === at && p.secret.length > (hit as RedactionPair).secret.length))) {
          at = i;
          hit = p;
        }
      }
      if (hit === undefined) break;
      out += w.slice(pos, at) + hit.replacement;
      pos = at + hit.secret.length;
    }
    const hold = heldSuffix(w, pos, pairs);
    this.#tail = w.slice(w.length - hold);
    return Buffer.from(out + w.slice(pos, w.length - hold), 'latin1');
  }

  /** What was held back; nothing in it can be a complete secret. */
  end(): Buffer {
    const rest = this.#tail;
    this.#tail = '';
    return Buffer.from(rest, 'latin1');
  }
}

/** Length of the longest suffix of `w` (starting at or after `from`) that is a proper prefix of a secret. */
function heldSuffix(w: string, from: number, pairs: readonly RedactionPair[]): number {
  let best = 0;
  const room = w.length - from;
  for (const p of pairs) {
    const s = p.secret;
    for (let k = Math.min(s.length - 1, room); k > best; k--) {
      if (startsWithAt(w, w.length - k, s, k)) {
        best = k;
        break;
      }
    }
  }
  return best;
}

function startsWithAt(w: string, offset: number, s: string, k: number): boolean {
  for (let i = 0; i < k; i++) if (w.charCodeAt(offset + i) !== s.charCodeAt(i)) return false;
  return true;
}

/** The redactor as a stream stage (used behind a decompressor). */
export class RedactStream extends Transform {
  readonly #r: Redactor;
  constructor(pairs: RedactionPair[]) {
    super();
    this.#r = new Redactor(pairs);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out = this.#r.push(chunk);
    cb(null, out.length ? out : undefined);
  }
  override _flush(cb: TransformCallback): void {
    const out = this.#r.end();
    cb(null, out.length ? out : undefined);
  }
}
