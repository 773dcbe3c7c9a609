/**
 * Sends the rewritten request upstream and relays the answer (DESIGN.md §6 steps 5–6): bodies
 * stream both ways with backpressure, redirects are relayed, never followed (§2.5), hop-by-hop
 * response fields are dropped, and when values were swapped in, the response's headers and
 * textual body are redacted (§2.8). A WebSocket upgrade is relayed the same way and, on 101,
 * the two sockets are joined.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { ErrorCode } from '../core/errors.js';
import { connectionTokens, isHopByHopResponseHeader } from './hop-by-hop.js';
import { RedactStream, Redactor, redactText, type RedactionPair } from './redact.js';
import { isTlsFailure } from './upstream.js';

export interface ForwardInput {
  dispatcher: Dispatcher;
  method: string;
  target: string;
  /** Complete upstream request headers, flat (Host and framing included). */
  headers: string[];
  body: Readable | Buffer | null;
  /** Live list: empty means nothing was swapped in. */
  redactions: RedactionPair[];
  /** For a WebSocket upgrade: the client's socket and the bytes it sent after the request. */
  upgrade?: { socket: Duplex; head: Buffer };
}

export interface ForwardResult {
  status: number | null;
  bytesIn: number;
  /**
   * Set when the exchange failed. If the response had not started, nothing was sent to the
   * client yet: the caller answers with this code.
   */
  error?: { code: ErrorCode; message: string };
}

/** Content types whose bodies are redacted; an absent type is treated as text. */
export function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const ct = contentType.toLowerCase();
  return ct.startsWith('text/') || /json|xml|javascript|ecmascript|x-www-form-urlencoded|event-stream|yaml|graphql|csv/.test(ct);
}

const DECODERS: Record<string, () => Duplex> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Forwards one request; resolves when the response is relayed (or the upgrade is joined). */
export function forward(input: ForwardInput, res: ServerResponse): Promise<ForwardResult> {
  return new Promise((resolve) => {
    const r = new Relay(input, res, resolve);
    input.dispatcher.dispatch(
      {
        method: input.method,
        path: input.target,
        headers: input.headers,
        body: input.body,
        ...(input.upgrade ? { upgrade: 'websocket' } : {}),
      },
      r,
    );
  });
}

class Relay implements Dispatcher.DispatchHandler {
  readonly #in: ForwardInput;
  readonly #res: ServerResponse;
  readonly #done: (r: ForwardResult) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #status: number | null = null;
  #bytesIn = 0;
  #redactor: Redactor | null = null;
  #sink: Duplex | null = null;
  #waitingDrain = false;
  #finished = false;

  constructor(input: ForwardInput, res: ServerResponse, done: (r: ForwardResult) => void) {
    this.#in = input;
    this.#res = res;
    this.#done = done;
    // The client went away: stop the upstream exchange too.
    res.once('close', () => {
      if (!this.#finished && this.#controller && !this.#controller.aborted) this.#controller.abort(new Error('client closed the connection'));
    });
  }

  #finish(r: Omit<ForwardResult, 'bytesIn' | 'status'> = {}): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#done({ status: this.#status, bytesIn: this.#bytesIn, ...r });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#res.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.#status = status;
    const res = this.#res;
    const pairs = this.#in.redactions;
    const redact = pairs.length > 0;
    const listed = connectionTokens(headers.connection);
    const noBody = this.#in.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    const redactBody = redact && !noBody && isTextual(first(headers['content-type']));
    let decoder: Duplex | null = null;
    if (redactBody) {
      const enc = first(headers['content-encoding'])?.trim().toLowerCase();
      if (enc && enc !== 'identity') {
        const make = DECODERS[enc];
        if (!make) {
          // We asked for identity; a body we cannot decode cannot be redacted, so it is not relayed.
          controller.abort(new Error(`the upstream answered with content-encoding ${enc}, which cannot be redacted`));
          return;
        }
        decoder = make();
      }
    }
    const out: string[] = [];
    for (const name of Object.keys(headers)) {
      const v = headers[name];
      if (v === undefined || isHopByHopResponseHeader(name, listed)) continue;
      if (redactBody && (name === 'content-length' || (decoder && name === 'content-encoding'))) continue;
      for (const one of Array.isArray(v) ? v : [v]) out.push(name, redact ? redactText(one, pairs) : one);
    }
    try {
      res.writeHead(status, out);
    } catch (e) {
      controller.abort(e as Error);
      return;
    }
    // Head, body and end of a small answer usually arrive in one parser pass: send them as one
    // TLS record and one segment rather than three.
    res.cork();
    process.nextTick(() => res.uncork());
    if (redactBody) {
      if (decoder) {
        this.#sink = decoder;
        pipeline(decoder, new RedactStream(pairs), res, () => this.#finish());
      } else this.#redactor = new Redactor(pairs);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytesIn += chunk.length;
    let ok: boolean;
    let target: Duplex | ServerResponse;
    if (this.#sink) {
      target = this.#sink;
      ok = this.#sink.write(chunk);
    } else {
      target = this.#res;
      const out = this.#redactor ? this.#redactor.push(chunk) : chunk;
      ok = out.length === 0 ? true : this.#res.write(out);
    }
    if (!ok && !this.#waitingDrain) {
      this.#waitingDrain = true;
      controller.pause();
      target.once('drain', () => {
        this.#waitingDrain = false;
        controller.resume();
      });
    }
  }

  onResponseEnd(): void {
    if (this.#sink) {
      this.#sink.end(); // the pipeline ends the response and finishes
      return;
    }
    this.#res.end(this.#redactor ? this.#redactor.end() : undefined);
    this.#finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const tlsFailed = isTlsFailure(err);
    const code: ErrorCode = tlsFailed ? 'upstream_tls_failed' : 'upstream_failed';
    // The message goes to the sandbox: redacted like a response, in case a library quoted a header.
    const message = tlsFailed
      ? 'the upstream TLS certificate could not be verified'
      : `the upstream request failed: ${redactText(err.message.slice(0, 200), this.#in.redactions)}`;
    if (this.#res.destroyed) return this.#finish({ error: { code, message: 'the client closed the connection' } });
    // Before the answer started, the caller answers (it may know better: a refused body placeholder).
    if (this.#res.headersSent) this.#res.destroy();
    this.#status = null;
    this.#sink?.destroy();
    this.#finish({ error: { code, message } });
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, upstream: Duplex): void {
    this.#status = status;
    const up = this.#in.upgrade;
    if (!up) {
      upstream.destroy();
      return this.#finish({ error: { code: 'upstream_failed', message: 'unexpected upgrade' } });
    }
    const pairs = this.#in.redactions;
    let head = `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\n`;
    const listed = connectionTokens(headers.connection);
    for (const name of Object.keys(headers)) {
      const v = headers[name];
      if (v === undefined || isHopByHopResponseHeader(name, listed)) continue;
      for (const one of Array.isArray(v) ? v : [v]) head += `${name}: ${pairs.length ? redactText(one, pairs) : one}\r\n`;
    }
    const client = up.socket;
    client.write(`${head}\r\n`, 'latin1');
    if (up.head.length) upstream.write(up.head);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    upstream.pipe(client);
    client.pipe(upstream);
    this.#finish();
  }
}
