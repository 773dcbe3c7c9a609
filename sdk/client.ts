import { StandinApiError, StandinConnectionError, fallbackCode } from './errors.js';
import type { Page } from './types.js';

/** Options of {@link HttpClient} and of the `Standin` client. */
export interface ClientOptions {
  /** An API key (`stn_live_…`, `stn_test_…` or `stn_u_…`). */
  apiKey: string;
  /** Where standin's API listens, e.g. `http://127.0.0.1:4780`. */
  baseUrl: string;
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** How often a 429 answer is retried after waiting as `Retry-After` asks. Default 3. */
  maxRetries?: number;
  /** The longest single wait before a retry; a longer `Retry-After` fails at once. Default 60 s. */
  maxRetryDelayMs?: number;
  /** Per-attempt timeout. Default 30 s. */
  timeoutMs?: number;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** False for the unauthenticated health endpoints. */
  auth?: boolean;
}

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_RETRY_DELAY_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Back-off when a 429/503 carries no Retry-After: 0.5 s, 1 s, 2 s … (with jitter). */
const BASE_BACKOFF_MS = 500;
// An API key goes into a header: printable ASCII only, so a pasted newline cannot split headers.
const KEY_RE = /^[\x21-\x7e]+$/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds, or null
 * when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function describeFailure(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const cause = (e as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return cause.code;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * The transport: JSON in and out, bearer auth, typed errors, and back-off on 429 (honouring
 * Retry-After, bounded) and on one 503. A 429 or 503 means the server did not act on the request,
 * so retrying is safe for writes too.
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #maxRetries: number;
  readonly #maxDelay: number;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(opts: ClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`baseUrl is not a URL: ${JSON.stringify(String(opts.baseUrl).slice(0, 200))}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('baseUrl must be an http:// or https:// URL');
    this.baseUrl = url.href.replace(/\/+$/, '');
    // The key is never echoed, not even in this error.
    if (typeof opts.apiKey !== 'string' || !KEY_RE.test(opts.apiKey)) throw new TypeError('apiKey is missing or holds characters an API key never has');
    this.#apiKey = opts.apiKey;
    this.#fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxRetries = Math.max(0, opts.maxRetries ?? DEFAULT_MAX_RETRIES);
    this.#maxDelay = opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#userAgent = opts.userAgent ?? 'standin-sdk/0.1';
  }

  /** Sends one request (with retries) and returns the parsed JSON body, or undefined for 204. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    if (opts.auth !== false) headers.authorization = `Bearer ${this.#apiKey}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const label = `${method} ${url.pathname}`;

    let rateLimited = 0;
    let unavailable = 0;
    for (;;) {
      let res: Response;
      try {
        res = await this.#fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      } catch (e) {
        throw new StandinConnectionError(this.baseUrl, `cannot reach standin at ${this.baseUrl} (${describeFailure(e, this.#timeoutMs)})`, { cause: e });
      }
      if (res.ok) return (await this.#parse(res, label)) as T;

      const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
      let wait: number | null = null;
      if (res.status === 429 && rateLimited < this.#maxRetries) {
        wait = retryAfter ?? BASE_BACKOFF_MS * 2 ** rateLimited * (1 + Math.random() * 0.25);
        rateLimited++;
      } else if (res.status === 503 && unavailable < 1) {
        wait = retryAfter ?? BASE_BACKOFF_MS * (1 + Math.random() * 0.25);
        unavailable++;
      }
      if (wait !== null && wait <= this.#maxDelay) {
        await res.body?.cancel().catch(() => {});
        await sleep(wait);
        continue;
      }
      throw await this.#error(res, label, retryAfter);
    }
  }

  async #parse(res: Response, label: string): Promise<unknown> {
    if (res.status === 204) return undefined;
    const text = await res.text();
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new StandinApiError({ status: res.status, code: 'invalid_response', message: `the server's answer to ${label} is not JSON`, request: label, requestId: res.headers.get('x-request-id') });
    }
  }

  async #error(res: Response, label: string, retryAfterMs: number | null): Promise<StandinApiError> {
    let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown; requestId?: unknown } } | undefined;
    try {
      parsed = JSON.parse(await res.text());
    } catch {
      parsed = undefined;
    }
    const e = parsed?.error;
    const code = typeof e?.code === 'string' ? e.code : fallbackCode(res.status);
    const message = typeof e?.message === 'string' ? e.message : `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''} from ${label}`;
    const details = e?.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined;
    const requestId = typeof e?.requestId === 'string' ? e.requestId : res.headers.get('x-request-id');
    const retryAfter = retryAfterMs === null ? null : Math.ceil(retryAfterMs / 1000);
    return new StandinApiError({ status: res.status, code, message, details, requestId, retryAfter, request: label });
  }
}

/**
 * One list call. It is a Promise of the first page (`{ data, nextCursor }`), fetched at once, and
 * an async iterable: `for await` walks every item of every page, starting with that first page.
 */
export class PageRequest<T> extends Promise<Page<T>> implements AsyncIterable<T> {
  // then/catch/finally return plain Promises, not PageRequests.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #fetchPage: (cursor: string | undefined) => Promise<Page<T>> = () => Promise.reject(new Error('not a list request'));
  #first: Promise<Page<T>> = Promise.resolve({ data: [], nextCursor: null });

  /** Starts fetching the first page (at `startCursor`, if given). */
  static start<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, startCursor?: string): PageRequest<T> {
    const first = fetchPage(startCursor);
    const req = new PageRequest<T>((resolve, reject) => first.then(resolve, reject));
    req.#fetchPage = fetchPage;
    req.#first = first;
    // Whoever only iterates never awaits `req` itself; its rejection must not count as unhandled
    // (awaiting it still throws).
    req.catch(() => {});
    return req;
  }

  /** Every page, starting with the first. */
  async *pages(): AsyncGenerator<Page<T>> {
    let page = await this.#first;
    const seen = new Set<string>();
    for (;;) {
      yield page;
      const next = page.nextCursor;
      // A cursor seen before would loop forever; stop rather than trust a confused server.
      if (!next || seen.has(next)) return;
      seen.add(next);
      page = await this.#fetchPage(next);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const page of this.pages()) yield* page.data;
  }

  /** Collects every item of every page. */
  async all(): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) out.push(item);
    return out;
  }
}
