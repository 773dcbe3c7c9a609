/**
 * The CLI config file: where the server is and the API key to use, so that after `standin init`
 * (or the first `standin serve`) other commands work without flags.
 *
 *   path:  $STANDIN_CONFIG, else $XDG_CONFIG_HOME/standin/config.json, else ~/.config/standin/config.json
 *   shape: { "url": "http://127.0.0.1:4780", "apiKey": "stn_live_…" }
 *   mode:  0600 in a 0700 directory (it holds a credential)
 *
 * Precedence when the CLI looks for its target: --url, then STANDIN_URL, then the file's url,
 * then http://127.0.0.1:4780. The key: STANDIN_API_KEY, then the file's apiKey — the file's key
 * is only sent to the file's own url, so `--url` to another server never leaks it there.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError, EXIT, usageError } from './exit.js';

export const DEFAULT_URL = 'http://127.0.0.1:4780';

export interface CliConfigFile {
  url?: string;
  apiKey?: string;
}

type Env = Record<string, string | undefined>;

/** Where the config file is for this environment. */
export function configPath(env: Env = process.env): string {
  if (env.STANDIN_CONFIG) return resolve(env.STANDIN_CONFIG);
  const base = env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config');
  return join(base, 'standin', 'config.json');
}

/** Reads the config file; null when it does not exist. A broken file is a usage error naming it. */
export async function readConfigFile(env: Env = process.env): Promise<{ path: string; data: CliConfigFile | null; warning?: string }> {
  const path = configPath(env);
  let text: string;
  let mode = 0;
  try {
    [text, { mode }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, data: null };
    throw usageError(`cannot read the CLI config file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw usageError(`the CLI config file ${path} is not valid JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`the CLI config file ${path} must hold a JSON object`);
  const o = parsed as Record<string, unknown>;
  for (const k of ['url', 'apiKey'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw usageError(`the CLI config file ${path}: "${k}" must be a string`);
  }
  const warning =
    process.platform !== 'win32' && (mode & 0o077) !== 0
      ? `warning: ${path} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`
      : undefined;
  return { path, data: { url: o.url as string | undefined, apiKey: o.apiKey as string | undefined }, warning };
}

/**
 * Writes the config file (0600, directory 0700). Without `overwrite`, an existing file is left
 * alone and `written` is false. The write is atomic: a temp file renamed into place.
 */
export async function writeConfigFile(data: CliConfigFile, opts: { env?: Env; overwrite?: boolean } = {}): Promise<{ path: string; written: boolean }> {
  const env = opts.env ?? process.env;
  const path = configPath(env);
  const dir = dirname(path);
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // Our own default directory is tightened even if it existed; a directory named through
  // STANDIN_CONFIG may be shared (e.g. /tmp), so it is left as it is.
  if (created === undefined && !env.STANDIN_CONFIG) await chmod(dir, 0o700).catch(() => {});
  const text = JSON.stringify(data, null, 2) + '\n';
  if (!opts.overwrite) {
    try {
      await writeFile(path, text, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return { path, written: false };
      throw new CliError(EXIT.ERROR, `cannot write the CLI config file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    await chmod(path, 0o600);
    return { path, written: true };
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new CliError(EXIT.ERROR, `cannot write the CLI config file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return { path, written: true };
}

/** Compares two API URLs by origin and path, ignoring a trailing slash and the case of the host. */
export function sameServer(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname.replace(/\/+$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

export interface Target {
  url: string;
  apiKey: string;
  /** Where the key came from, for messages: "STANDIN_API_KEY" or the config file path. */
  keySource: string;
}

/** Finds the server URL and the API key (see the module comment for the precedence). */
export async function resolveTarget(flags: { url?: string }, env: Env = process.env, warn: (m: string) => void = () => {}): Promise<Target> {
  const explicitUrl = flags.url || env.STANDIN_URL;
  // With both settings in the environment the file plays no part, not even a broken one.
  if (explicitUrl && env.STANDIN_API_KEY) return { url: explicitUrl, apiKey: env.STANDIN_API_KEY, keySource: 'STANDIN_API_KEY' };
  const file = await readConfigFile(env);
  if (file.warning) warn(file.warning);
  const url = explicitUrl || file.data?.url || DEFAULT_URL;
  if (env.STANDIN_API_KEY) return { url, apiKey: env.STANDIN_API_KEY, keySource: 'STANDIN_API_KEY' };
  const fileKey = file.data?.apiKey;
  if (!fileKey) {
    throw usageError('no API key: set STANDIN_API_KEY, or run "standin init" to write one to the CLI config file', `config file: ${file.path}`);
  }
  const fileUrl = file.data?.url || DEFAULT_URL;
  if (!sameServer(url, fileUrl)) {
    throw usageError(
      `the API key in ${file.path} belongs to ${fileUrl}, not ${url}; set STANDIN_API_KEY to use another server`,
    );
  }
  return { url, apiKey: fileKey, keySource: file.path };
}
