import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type ConfigFlags } from '../../src/config.js';
import { start, type Running } from '../../src/main.js';
import { createTestDatabase } from './pg.js';

export interface TestServer {
  running: Running;
  apiUrl: string;
  proxyUrl: string;
  /** The first admin API key (all scopes). */
  adminKey: string;
  tenantId: string;
  dataDir: string;
  databaseUrl: string;
  /** Everything the server logged so far (JSON lines). */
  logs(): string;
  /** Calls the API with the admin key (or `key`), JSON in and out. */
  api(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * Starts a real standin (API + proxy) on loopback ephemeral ports, in a temporary data dir, with
 * SQLite or a fresh PostgreSQL database, and bootstraps the tenant. `env` adds settings such as
 * STANDIN_RESOLVE / STANDIN_UPSTREAM_CA_FILE / STANDIN_EGRESS_ALLOW.
 */
export async function startTestServer(opts: { dialect?: 'sqlite' | 'postgres'; env?: Record<string, string>; flags?: ConfigFlags; proxy?: boolean } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'standin-test-'));
  const db = opts.dialect === 'postgres' ? await createTestDatabase() : null;
  const databaseUrl = db?.url ?? `sqlite:${join(dataDir, 'standin.db')}`;
  let logText = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logText += chunk.toString();
      cb();
    },
  });
  const config = loadConfig(
    { host: '127.0.0.1', port: '0', proxyPort: '0', dataDir, databaseUrl, logLevel: 'info', ...opts.flags },
    { ...opts.env },
  );
  const running = await start(config, { logDestination: sink, proxy: opts.proxy });
  const init = await running.core.services.tenancy.initialize();
  if (!init) throw new Error('test server was already initialised');
  const api: TestServer['api'] = async (method, path, body, key) => {
    const res = await fetch(running.apiUrl + path, {
      method,
      headers: { authorization: `Bearer ${key ?? init.apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    running,
    apiUrl: running.apiUrl,
    proxyUrl: running.proxyUrl,
    adminKey: init.apiKey,
    tenantId: init.tenantId,
    dataDir,
    databaseUrl,
    logs: () => logText,
    api,
    async stop() {
      await running.stop();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
