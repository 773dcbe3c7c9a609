import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { StandinError } from './core/errors.js';

/** Named defaults; the README's settings table lists the same values. */
export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 4780,
  proxyPort: 4781,
  dataDir: join(homedir(), '.standin'),
  logLevel: 'info',
  /** Requests per minute: per API key, per tenant, and for the write endpoint group per key. */
  rateLimitPerKey: 1200,
  rateLimitPerTenant: 6000,
  rateLimitWritesPerKey: 300,
  sessionTtlSeconds: 8 * 3600,
});

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly proxyHost: string;
  readonly proxyPort: number;
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Hosts or CIDRs exempt from the SSRF guard (STANDIN_EGRESS_ALLOW). */
  readonly egressAllow: readonly string[];
  /** Static name → address overrides, like curl's --resolve (STANDIN_RESOLVE). */
  readonly resolve: Readonly<Record<string, string>>;
  /** Extra CA certificates (PEM file) trusted for upstreams (STANDIN_UPSTREAM_CA_FILE). */
  readonly upstreamCaFile: string | null;
  readonly rateLimitPerKey: number;
  readonly rateLimitPerTenant: number;
  readonly rateLimitWritesPerKey: number;
  readonly sessionTtlSeconds: number;
  /** The environment the keyring reads STANDIN_MASTER_KEY / STANDIN_MASTER_KEY_FILE from. */
  readonly keyEnv: Readonly<Record<string, string | undefined>>;
}

/** Flag values as commander hands them over (strings), keyed by the setting name. */
export type ConfigFlags = Partial<Record<'host' | 'port' | 'proxyHost' | 'proxyPort' | 'dataDir' | 'databaseUrl' | 'logLevel' | 'egressAllow' | 'resolve' | 'upstreamCaFile', string>>;

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function bad(setting: string, message: string): never {
  throw new StandinError('config_invalid', `invalid setting ${setting}: ${message}`, { setting });
}

function port(setting: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) bad(setting, `"${raw}" is not a port number`);
  const n = Number(raw);
  if (n < 0 || n > 65535) bad(setting, `${n} is outside 0–65535`);
  return n;
}

function positive(setting: string, raw: string | undefined, dflt: number): number {
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) bad(setting, `"${raw}" is not a positive integer`);
  return Number(raw);
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * `host=address,…`. The address must be an IP literal (v4, or v6 with or without brackets): the
 * SSRF guard connects to it as given, so a name here would be connected to unchecked, or fail
 * on the first request instead of at start-up.
 */
function resolveMap(setting: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list(raw)) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) bad(setting, `"${item}" is not host=address`);
    const address = item.slice(eq + 1).trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(address) === 0) bad(setting, `"${item}": "${address}" is not an IPv4 or IPv6 address`);
    out[item.slice(0, eq).trim().toLowerCase().replace(/\.$/, '')] = address;
  }
  return out;
}

/**
 * Builds the one frozen configuration from flags (which win) and environment variables. Every
 * bad value stops start-up with a message that names the setting.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Record<string, string | undefined> = process.env): Config {
  const pick = (flag: keyof ConfigFlags, name: string) => flags[flag] ?? env[name];
  const dataDir = resolve(pick('dataDir', 'STANDIN_DATA_DIR') || DEFAULTS.dataDir);
  const host = pick('host', 'STANDIN_HOST') || DEFAULTS.host;
  const databaseUrl = pick('databaseUrl', 'STANDIN_DATABASE_URL') || `sqlite:${join(dataDir, 'standin.db')}`;
  if (!/^(postgres(ql)?:\/\/|sqlite:|\/|\.)/.test(databaseUrl) && databaseUrl !== ':memory:') {
    bad('--database-url / STANDIN_DATABASE_URL', 'expected postgres://…, sqlite:<path> or a file path');
  }
  const logLevel = (pick('logLevel', 'STANDIN_LOG_LEVEL') || DEFAULTS.logLevel) as Config['logLevel'];
  if (!LEVELS.includes(logLevel)) bad('--log-level / STANDIN_LOG_LEVEL', `"${logLevel}" is not one of ${LEVELS.join(', ')}`);
  const cfg: Config = {
    host,
    port: port('--port / STANDIN_PORT', pick('port', 'STANDIN_PORT'), DEFAULTS.port),
    proxyHost: pick('proxyHost', 'STANDIN_PROXY_HOST') || host,
    proxyPort: port('--proxy-port / STANDIN_PROXY_PORT', pick('proxyPort', 'STANDIN_PROXY_PORT'), DEFAULTS.proxyPort),
    dataDir,
    databaseUrl,
    logLevel,
    egressAllow: Object.freeze(list(pick('egressAllow', 'STANDIN_EGRESS_ALLOW'))),
    resolve: Object.freeze(resolveMap('--resolve / STANDIN_RESOLVE', pick('resolve', 'STANDIN_RESOLVE'))),
    upstreamCaFile: pick('upstreamCaFile', 'STANDIN_UPSTREAM_CA_FILE') || null,
    rateLimitPerKey: positive('STANDIN_RATE_LIMIT_PER_KEY', env.STANDIN_RATE_LIMIT_PER_KEY, DEFAULTS.rateLimitPerKey),
    rateLimitPerTenant: positive('STANDIN_RATE_LIMIT_PER_TENANT', env.STANDIN_RATE_LIMIT_PER_TENANT, DEFAULTS.rateLimitPerTenant),
    rateLimitWritesPerKey: positive('STANDIN_RATE_LIMIT_WRITES_PER_KEY', env.STANDIN_RATE_LIMIT_WRITES_PER_KEY, DEFAULTS.rateLimitWritesPerKey),
    sessionTtlSeconds: positive('STANDIN_SESSION_TTL', env.STANDIN_SESSION_TTL, DEFAULTS.sessionTtlSeconds),
    keyEnv: Object.freeze({ STANDIN_MASTER_KEY: env.STANDIN_MASTER_KEY, STANDIN_MASTER_KEY_FILE: env.STANDIN_MASTER_KEY_FILE }),
  };
  return Object.freeze(cfg);
}
