/**
 * Placeholders in request bodies (DESIGN.md §6 step 3), only for secrets that opt in
 * (`bodyPlaceholders`) and only in JSON and form bodies. The body is scanned as it streams, with
 * core's split-safe PlaceholderStream; because a placeholder's fate needs lookups (binding,
 * scope, decrypt) that are asynchronous, each chunk is first probed for complete tokens together
 * with the tail of the previous input, those tokens are decided, and only then is the chunk fed
 * to the synchronous swapper.
 */
import { PLACEHOLDER_LENGTH, PlaceholderStream, findPlaceholders, scanQuery, type Replacement } from '../core/placeholder.js';

/** Decides a token found in a body: a replacement, undefined to leave it, or a throw to block. */
export type BodyTokenDecider = (token: string) => Promise<Replacement | undefined>;

const MAX_PREFIX = 32; // PlaceholderStream's default provider-prefix allowance

/** Content types whose bodies may carry placeholders. */
export function bodyKind(contentType: string | undefined): 'json' | 'form' | null {
  if (!contentType) return null;
  const ct = contentType.toLowerCase();
  if (ct.startsWith('application/x-www-form-urlencoded')) return 'form';
  if (ct.startsWith('application/json') || /^application\/[a-z0-9.+-]*\+json/.test(ct)) return 'json';
  return null;
}

export class BodySwapper {
  readonly #decide: BodyTokenDecider;
  readonly #percent: boolean;
  readonly #decided = new Map<string, Replacement | undefined>();
  readonly #stream: PlaceholderStream;
  readonly #shadowLen: number;
  #shadow = '';

  constructor(kind: 'json' | 'form', decide: BodyTokenDecider) {
    this.#decide = decide;
    // Form bodies are percent-decoded by the receiver, so an escaped placeholder counts there.
    this.#percent = kind === 'form';
    // The stream writes each value in the body's own syntax: JSON-escaped, or percent-encoded.
    this.#stream = new PlaceholderStream((t) => this.#decided.get(t), { format: kind, maxPrefixLength: MAX_PREFIX });
    // At least the stream's own hold-back, so every token it can complete is probed first.
    this.#shadowLen = (PLACEHOLDER_LENGTH + MAX_PREFIX) * (this.#percent ? 3 : 1);
  }

  async push(chunk: Buffer): Promise<Buffer> {
    const text = chunk.toString('latin1');
    await this.#probe(this.#shadow + text);
    const probe = this.#shadow + text;
    this.#shadow = probe.length > this.#shadowLen ? probe.slice(probe.length - this.#shadowLen) : probe;
    return Buffer.from(this.#stream.push(text), 'latin1');
  }

  async end(): Promise<Buffer> {
    return Buffer.from(this.#stream.end(), 'latin1');
  }

  async #probe(text: string): Promise<void> {
    if (text.indexOf('stn_ph_') === -1 && (!this.#percent || text.indexOf('%') === -1)) return;
    const tokens = this.#percent ? scanQuery(text).map((m) => m.token) : findPlaceholders(text).map((m) => m.token);
    for (const t of tokens) if (!this.#decided.has(t)) this.#decided.set(t, await this.#decide(t));
  }
}
