/**
 * Field names of the one canonical log line per proxied request (DESIGN.md §9). Dashboards and
 * tests key on these, so they are constants. The line never carries a value, a full placeholder,
 * a query string or the Proxy-Authorization.
 */
export const F = Object.freeze({
  requestId: 'requestId',
  tenant: 'tenantId',
  sandbox: 'sandboxId',
  method: 'method',
  scheme: 'scheme',
  host: 'host',
  port: 'port',
  /** Path without the query string, placeholders shortened to `stn_ph_ab…`. */
  path: 'path',
  status: 'status',
  decision: 'decision',
  code: 'code',
  reason: 'reason',
  /** `ENV_NAME=secret@vN` for every secret swapped in. */
  secrets: 'secrets',
  bytesIn: 'bytesIn',
  bytesOut: 'bytesOut',
  ms: 'ms',
});

/** The message of the canonical line. */
export const REQUEST_LINE = 'proxy request';
