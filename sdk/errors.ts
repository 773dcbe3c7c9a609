/**
 * Errors the SDK throws. Messages come from the server's error body (which never holds a secret
 * value) or describe the transport; request bodies are never part of an error.
 */

/** The server answered with an error status: `{ error: { code, message, details?, requestId } }`. */
export class StandinApiError extends Error {
  /** HTTP status, e.g. 404. */
  readonly status: number;
  /** The server's stable error code, e.g. `not_found`, `conflict`, `missing_scope`. */
  readonly code: string;
  /** The server's request id (also in the `X-Request-Id` header), for support and logs. */
  readonly requestId: string | null;
  /** Value-free facts from the server (field names, the missing scope, limits). */
  readonly details: Record<string, unknown> | undefined;
  /** Seconds the server asked us to wait (429), when given. */
  readonly retryAfter: number | null;
  /** `METHOD /path` of the failed request (the path never carries a value). */
  readonly request: string;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | null;
    details?: Record<string, unknown>;
    retryAfter?: number | null;
    request: string;
  }) {
    super(init.message);
    this.name = 'StandinApiError';
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.details = init.details;
    this.retryAfter = init.retryAfter ?? null;
    this.request = init.request;
  }

  /** 401 or 403: the key is missing, invalid, revoked, expired, or lacks a scope. */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The server could not be reached, or the connection failed before an HTTP answer. */
export class StandinConnectionError extends Error {
  /** The base URL the client was talking to. */
  readonly baseUrl: string;

  constructor(baseUrl: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StandinConnectionError';
    this.baseUrl = baseUrl;
  }
}

/** Status codes that the client maps from the server's error body when it has none. */
const FALLBACK_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

/** The code to report for a status when the body did not name one (e.g. a reverse proxy's 502). */
export function fallbackCode(status: number): string {
  return FALLBACK_CODES[status] ?? (status >= 500 ? 'server_error' : 'http_error');
}
