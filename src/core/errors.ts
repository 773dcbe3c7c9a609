/**
 * The one error type of standin. Every failure that reaches a client carries a stable `code`;
 * `httpStatus()` in ./http-status.ts is the only place that maps codes to HTTP statuses.
 * Messages must never contain a secret value: they are returned to clients and logged.
 */
export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'invalid_value',
  'unauthenticated',
  'key_expired',
  'key_revoked',
  'forbidden',
  'missing_scope',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'proxy_auth_required',
  'destination_mismatch',
  'misdirected_request',
  'egress_denied',
  'placeholder_blocked',
  'ssrf_blocked',
  'upstream_failed',
  'upstream_tls_failed',
  'config_invalid',
  'crypto_failed',
  'unknown_root_key',
  'isolation_unavailable',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class StandinError extends Error {
  readonly code: ErrorCode;
  /** Extra, value-free facts for the client (field names, limits, the scope that is missing). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StandinError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export const isStandinError = (e: unknown): e is StandinError => e instanceof StandinError;

// Short constructors for the codes that are raised most often.
export const badRequest = (message: string, details?: Record<string, unknown>) => new StandinError('bad_request', message, details);
export const notFound = (what: string) => new StandinError('not_found', `${what} not found`);
export const conflict = (message: string, details?: Record<string, unknown>) => new StandinError('conflict', message, details);
export const forbidden = (message: string, details?: Record<string, unknown>) => new StandinError('forbidden', message, details);
