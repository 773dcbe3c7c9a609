/**
 * Hop-by-hop header handling (RFC 9110 §7.6.1): fields that describe one connection, not the
 * message, are never forwarded in either direction. That includes every field the Connection
 * header lists, so a client cannot smuggle `Connection: x-real-header` past us either.
 */

/** Always connection-specific; dropped in both directions. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection', // non-standard, still sent by some clients
  'proxy-authorization', // the sandbox's credential for us; never leaves the proxy
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Request fields the proxy sets itself: Host (canonical destination), the body framing, Expect. */
const SET_BY_PROXY: ReadonlySet<string> = new Set(['host', 'content-length', 'expect']);

const NONE: ReadonlySet<string> = new Set();

/** Lower-cased field names listed in Connection header values (`close` and `keep-alive` included). */
export function connectionTokens(values: string | readonly string[] | undefined): ReadonlySet<string> {
  if (values === undefined) return NONE;
  // The usual values name only fields that are hop-by-hop anyway.
  if (typeof values === 'string' && /^\s*(keep-alive|close)\s*$/i.test(values)) return NONE;
  const out = new Set<string>();
  for (const v of typeof values === 'string' ? [values] : values) {
    for (const t of v.split(',')) {
      const name = t.trim().toLowerCase();
      if (name) out.add(name);
    }
  }
  return out;
}

/**
 * The request's end-to-end fields as a flat `[name, value, …]` list (rawHeaders order and case),
 * without hop-by-hop fields, without those listed in Connection, and without the ones the proxy
 * sets. `connection` is the raw Connection value(s) of the request.
 */
export function endToEndRequestHeaders(rawHeaders: readonly string[], connection: string | undefined): string[] {
  const listed = connection ? connectionTokens(connection) : null;
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || SET_BY_PROXY.has(lower) || (listed !== null && listed.has(lower))) continue;
    out.push(name, rawHeaders[i + 1] as string);
  }
  return out;
}

/** True when a response field must not be relayed to the client. */
export function isHopByHopResponseHeader(lowerName: string, listed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(lowerName) || listed.has(lowerName);
}
