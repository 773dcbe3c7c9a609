/**
 * CONNECT handling with TLS interception (DESIGN.md §6 steps 1–2). The sandbox authenticates on
 * the CONNECT; after `200 Connection Established` the proxy is the TLS server for the tunnel,
 * presenting a leaf from its CA for the requested name, and serves HTTP/1.1 inside it through an
 * internal `http.Server`, so keep-alive, pipelining rules and parsing are Node's own (strict).
 * Nothing is connected upstream here: every request inside the tunnel goes through the pipeline,
 * which checks the CONNECT authority, the SNI and the Host again each time.
 *
 * A tunnel that does not start with a TLS handshake is served as plain HTTP to the authority
 * (scheme http); anything that is not HTTP fails to parse, so the proxy never relays raw TCP.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { ErrorCode } from '../core/errors.js';
import { httpStatus } from '../core/http-status.js';
import type { Logger } from '../log/logger.js';
import type { SandboxAuth } from './auth.js';
import { parseAuthority } from './destination.js';
import type { LeafCertFactory } from './leaf-certs.js';
import { F, REQUEST_LINE } from './log-fields.js';
import type { ConnectionInfo } from './pipeline.js';
import { TLS_HANDSHAKE } from './sniff.js';

const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface TunnelDeps {
  auth: SandboxAuth;
  leafs: LeafCertFactory;
  /** The internal server that parses requests inside tunnels. */
  inner: Server;
  /** Per-socket facts the pipeline reads (socket → tunnel). */
  connections: WeakMap<object, ConnectionInfo>;
  log: Logger;
}

/** Writes a complete error response on a raw socket and closes it. */
export function rawError(socket: Duplex, code: ErrorCode, message: string, extra: Record<string, string> = {}): void {
  const status = httpStatus(code);
  const body = JSON.stringify({ error: { code, message } });
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n`;
  for (const [k, v] of Object.entries(extra)) head += `${k}: ${v}\r\n`;
  socket.end(`${head}\r\n${body}`);
}

/** The `connect` listener of the explicit proxy server. */
export async function handleConnect(deps: TunnelDeps, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  const refuse = (code: ErrorCode, message: string, extra?: Record<string, string>, sandboxId?: string): void => {
    deps.log.warn({ [F.sandbox]: sandboxId ?? null, [F.method]: 'CONNECT', [F.status]: httpStatus(code), [F.decision]: 'blocked', [F.code]: code, [F.reason]: message }, REQUEST_LINE);
    rawError(socket, code, message, extra);
  };
  let identity;
  try {
    identity = await deps.auth.authenticate(req.headers['proxy-authorization']);
  } catch (e) {
    deps.log.error({ err: e }, 'proxy authentication failed');
    return rawError(socket, 'unavailable', 'the proxy cannot check credentials right now');
  }
  if (!identity) {
    return refuse('proxy_auth_required', 'proxy credentials are missing or invalid; use the proxy URL given when the sandbox was created', { 'proxy-authenticate': 'Basic realm="standin"' });
  }
  const authority = parseAuthority(req.url ?? '', null);
  if (!authority) return refuse('bad_request', 'CONNECT needs a host:port authority', undefined, identity.sandbox.id);
  let context: tls.SecureContext;
  try {
    // The initial context presents the authority's leaf: a client that sends no SNI gets it.
    context = deps.leafs.secureContextFor(authority.host);
  } catch {
    return refuse('bad_request', 'the CONNECT host cannot carry a certificate', undefined, identity.sandbox.id);
  }
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length) socket.unshift(head);

  const serve = (first: Buffer): void => {
    socket.unshift(first);
    if (first[0] === TLS_HANDSHAKE) {
      const tlsSocket = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext: context,
        SNICallback: deps.leafs.SNICallback,
        ALPNProtocols: ['http/1.1'],
      });
      tlsSocket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => tlsSocket.destroy());
      tlsSocket.once('secure', () => tlsSocket.setTimeout(0));
      tlsSocket.on('error', () => tlsSocket.destroy());
      deps.connections.set(tlsSocket, { identity, tunnel: { ...authority, scheme: 'https' }, tlsSocket });
      deps.inner.emit('connection', tlsSocket);
    } else {
      deps.connections.set(socket, { identity, tunnel: { ...authority, scheme: 'http' }, tlsSocket: null });
      deps.inner.emit('connection', socket);
      socket.resume(); // paused while peeking; the server's 'data' listener does not undo that
    }
  };
  socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy());
  socket.once('data', (first: Buffer) => {
    socket.pause();
    socket.setTimeout(0);
    serve(first);
  });
}
