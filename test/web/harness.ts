/**
 * In-process dashboard harness: a real core (SQLite in a temp dir) and the dashboard app called
 * through `app.request()`, with a clock the test moves and a tiny cookie jar.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Hono } from 'hono';
import { loadConfig } from '../../src/config.js';
import { buildHttpApp, openCore, type Core } from '../../src/main.js';
import { buildWeb } from '../../src/web/app.js';
import { SessionStore } from '../../src/web/sessions.js';

export interface Browserish {
  cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, fields: Record<string, string | string[]>, headers?: Record<string, string>): Promise<Response>;
  /** The `_csrf` value of the first form on a page. */
  csrfFrom(path: string): Promise<string>;
}

export interface Harness {
  core: Core;
  /** The dashboard alone, with the harness clock. */
  web: Hono<any>;
  /** The whole HTTP app of main.ts (API + dashboard). */
  http: Hono;
  /** The sessions of `web`, to look at what a session keeps. */
  sessions: SessionStore;
  adminKey: string;
  now: { ms: number };
  logs(): string;
  client(app?: Hono<any>): Browserish;
  /** A client signed in with `key` (the admin key by default). */
  signedIn(key?: string): Promise<Browserish>;
  close(): Promise<void>;
}

const ORIGIN = 'http://127.0.0.1:4780';

export async function openHarness(opts: { ttlSeconds?: number } = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'standin-web-'));
  let logText = '';
  const sink = new Writable({ write(c, _e, cb) { logText += c.toString(); cb(); } });
  const config = loadConfig({ dataDir, databaseUrl: `sqlite:${join(dataDir, 'standin.db')}`, logLevel: 'info' }, {});
  const core = await openCore(config, { logDestination: sink });
  const init = await core.services.tenancy.initialize();
  if (!init) throw new Error('already initialised');
  const now = { ms: Date.now() };
  const ttlSeconds = opts.ttlSeconds ?? 3600;
  const sessions = new SessionStore(ttlSeconds * 1000, () => now.ms);
  const web = buildWeb({ services: core.services, log: core.log, config: { sessionTtlSeconds: ttlSeconds }, now: () => now.ms, sessions });
  const http = buildHttpApp(core);

  const client = (app: Hono<any> = web): Browserish => {
    const cookies = new Map<string, string>();
    const send = async (path: string, init: RequestInit & { headers?: Record<string, string> }) => {
      const cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await app.request(ORIGIN + path, { ...init, headers: { ...(cookie ? { cookie } : {}), ...init.headers } });
      for (const sc of res.headers.getSetCookie()) {
        const [pair] = sc.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (/max-age=0/i.test(sc) || value === '') cookies.delete(name);
        else cookies.set(name, value);
      }
      return res;
    };
    const b: Browserish = {
      cookies,
      get: (path, headers = {}) => send(path, { method: 'GET', headers }),
      post: (path, fields, headers = {}) => {
        const body = new URLSearchParams();
        for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
        return send(path, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
      },
      async csrfFrom(path) {
        const html = await (await b.get(path)).text();
        const m = /name="_csrf" value="([^"]+)"/.exec(html);
        if (!m) throw new Error(`no CSRF token on ${path}`);
        return m[1]!;
      },
    };
    return b;
  };

  return {
    core, web, http, sessions, adminKey: init.apiKey, now, logs: () => logText, client,
    async signedIn(key = init.apiKey) {
      const b = client();
      const csrf = await b.csrfFrom('/sign-in');
      const res = await b.post('/sign-in', { _csrf: csrf, api_key: key });
      if (res.status !== 303 || res.headers.get('location') !== '/secrets') throw new Error(`sign-in failed: ${res.status}`);
      return b;
    },
    async close() {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
