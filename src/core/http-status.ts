import type { ErrorCode } from './errors.js';

/** The single mapping from error codes to HTTP statuses, used by the API, the dashboard and the proxy. */
const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  invalid_value: 400,
  unauthenticated: 401,
  key_expired: 401,
  key_revoked: 401,
  forbidden: 403,
  missing_scope: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  proxy_auth_required: 407,
  destination_mismatch: 400,
  misdirected_request: 421,
  egress_denied: 403,
  placeholder_blocked: 403,
  ssrf_blocked: 403,
  upstream_failed: 502,
  upstream_tls_failed: 502,
  config_invalid: 500,
  crypto_failed: 500,
  unknown_root_key: 500,
  isolation_unavailable: 500,
  unavailable: 503,
  internal: 500,
};

export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}
