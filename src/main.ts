import 'reflect-metadata';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Config } from './config.js';
import { Scrubber } from './log/scrubber.js';
import { createLogger, type Logger } from './log/logger.js';
import type { Keyring } from './crypto/keyring.js';
import { loadKeyringHolder } from './crypto/keyring-holder.js';
import { unwrapDataKey } from './crypto/dek.js';
import { ValueCipher } from './crypto/vault-cipher.js';
import { Store } from './store/store.js';
import { createServices, type Services } from './services/index.js';
import { buildApi } from './api/app.js';
import { buildWeb } from './web/app.js';
import { loadOrCreateCa, type Ca } from './proxy/ca.js';
import { settingsCaStore } from './proxy/ca-store.js';
import { StandinError } from './core/errors.js';
import type pino from 'pino';

export interface Core {
  config: Config;
  log: Logger;
  scrubber: Scrubber;
  /** The current keyring: re-read from the key file when a `keyring rotate` added a key (crypto/keyring-holder.ts). */
  keyring: Keyring;
  store: Store;
  cipher: ValueCipher;
  services: Services;
  ca: Ca;
  /** Where sandboxes reach the proxy; `start()` sets the bound port. */
  proxyAddress: { host: string; port: number };
  close(): Promise<void>;
}

/**
 * Opens everything but the sockets: keyring, store (with migrations), CA, services. Used by
 * `serve`, by `init` and by the CLI commands that work on the data dir directly (keyring rotate).
 */
export async function openCore(config: Config, opts: { logDestination?: pino.DestinationStream } = {}): Promise<Core> {
  const scrubber = new Scrubber();
  const log = createLogger({ level: config.logLevel, scrubber, destination: opts.logDestination });
  const keyrings = await loadKeyringHolder({ env: config.keyEnv, dataDir: config.dataDir, log: (m) => log.warn(m) });
  const keyring = keyrings.current();
  const store = await Store.open(config.databaseUrl);
  try {
    // Refuse to start when a tenant's data key was wrapped by a root key we do not have: better
    // than failing on the first request, and the message names the key id that is expected.
    for (const t of await store.tenancy.allWrappedDeks()) unwrapDataKey(keyring, t.id, Buffer.from(t.wrappedDek)).fill(0);
    const cipher = new ValueCipher({
      keyring: keyrings,
      dekFor: async (tenantId) => {
        const blob = await store.tenancy.wrappedDek(tenantId);
        if (!blob) throw new StandinError('not_found', 'tenant not found');
        return Buffer.from(blob);
      },
    });
    const ca = await loadOrCreateCa(settingsCaStore(store.settings, () => keyrings.current()));
    // The port is known only once the proxy listens (port 0 in tests); sandboxes read it then.
    const proxyAddress = { host: config.proxyHost, port: config.proxyPort };
    const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
    const services = createServices(
      { store, cipher, scrubber },
      { proxyUrl: (token) => `http://standin:${token}@${bracket(proxyAddress.host)}:${proxyAddress.port}`, caCertPem: () => ca.certPem },
    );
    return {
      config, log, scrubber, store, cipher, services, ca, proxyAddress,
      get keyring() {
        return keyrings.current();
      },
      async close() {
        await services.keys.flushLastUsed().catch(() => {});
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export interface Running {
  core: Core;
  apiUrl: string;
  proxyUrl: string;
  /**
   * Writes the proxy's queued egress events and audit rows now, instead of at the next batch
   * (every 200 ms): once it resolves, every exchange whose answer the caller has received is
   * in the store. A no-op without the proxy.
   */
  flushEvents(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the HTTP app: the API under /v1, health checks, and the dashboard at /. */
export function buildHttpApp(core: Core): Hono {
  const app = new Hono();
  const api = buildApi({
    services: core.services,
    log: core.log,
    limits: { perKey: core.config.rateLimitPerKey, perTenant: core.config.rateLimitPerTenant, writesPerKey: core.config.rateLimitWritesPerKey },
    ready: async () => (await core.store.tenancy.countTenants()) >= 0,
  });
  app.route('/', api);
  app.route('/', buildWeb({ services: core.services, log: core.log, config: core.config }));
  return app;
}

function listen(app: Hono, host: string, port: number): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

/** Starts API, dashboard and proxy; `stop()` shuts down gracefully. */
export async function start(config: Config, opts: { logDestination?: pino.DestinationStream; proxy?: boolean } = {}): Promise<Running> {
  const core = await openCore(config, opts);
  let http: Awaited<ReturnType<typeof listen>> | null = null;
  let proxy: { port: number; flush(): Promise<void>; close(): Promise<void> } = { port: 0, flush: async () => {}, close: async () => {} };
  try {
    http = await listen(buildHttpApp(core), config.host, config.port);
    if (opts.proxy !== false) {
      const { startProxy } = await import('./proxy/server.js');
      proxy = await startProxy({ core });
      core.proxyAddress.port = proxy.port;
    }
  } catch (e) {
    // Whatever started must stop again, or a failed start leaks a listening socket.
    const server = http?.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await core.close();
    throw e;
  }
  const httpServer = http;
  const lastUsedTimer = setInterval(() => void core.services.keys.flushLastUsed().catch(() => {}), 5000);
  lastUsedTimer.unref();
  const h = config.host.includes(':') ? `[${config.host}]` : config.host;
  const ph = config.proxyHost.includes(':') ? `[${config.proxyHost}]` : config.proxyHost;
  let stopped: Promise<void> | null = null;
  return {
    core,
    apiUrl: `http://${h}:${httpServer.port}`,
    proxyUrl: `http://${ph}:${proxy.port}`,
    async flushEvents() {
      // An exchange is recorded right after its last bytes are handed to the socket; one turn of
      // the event loop covers the paths that record on the response's 'finish' (decoded bodies).
      await new Promise((r) => setImmediate(r));
      await proxy.flush();
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(lastUsedTimer);
        await proxy.close();
        await new Promise<void>((r) => httpServer.server.close(() => r()));
        await core.close();
      })();
      return stopped;
    },
  };
}
