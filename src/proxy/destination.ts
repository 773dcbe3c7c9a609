/**
 * Where a request goes (DESIGN.md §6 step 2): the CONNECT authority for a tunnel, the URL of an
 * absolute-form request on the explicit listener. Parsed by hand rather than with `new URL`,
 * which would rewrite the path (dot segments, escapes) that the upstream must get verbatim.
 */
import { normalizeHost } from '../core/hosts.js';

export interface Authority {
  /** Normalized: lower case, IDNA, no trailing dot; IPv6 without brackets. */
  host: string;
  port: number;
}

const PORT_RE = /^[1-9][0-9]{0,4}$/;

/**
 * Parses `host[:port]` / `[v6][:port]`. `defaultPort` null means the port is required (CONNECT,
 * RFC 9110 §9.3.6). Null when malformed.
 */
export function parseAuthority(authority: string, defaultPort: number | null): Authority | null {
  if (authority.length === 0 || authority.length > 300 || authority.includes('@')) return null;
  let hostPart: string;
  let portPart: string | null = null;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) return null;
    hostPart = authority.slice(0, close + 1);
    const rest = authority.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portPart = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) {
      if (authority.indexOf(':') !== colon) return null; // a bare IPv6 literal needs brackets here
      hostPart = authority.slice(0, colon);
      portPart = authority.slice(colon + 1);
    } else hostPart = authority;
  }
  let port: number;
  if (portPart === null) {
    if (defaultPort === null) return null;
    port = defaultPort;
  } else {
    if (!PORT_RE.test(portPart) || Number(portPart) > 65535) return null;
    port = Number(portPart);
  }
  const host = normalizeHost(hostPart);
  return host === null ? null : { host, port };
}

/** The Host header value the upstream gets: the canonical destination. */
export function hostHeader(a: Authority, scheme: 'http' | 'https'): string {
  const h = a.host.includes(':') ? `[${a.host}]` : a.host;
  return a.port === (scheme === 'https' ? 443 : 80) ? h : `${h}:${a.port}`;
}

const ABSOLUTE_RE = /^(https?):\/\/([^/?#]*)([^#]*)/i;

/**
 * Splits an absolute-form request target (RFC 9112 §3.2.2) into scheme, authority and the
 * origin-form target (`/path?query`). Null when `url` is not absolute-form http(s).
 */
export function splitAbsolute(url: string): { scheme: 'http' | 'https'; authority: Authority; target: string } | null {
  const m = ABSOLUTE_RE.exec(url);
  if (!m) return null;
  const scheme = (m[1] as string).toLowerCase() as 'http' | 'https';
  const authority = parseAuthority(m[2] as string, scheme === 'https' ? 443 : 80);
  if (!authority) return null;
  const rest = m[3] as string;
  return { scheme, authority, target: rest === '' ? '/' : rest.startsWith('?') ? `/${rest}` : rest };
}

/** The path of a target without its query, for logs and egress events. */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
