/**
 * Helpers for the commands that work on the data dir / database directly instead of through the
 * API: serve, init, keyring rotate, ca export. They share the settings of src/config.ts.
 */
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Option, type Command } from 'commander';
import { loadConfig, DEFAULTS, type Config, type ConfigFlags } from '../config.js';
import type { Core } from '../main.js';
import { usageError } from './exit.js';
import { note } from './output.js';

/** Adds --data-dir, --database-url and --log-level (each also an environment variable). */
export function addStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', `data directory: SQLite database, generated root key (default ${DEFAULTS.dataDir})`).env('STANDIN_DATA_DIR'))
    .addOption(new Option('--database-url <url>', 'postgres://… or sqlite:<path> (default: SQLite in the data dir)').env('STANDIN_DATABASE_URL'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent').env('STANDIN_LOG_LEVEL'));
}

/** Adds the listener and egress settings of `standin serve`. */
export function addServerOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--host <host>', `API listen address (default ${DEFAULTS.host})`).env('STANDIN_HOST'))
    .addOption(new Option('--port <port>', `API port (default ${DEFAULTS.port})`).env('STANDIN_PORT'))
    .addOption(new Option('--proxy-host <host>', 'proxy listen address (default: --host)').env('STANDIN_PROXY_HOST'))
    .addOption(new Option('--proxy-port <port>', `egress proxy port (default ${DEFAULTS.proxyPort})`).env('STANDIN_PROXY_PORT'))
    .addOption(new Option('--egress-allow <list>', 'hosts or CIDRs exempt from the SSRF guard, comma-separated').env('STANDIN_EGRESS_ALLOW'))
    .addOption(new Option('--resolve <list>', 'host=address overrides, comma-separated (like curl --resolve)').env('STANDIN_RESOLVE'))
    .addOption(new Option('--upstream-ca-file <file>', 'extra CA certificates (PEM) trusted for upstreams').env('STANDIN_UPSTREAM_CA_FILE'));
}

const FLAG_KEYS = ['host', 'port', 'proxyHost', 'proxyPort', 'dataDir', 'databaseUrl', 'logLevel', 'egressAllow', 'resolve', 'upstreamCaFile'] as const;

/** The frozen config from the command's options (flags win over the environment). */
export function configFromOptions(opts: Record<string, unknown>, defaults: ConfigFlags = {}): Config {
  const flags: ConfigFlags = { ...defaults };
  for (const k of FLAG_KEYS) if (typeof opts[k] === 'string') flags[k] = opts[k] as string;
  return loadConfig(flags, process.env);
}

/** A database URL fit for messages: the password of a postgres:// URL is masked. */
export function describeDatabase(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) return url.replace(/^sqlite:/, '');
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/** The URL a CLI on this machine uses to reach an API listening on host:port. */
export function localApiUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * pino lines made readable for a person at a terminal: `standin: warn: message` on stderr.
 * Local commands log only warnings and errors unless --log-level says otherwise.
 */
export function humanLogStream(): Writable {
  let buf = '';
  return new Writable({
    write(chunk, _enc, cb) {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const o = JSON.parse(line) as { level?: number; msg?: string };
          const level = (o.level ?? 30) >= 50 ? 'error' : (o.level ?? 30) >= 40 ? 'warning' : 'info';
          note(`standin: ${level}: ${(o.msg ?? line).replace(/^WARNING:\s*/, '')}`);
        } catch {
          note(line);
        }
      }
      cb();
    },
  });
}

/**
 * Opens the store for a local command. With `mustExist`, a SQLite database that does not exist
 * yet is a usage error instead of being created (with a fresh root key) by mistake.
 */
export async function openLocal(config: Config, opts: { mustExist?: boolean } = {}): Promise<Core> {
  if (opts.mustExist && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    const path = config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
    if (path !== ':memory:' && !existsSync(path)) {
      throw usageError(`no standin database at ${path}`, 'run "standin init" (or "standin serve") first, or pass --data-dir / --database-url');
    }
  }
  // Loaded on demand: the server stack (store drivers, crypto, HTTP) would slow every command.
  const { openCore } = await import('../main.js');
  return openCore(config, { logDestination: humanLogStream() });
}

/** Local commands are quiet by default: warnings and errors only. */
export const LOCAL_LOG_DEFAULT: ConfigFlags = { logLevel: 'warn' };
