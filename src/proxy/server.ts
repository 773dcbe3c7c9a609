/**
 * The egress proxy's explicit listener (DESIGN.md §6): absolute-form `http://` requests and
 * CONNECT with TLS interception on config.proxyHost:proxyPort, the sandbox identified by the
 * credential in its proxy URL. Wires the pieces built once per process: identity cache, swap
 * caches (invalidated through the store's change bus), SSRF guard, upstream pools, leaf
 * certificates and the batched event writer.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Core } from '../main.js';
import { lineWriter } from '../log/logger.js';
import { SandboxAuth } from './auth.js';
import { DestinationGuard } from './destination-guard.js';
import { EventWriter } from './events.js';
import { LeafCertFactory } from './leaf-certs.js';
import { handleRequest, type ConnectionInfo, type PipelineDeps } from './pipeline.js';
import { sendError } from './respond.js';
import { SwapCache } from './swap-cache.js';
import { handleConnect, rawError } from './tunnel.js';
import { UpstreamPools } from './upstream.js';

/** A running proxy. */
export interface RunningProxy {
  port: number;
  /** Writes queued egress events and audit rows now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Keep-alive on the sandbox side: long, since agents make bursts of calls to the same API. */
const KEEP_ALIVE_MS = 65_000;

const serverOptions: http.ServerOptions = {
  noDelay: true,
  requireHostHeader: true,
  keepAliveTimeout: KEEP_ALIVE_MS,
  headersTimeout: 60_000,
  // Strict parsing on purpose: no insecureHTTPParser (DESIGN.md §2.7).
};

const asyncLogged = (deps: PipelineDeps, p: Promise<unknown>): void => {
  p.catch((err: unknown) => deps.log.error({ err }, 'proxy handler failed'));
};

/** Starts the proxy and resolves once it listens. */
export async function startProxy({ core }: { core: Core }): Promise<RunningProxy> {
  const { config, store, log } = core;
  const auth = new SandboxAuth(store);
  const cache = new SwapCache({ store, reveal: (t, s, v) => core.services.secrets.reveal(t, s, v) });
  const pools = new UpstreamPools({ caFile: config.upstreamCaFile });
  const guard = new DestinationGuard({ allow: config.egressAllow, resolve: config.resolve });
  const events = new EventWriter(store, log);
  const leafs = new LeafCertFactory(core.ca);
  const deps: PipelineDeps = { auth, cache, guard, pools, events, log, requestLine: lineWriter(log, core.scrubber) };
  const connections = new WeakMap<object, ConnectionInfo>();

  const unsubscribe = store.bus.subscribe((c) => {
    auth.onChange(c);
    cache.onChange(c);
  });
  const unReset = store.bus.onReset(() => {
    auth.reset();
    cache.reset();
  });

  const onUpgrade = (conn: ConnectionInfo) => (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return rawError(socket, 'bad_request', 'only WebSocket upgrades are supported');
    }
    // A response object on the raw socket, for refusals and non-101 answers.
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => socket.end());
    asyncLogged(deps, handleRequest(deps, conn, req, res, { socket, head }));
  };

  // Requests inside tunnels: parsed by an internal server that never listens.
  const inner = http.createServer(serverOptions, (req, res) => {
    const conn = connections.get(req.socket);
    if (!conn) return void sendError(res, 'internal', 'unknown connection');
    asyncLogged(deps, handleRequest(deps, conn, req, res));
  });
  inner.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const conn = connections.get(req.socket);
    if (!conn) return void socket.destroy();
    onUpgrade(conn)(req, socket, head);
  });

  const explicit: ConnectionInfo = { identity: null, tunnel: null, tlsSocket: null };
  const server = http.createServer(serverOptions, (req, res) => asyncLogged(deps, handleRequest(deps, { ...explicit }, req, res)));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => onUpgrade({ ...explicit })(req, socket, head));
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    asyncLogged(deps, handleConnect({ auth, leafs, inner, connections, log }, req, socket, head));
  });

  // Track every socket so close() can end tunnels, which http.Server does not own.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.proxyPort, config.proxyHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.proxyPort;
  log.info({ host: config.proxyHost, port }, 'egress proxy listening');

  let closed: Promise<void> | null = null;
  return {
    port,
    flush: () => events.flush(),
    close() {
      closed ??= (async () => {
        unsubscribe();
        unReset();
        const done = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        inner.closeAllConnections();
        for (const s of sockets) s.destroy();
        await done;
        await pools.close();
        await events.close();
      })();
      return closed;
    },
  };
}
