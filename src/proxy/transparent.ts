/**
 * The transparent listener of `standin run --isolate` (DESIGN.md §6 step 1, "transparent").
 *
 * Every TCP connection leaving an isolated network namespace is redirected here by nftables. The
 * listener identifies the sandbox by the connection's source address (the namespace's end of its
 * veth pair), takes the destination from the TLS ClientHello's SNI, or from `Host` for plain
 * HTTP, and hands the connection to the proxy's one pipeline through the narrowest seam it has:
 * a `CONNECT host:port` on the explicit listener, authenticated with that sandbox's own proxy
 * credential. The proxy then does exactly what it does for any CONNECT: it intercepts TLS with
 * its CA (LeafCertFactory), serves plain HTTP when the tunnel does not start with a handshake,
 * and checks CONNECT authority = SNI = `Host` on every request, with the same invariants and the
 * same egress events (src/proxy/tunnel.ts, src/proxy/pipeline.ts).
 *
 * Why a CONNECT and not an in-process call: the source-address → sandbox mapping then never
 * leaves the process that created both the sandbox and the namespace (`standin run`), so nobody
 * else can claim an address, no new credential or API exists, it works with a local or a remote
 * server alike, and it ends with the run. The proxy still decides everything: once the sandbox
 * is deleted its credential stops working, also inside open tunnels (auth.current()).
 *
 * What is refused here, before anything reaches the proxy: a connection from an address that no
 * route claims; a TLS ClientHello without SNI (no destination to check: a TLS alert
 * `unrecognized_name`, never a bypass); anything that is neither TLS nor HTTP/1.x.
 */
import net from 'node:net';
import { parseAuthority } from './destination.js';
import { TLS_HANDSHAKE, parseClientHello, parseHttpHead } from './sniff.js';


const SNIFF_TIMEOUT_MS = 15_000;
const PROXY_TIMEOUT_MS = 15_000;
const MAX_PROXY_REPLY = 64 * 1024;

// TLS alert descriptions (RFC 8446 §6).
const ALERT_HANDSHAKE_FAILURE = 40;
const ALERT_ACCESS_DENIED = 49;
const ALERT_UNRECOGNIZED_NAME = 112;


/** A claimed source address: the sandbox whose proxy credential its connections use. */
export interface TransparentRoute {
  sandboxId: string;
  /** `http://standin:<token>@host:port` — the explicit listener the connections are handed to. */
  proxyUrl: string;
}

export type TransparentEvent =
  | { kind: 'unknown_source'; source: string }
  | { kind: 'no_sni'; source: string }
  | { kind: 'not_http'; source: string; reason: string }
  | { kind: 'refused'; source: string; destination: string; status: number }
  | { kind: 'proxy_unreachable'; source: string; destination: string; error: string }
  | { kind: 'tunnel'; source: string; destination: string; tls: boolean };

export interface TransparentOptions {
  /** Listen address: the host side of the namespace's veth. */
  host: string;
  port?: number;
  /** Source address → route. Looked up per connection: a removed route refuses the next one. */
  routes: ReadonlyMap<string, TransparentRoute>;
  /**
   * The port the client meant to reach (the redirect rewrote it), e.g. from conntrack; null when
   * unknown, then 443 for TLS and the `Host` port or 80 for HTTP.
   */
  originalPort?: (socket: net.Socket) => Promise<number | null>;
  onEvent?: (e: TransparentEvent) => void;
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

const bare = (a: string | undefined): string => (a ?? '').replace(/^::ffff:/, '');

function tlsAlert(description: number): Buffer {
  return Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);
}

function httpError(status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Bad Gateway'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** `Proxy-Authorization` for a proxy URL's embedded credential. */
export function proxyAuthorization(proxyUrl: string): { host: string; port: number; header: string } {
  const u = new URL(proxyUrl);
  if (u.protocol !== 'http:') throw new Error('the proxy URL must be http://');
  const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), header: `Basic ${Buffer.from(creds, 'latin1').toString('base64')}` };
}

type TunnelResult = { ok: true; socket: net.Socket } | { ok: false; refused: true; status: number; reply: Buffer } | { ok: false; refused: false; error: string };

/** Opens `CONNECT authority` on the explicit proxy; a refusal comes back whole, for relaying. */
export function openTunnel(proxyUrl: string, authority: string): Promise<TunnelResult> {
  const { host, port, header } = proxyAuthorization(proxyUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, noDelay: true });
    let buf = Buffer.alloc(0);
    let status = -1;
    let done = false;
    const finish = (r: TunnelResult) => {
      if (done) return;
      done = true;
      socket.setTimeout(0);
      socket.removeListener('data', onData);
      if (!r.ok) socket.destroy();
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (status < 0) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_PROXY_REPLY) finish({ ok: false, refused: false, error: 'oversized proxy reply' });
          return;
        }
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.toString('latin1', 0, Math.min(end, 64)));
        status = m ? Number(m[1]) : 0;
        if (status === 200) {
          socket.pause();
          const rest = buf.subarray(end + 4);
          if (rest.length) socket.unshift(rest);
          return finish({ ok: true, socket });
        }
      }
      if (buf.length > MAX_PROXY_REPLY) finish({ ok: false, refused: true, status, reply: buf });
    };
    socket.on('data', onData);
    socket.on('end', () => finish(status > 0 ? { ok: false, refused: true, status, reply: buf } : { ok: false, refused: false, error: 'the proxy closed the connection' }));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(status > 0 ? { ok: false, refused: true, status, reply: buf } : { ok: false, refused: false, error: e.code ?? e.message }));
    socket.setTimeout(PROXY_TIMEOUT_MS, () => finish({ ok: false, refused: false, error: 'the proxy did not answer in time' }));
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nProxy-Authorization: ${header}\r\n\r\n`);
  });
}

function splice(a: net.Socket, b: net.Socket): void {
  const kill = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', kill);
  b.on('error', kill);
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
  a.resume();
  b.resume();
}

const authorityString = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

async function handle(opts: TransparentOptions, client: net.Socket): Promise<void> {
  const source = bare(client.remoteAddress);
  const emit = (e: TransparentEvent) => opts.onEvent?.(e);
  client.on('error', () => client.destroy());
  const route = opts.routes.get(source);
  if (!route) {
    emit({ kind: 'unknown_source', source });
    return void client.destroy();
  }
  client.setNoDelay(true);

  // Sniff: a TLS ClientHello (SNI) or an HTTP request head (Host), nothing else.
  const sniffed = await new Promise<{ buf: Buffer; tls: boolean; host: string | null } | null>((resolve) => {
    let buf = Buffer.alloc(0);
    const done = (r: { buf: Buffer; tls: boolean; host: string | null } | null) => {
      client.setTimeout(0);
      client.removeListener('data', onData);
      client.removeListener('end', onEnd);
      client.pause();
      resolve(r);
    };
    const onEnd = () => done(null);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf[0] === TLS_HANDSHAKE) {
        const r = parseClientHello(buf);
        if (r.status === 'need_more') return;
        if (r.status === 'invalid') {
          client.end(tlsAlert(ALERT_HANDSHAKE_FAILURE));
          return done(null);
        }
        if (r.sni === null) {
          emit({ kind: 'no_sni', source });
          client.end(tlsAlert(ALERT_UNRECOGNIZED_NAME));
          return done(null);
        }
        return done({ buf, tls: true, host: r.sni });
      }
      const r = parseHttpHead(buf);
      if (r.status === 'need_more') {
        // Reject early what cannot become a request line (raw TCP protocols, SSH banners…).
        const firstLine = buf.toString('latin1', 0, Math.min(buf.length, 64)).split('\r\n')[0] ?? '';
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]*( |$)/.test(firstLine)) {
          emit({ kind: 'not_http', source, reason: 'neither TLS nor HTTP' });
          client.destroy();
          return done(null);
        }
        return;
      }
      if (r.status === 'invalid') {
        emit({ kind: 'not_http', source, reason: r.reason });
        client.end(httpError(400, 'bad_request', `standin transparent proxy: ${r.reason}`));
        return done(null);
      }
      if (!r.host) {
        emit({ kind: 'not_http', source, reason: 'no Host header' });
        client.end(httpError(400, 'bad_request', 'standin transparent proxy: the request has no Host header, so its destination is unknown'));
        return done(null);
      }
      return done({ buf, tls: false, host: r.host });
    };
    client.on('data', onData);
    client.on('end', onEnd);
    client.setTimeout(SNIFF_TIMEOUT_MS, () => {
      client.destroy();
      done(null);
    });
  });
  if (!sniffed || sniffed.host === null) return;

  const original = opts.originalPort ? await opts.originalPort(client).catch(() => null) : null;
  let authority: string;
  if (sniffed.tls) {
    authority = authorityString(sniffed.host, original ?? 443);
  } else {
    const hasPort = /:\d+$/.test(sniffed.host) && !sniffed.host.endsWith(']');
    const a = parseAuthority(sniffed.host, hasPort ? null : original ?? 80);
    if (!a) {
      emit({ kind: 'not_http', source, reason: 'malformed Host header' });
      return void client.end(httpError(400, 'bad_request', 'standin transparent proxy: malformed Host header'));
    }
    authority = authorityString(a.host, a.port);
  }

  const tunnel = await openTunnel(route.proxyUrl, authority);
  if (!tunnel.ok) {
    if (!tunnel.refused) {
      emit({ kind: 'proxy_unreachable', source, destination: authority, error: tunnel.error });
      return void client.end(sniffed.tls ? tlsAlert(ALERT_HANDSHAKE_FAILURE) : httpError(502, 'proxy_unreachable', 'standin transparent proxy: the egress proxy cannot be reached'));
    }
    emit({ kind: 'refused', source, destination: authority, status: tunnel.status });
    // An HTTP client gets the proxy's own JSON refusal; a TLS client can only get an alert.
    return void client.end(sniffed.tls ? tlsAlert(ALERT_ACCESS_DENIED) : tunnel.reply);
  }
  emit({ kind: 'tunnel', source, destination: authority, tls: sniffed.tls });
  tunnel.socket.write(sniffed.buf);
  splice(client, tunnel.socket);
}

function listen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function track(server: net.Server, sockets: Set<net.Socket>): void {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
}

/** Starts the transparent listener. */
export async function startTransparentListener(opts: TransparentOptions): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ pauseOnConnect: false }, (s) => void handle(opts, s).catch(() => s.destroy()));
  track(server, sockets);
  const port = await listen(server, opts.host, opts.port ?? 0);
  return { port, close: closer(server, sockets) };
}

/**
 * A plain TCP forwarder from the namespace to the explicit proxy, for the clients that do honour
 * the proxy variables (inside the namespace the proxy's own address is unreachable). Only
 * connections from `allowSources` are forwarded; the proxy authenticates everything else itself.
 */
export async function startProxyForwarder(opts: { host: string; port?: number; target: { host: string; port: number }; allowSources: ReadonlySet<string> }): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    if (!opts.allowSources.has(bare(client.remoteAddress))) return void client.destroy();
    client.pause();
    const upstream = net.connect({ host: opts.target.host, port: opts.target.port, noDelay: true });
    client.setNoDelay(true);
    splice(client, upstream);
  });
  track(server, sockets);
  const port = await listen(server, opts.host, opts.port ?? 0);
  return { port, close: closer(server, sockets) };
}
