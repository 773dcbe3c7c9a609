/**
 * Shared set-up for the proxy suites: a real standin (API + proxy) on loopback, the test PKI,
 * echo upstreams on 127.0.0.1 whose certificates carry the names the tests use, and small
 * clients that speak through the proxy (raw CONNECT tunnels, a kept-alive tunnel client).
 * Every name resolves to 127.0.0.1 through STANDIN_RESOLVE: no test traffic leaves loopback.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Client } from 'undici';
import { makeTestPki, type TestPki } from '../helpers/tls.js';
import { startEchoUpstream, type EchoUpstream, type EchoUpstreamOptions } from '../helpers/upstream.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Names the test certificates carry; all resolve to 127.0.0.1. */
export const NAMES = [
  'api.openai.com', 'evilapi.openai.com', 'api.openai.com.evil.test', 'evilopenai.com', 'evil.test', 'api.example.test', 'other.example.test',
];

export const canary = (): string => `CANARY-proxy-${randomBytes(9).toString('hex')}`;

export interface Sandbox {
  id: string;
  env: Record<string, string>;
  proxyUrl: string;
  /** The sandbox's proxy credential (`stn_px_…`). */
  token: string;
  caPem: string;
  caFile: string;
}

export interface Fixture {
  pki: TestPki;
  server: TestServer;
  upstreams: EchoUpstream[];
  startUpstream(opts?: EchoUpstreamOptions): Promise<EchoUpstream>;
  secret(body: Record<string, unknown>): Promise<{ id: string; name: string }>;
  sandbox(body: Record<string, unknown>): Promise<Sandbox>;
  /** Waits until the proxy's batched records are written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(opts: { egressAllow?: string | null } = {}): Promise<Fixture> {
  const pki = await makeTestPki(NAMES);
  const env: Record<string, string> = {
    STANDIN_RESOLVE: NAMES.map((n) => `${n}=127.0.0.1`).join(','),
    STANDIN_UPSTREAM_CA_FILE: pki.caFile,
  };
  const allow = opts.egressAllow === undefined ? '127.0.0.1' : opts.egressAllow;
  if (allow) env.STANDIN_EGRESS_ALLOW = allow;
  const server = await startTestServer({ env });
  const upstreams: EchoUpstream[] = [];
  let n = 0;
  const f: Fixture = {
    pki,
    server,
    upstreams,
    async startUpstream(o = {}) {
      const u = await startEchoUpstream({ tls: pki.server, ...o });
      upstreams.push(u);
      return u;
    },
    async secret(body) {
      const r = await server.api('POST', '/v1/secrets', body);
      if (r.status !== 201) throw new Error(`secret create failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { id: string; name: string };
    },
    async sandbox(body) {
      const r = await server.api('POST', '/v1/sandboxes', body);
      if (r.status !== 201) throw new Error(`sandbox create failed: ${r.status} ${JSON.stringify(r.body)}`);
      const caFile = join(tmpdir(), `standin-proxy-ca-${process.pid}-${n++}.pem`);
      writeFileSync(caFile, r.body.caCertPem);
      const token = decodeURIComponent(new URL(r.body.proxyUrl).password);
      return { id: r.body.id, env: r.body.env, proxyUrl: r.body.proxyUrl, token, caPem: r.body.caCertPem, caFile };
    },
    flush: () => server.running.flushEvents(),
    async close() {
      await server.stop();
      await Promise.all(upstreams.map((u) => u.close()));
    },
  };
  return f;
}

const proxyAuth = (token: string): string => `Basic ${Buffer.from(`standin:${token}`).toString('base64')}`;

/**
 * Opens a CONNECT tunnel. Resolves with the socket after `200`, or with the refusal's status
 * line and body (the socket is then closed).
 */
export function openTunnel(proxyUrl: string, authority: string, token: string | null): Promise<{ socket: net.Socket } | { status: number; body: string }> {
  const u = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${token ? `Proxy-Authorization: ${proxyAuth(token)}\r\n` : ''}\r\n`);
    });
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = Number(buf.subarray(9, 12).toString());
      if (status === 200) {
        socket.off('data', onData);
        socket.off('error', reject);
        if (buf.length > end + 4) socket.unshift(buf.subarray(end + 4));
        resolve({ socket });
      } else {
        socket.off('data', onData);
        const rest: Buffer[] = [buf.subarray(end + 4)];
        socket.on('data', (d: Buffer) => rest.push(d));
        socket.once('close', () => resolve({ status, body: Buffer.concat(rest).toString() }));
      }
    };
    socket.on('data', onData);
  });
}

/** A parsed HTTP/1.1 response read off a socket that the server closes (requests send `Connection: close`). */
export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Sends a raw request over a tunnel (TLS with `servername`, or plain) and reads until close. */
export async function rawThroughTunnel(opts: {
  proxyUrl: string;
  token: string;
  authority: string;
  /** TLS SNI; null to send none; undefined for a plain-HTTP tunnel. */
  servername?: string | null;
  ca?: string;
  request: string;
}): Promise<RawResponse | { refused: number; body: string }> {
  const t = await openTunnel(opts.proxyUrl, opts.authority, opts.token);
  if (!('socket' in t)) return { refused: t.status, body: t.body };
  let s: net.Socket | tls.TLSSocket = t.socket;
  if (opts.servername !== undefined) {
    const sock = tls.connect({
      socket: t.socket,
      ...(opts.servername === null ? {} : { servername: opts.servername }),
      ca: opts.ca,
      // The client checks the leaf against the name it asked for (or the authority without SNI).
      checkServerIdentity: () => undefined,
    });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', () => resolve());
      sock.once('error', reject);
    });
    s = sock;
  }
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve());
    s.once('close', () => resolve());
    s.once('error', reject);
    s.write(opts.request);
  });
  s.destroy();
  const text = Buffer.concat(chunks).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return { status: Number(text.slice(9, 12)), head: text.slice(0, end), body: text.slice(end + 4) };
}

/**
 * An undici Client whose one connection is a CONNECT tunnel through the proxy, so consecutive
 * requests share a kept-alive tunnel. `connects` counts the tunnels opened.
 */
export function tunnelClient(sandbox: Sandbox, host: string, port: number): Client & { connects: number } {
  let connects = 0;
  const client = new Client(`https://${host}:${port}`, {
    pipelining: 1,
    keepAliveTimeout: 60_000,
    connect: (_opts, cb) => {
      connects++;
      openTunnel(sandbox.proxyUrl, `${host}:${port}`, sandbox.token).then(
        (t) => {
          if (!('socket' in t)) return cb(new Error(`tunnel refused: ${t.status} ${t.body}`), null);
          const s = tls.connect({ socket: t.socket, servername: host, ca: sandbox.caPem, ALPNProtocols: ['http/1.1'] });
          s.once('secureConnect', () => cb(null, s));
          s.once('error', (e) => cb(e, null));
        },
        (e: Error) => cb(e, null),
      );
    },
  }) as Client & { connects: number };
  Object.defineProperty(client, 'connects', { get: () => connects });
  return client;
}

/** Every egress event of a sandbox, newest first. */
export async function egressOf(f: Fixture, sandboxId: string): Promise<any[]> {
  const r = await f.server.api('GET', `/v1/sandboxes/${sandboxId}/egress?limit=500`);
  return r.body.data;
}

/** Audit rows, newest first, optionally filtered by action. */
export async function auditRows(f: Fixture, action?: string): Promise<any[]> {
  const r = await f.server.api('GET', `/v1/audit?limit=500${action ? `&action=${encodeURIComponent(action)}` : ''}`);
  return r.body.data;
}

/** One request through the proxy with undici's ProxyAgent (CONNECT, or absolute-form for http with `proxyTunnel: false`). */
export async function viaProxy(
  sb: Sandbox,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; proxyTunnel?: boolean } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { ProxyAgent, request } = await import('undici');
  const agent = new ProxyAgent({ uri: sb.proxyUrl, requestTls: { ca: sb.caPem }, proxyTunnel: init.proxyTunnel ?? true });
  try {
    const r = await request(url, { dispatcher: agent, method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
    return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
  } finally {
    await agent.close();
  }
}
