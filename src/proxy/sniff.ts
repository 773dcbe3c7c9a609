/**
 * Sniffing the destination of a redirected connection before anything is forwarded: the SNI of a
 * TLS ClientHello, or the `Host` of a plain HTTP/1.x request head. Pure functions over the bytes
 * received so far; the transparent listener calls them until they stop asking for more.
 */

/** TLS record type of a handshake (RFC 8446 §5.1): how a ClientHello starts. */
export const TLS_HANDSHAKE = 0x16;
const TLS_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
/** Largest ClientHello we wait for (post-quantum key shares make them ~2 KiB; 64 KiB is lavish). */
const MAX_CLIENT_HELLO = 64 * 1024;
/** Largest plain-HTTP request head we wait for before the Host header must have been seen. */
const MAX_HTTP_HEAD = 64 * 1024;

export type ClientHelloResult = { status: 'need_more' } | { status: 'invalid' } | { status: 'ok'; sni: string | null };

/**
 * Reads the SNI host name from the start of a TLS stream (RFC 8446 §4.1.2, RFC 6066 §3). The
 * ClientHello may span several records; `need_more` until it is complete.
 */
export function parseClientHello(buf: Buffer): ClientHelloResult {
  // Reassemble handshake bytes from consecutive handshake records.
  const hs: Buffer[] = [];
  let have = 0;
  let off = 0;
  let need = -1;
  while (need < 0 || have < need) {
    if (off + 5 > buf.length) return buf.length > MAX_CLIENT_HELLO ? { status: 'invalid' } : { status: 'need_more' };
    if (buf[off] !== TLS_HANDSHAKE || buf[off + 1] !== 3) return { status: 'invalid' };
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) return { status: 'invalid' };
    if (off + 5 + len > buf.length) return buf.length > MAX_CLIENT_HELLO ? { status: 'invalid' } : { status: 'need_more' };
    hs.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const first = Buffer.concat(hs);
      if (first[0] !== TLS_CLIENT_HELLO) return { status: 'invalid' };
      need = 4 + first.readUIntBE(1, 3);
      if (need > MAX_CLIENT_HELLO) return { status: 'invalid' };
    }
  }
  const m = Buffer.concat(hs).subarray(4, need);
  let p = 2 + 32; // legacy_version, random
  if (p + 1 > m.length) return { status: 'invalid' };
  p += 1 + m[p]!; // legacy_session_id
  if (p + 2 > m.length) return { status: 'invalid' };
  p += 2 + m.readUInt16BE(p); // cipher_suites
  if (p + 1 > m.length) return { status: 'invalid' };
  p += 1 + m[p]!; // legacy_compression_methods
  if (p === m.length) return { status: 'ok', sni: null }; // no extensions at all
  if (p + 2 > m.length) return { status: 'invalid' };
  const end = p + 2 + m.readUInt16BE(p);
  if (end > m.length) return { status: 'invalid' };
  p += 2;
  while (p + 4 <= end) {
    const type = m.readUInt16BE(p);
    const len = m.readUInt16BE(p + 2);
    const data = m.subarray(p + 4, p + 4 + len);
    if (p + 4 + len > end) return { status: 'invalid' };
    if (type === EXT_SERVER_NAME) {
      if (data.length < 2) return { status: 'invalid' };
      const listEnd = Math.min(2 + data.readUInt16BE(0), data.length);
      let q = 2;
      while (q + 3 <= listEnd) {
        const nameType = data[q]!;
        const nameLen = data.readUInt16BE(q + 1);
        if (q + 3 + nameLen > listEnd) return { status: 'invalid' };
        if (nameType === 0) {
          const name = data.toString('latin1', q + 3, q + 3 + nameLen);
          // RFC 6066 §3: a DNS host name in ASCII, no trailing dot, never an IP literal.
          return /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/.test(name) ? { status: 'ok', sni: name.toLowerCase() } : { status: 'invalid' };
        }
        q += 3 + nameLen;
      }
      return { status: 'ok', sni: null };
    }
    p += 4 + len;
  }
  return { status: 'ok', sni: null };
}

export type HttpHeadResult = { status: 'need_more' } | { status: 'invalid'; reason: string } | { status: 'ok'; host: string | null };

const REQUEST_LINE_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.[01]$/;

/** Reads the `Host` of the first request of a plain-HTTP stream (RFC 9112 §3.2). */
export function parseHttpHead(buf: Buffer): HttpHeadResult {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > MAX_HTTP_HEAD ? { status: 'invalid', reason: 'request head too large' } : { status: 'need_more' };
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  if (!REQUEST_LINE_RE.test(lines[0] ?? '')) return { status: 'invalid', reason: 'not an HTTP/1.x request' };
  let host: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { status: 'invalid', reason: 'malformed header line' };
    if (line.slice(0, colon).toLowerCase() !== 'host') continue;
    // RFC 9112 §3.2: more than one Host is a 400.
    if (host !== null) return { status: 'invalid', reason: 'more than one Host header' };
    host = line.slice(colon + 1).trim();
  }
  return { status: 'ok', host };
}
