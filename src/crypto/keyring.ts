import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { StandinError } from '../core/errors.js';

/** Root keys are AES-256 / HKDF input keys. */
export const ROOT_KEY_BYTES = 32;

const ENV_KEY = 'STANDIN_MASTER_KEY';
/** The setting that holds root keys inline; `loadKeyring` reports it as the `source` of such keys. */
export const MASTER_KEY_ENV = ENV_KEY;
const ENV_KEY_FILE = 'STANDIN_MASTER_KEY_FILE';
const KEY_FILE_NAME = 'master.key';
// Ids go into every blob behind a one-byte length, and into log lines and error messages.
const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;
const HEX64_RE = /^[0-9a-fA-F]{64}$/;

/**
 * One 32-byte root key with its short id. The key bytes are private: every text view
 * (toString, JSON, util.inspect) shows the id only.
 */
export class RootKey {
  readonly id: string;
  readonly #bytes: Buffer;

  constructor(id: string, bytes: Buffer) {
    if (!ID_RE.test(id)) throw new StandinError('config_invalid', `root key id "${id.slice(0, 64)}" is invalid: use 1-64 of A-Z a-z 0-9 . _ -`);
    if (bytes.length !== ROOT_KEY_BYTES) throw new StandinError('config_invalid', `root key "${id}" must be ${ROOT_KEY_BYTES} bytes`);
    this.id = id;
    this.#bytes = Buffer.from(bytes); // own copy: the caller may zero or reuse its buffer
    Object.freeze(this);
  }

  /** The raw key. Only crypto/ calls this; callers must not log or keep the buffer. */
  bytes(): Buffer {
    return this.#bytes;
  }

  /** Constant-time comparison of the key material (ids aside). */
  sameMaterial(other: RootKey): boolean {
    return timingSafeEqual(this.#bytes, other.#bytes);
  }

  toString(): string {
    return `RootKey(${this.id})`;
  }

  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The default id of a key: first 8 hex of its SHA-256 (32 bits of a hash reveal nothing usable). */
export function rootKeyId(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 8);
}

/** A fresh random root key with its fingerprint id. */
export function generateRootKey(): RootKey {
  const bytes = randomBytes(ROOT_KEY_BYTES);
  return new RootKey(rootKeyId(bytes), bytes);
}

/** `id:base64`, the form `parseMasterKeys` reads; for `standin keyring rotate` to print or write. */
export function formatRootKey(k: RootKey): string {
  return `${k.id}:${k.bytes().toString('base64')}`;
}

/**
 * Parses STANDIN_MASTER_KEY (or the key file): one or more keys separated by commas or newlines,
 * each `id:base64`, bare base64 (the id is then the key's fingerprint) or 64 hex digits; lines
 * starting with # are comments. The first key is the active one. Errors name the setting and the
 * entry number, never the text.
 */
export function parseMasterKeys(text: string, source = ENV_KEY): RootKey[] {
  // Comment lines (#) are dropped before splitting on commas, so a comment may contain commas.
  const entries = text
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new StandinError('config_invalid', `${source} holds no key`);
  const keys: RootKey[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon >= 0 ? entry.slice(0, colon).trim() : undefined;
    const material = colon >= 0 ? entry.slice(colon + 1).trim() : entry;
    const bytes = decodeKey(material);
    const where = `${source}: key ${i + 1} of ${entries.length}`;
    if (!bytes) throw new StandinError('config_invalid', `${where} is not ${ROOT_KEY_BYTES} bytes of base64 (or 64 hex digits); generate one with "openssl rand -base64 32"`);
    if (id !== undefined && !ID_RE.test(id)) throw new StandinError('config_invalid', `${where} has an invalid id: use 1-64 of A-Z a-z 0-9 . _ -`);
    const key = new RootKey(id ?? rootKeyId(bytes), bytes);
    bytes.fill(0);
    if (keys.some((k) => k.id === key.id)) throw new StandinError('config_invalid', `${where} repeats the key id "${key.id}"`);
    keys.push(key);
  });
  return keys;
}

function decodeKey(material: string): Buffer | undefined {
  if (HEX64_RE.test(material)) return Buffer.from(material, 'hex');
  if (!BASE64_RE.test(material)) return undefined;
  // Buffer.from ignores junk silently, hence the regex above and the length check here.
  const bytes = Buffer.from(material, material.includes('-') || material.includes('_') ? 'base64url' : 'base64');
  return bytes.length === ROOT_KEY_BYTES ? bytes : undefined;
}

/**
 * The root keys standin can use: the first (active) one wraps new data keys, the others are kept
 * to unwrap data written before a rotation. Immutable; rotation builds a new Keyring.
 */
export class Keyring {
  readonly #keys: readonly RootKey[];

  constructor(keys: readonly RootKey[]) {
    if (keys.length === 0) throw new StandinError('config_invalid', 'the keyring needs at least one root key');
    const ids = new Set(keys.map((k) => k.id));
    if (ids.size !== keys.length) throw new StandinError('config_invalid', 'the keyring holds two root keys with one id');
    this.#keys = Object.freeze([...keys]);
    Object.freeze(this);
  }

  /** Id of the key used for new wraps. */
  get activeId(): string {
    return this.active().id;
  }

  /** The key used for new wraps. */
  active(): RootKey {
    return this.#keys[0] as RootKey;
  }

  /** True when the keyring holds a key with this id. */
  has(id: string): boolean {
    return this.#keys.some((k) => k.id === id);
  }

  /** The key with this id; throws `unknown_root_key` naming the id the data expects. */
  get(id: string): RootKey {
    const key = this.#keys.find((k) => k.id === id);
    if (key) return key;
    throw new StandinError(
      'unknown_root_key',
      `data is encrypted with root key "${id}", but root key "${id}" is not in the keyring (loaded: ${this.ids().join(', ')}); add it to ${ENV_KEY}`,
      { expectedKeyId: id, loadedKeyIds: this.ids() },
    );
  }

  /** Ids of all keys, active first. */
  ids(): string[] {
    return this.#keys.map((k) => k.id);
  }

  /**
   * A keyring whose active key is `key`, keeping every other key for reading old data. Adding a
   * known key again just makes it active; a different key under a known id is refused.
   */
  withNewActive(key: RootKey): Keyring {
    const existing = this.#keys.find((k) => k.id === key.id);
    if (existing && !existing.sameMaterial(key)) {
      throw new StandinError('config_invalid', `root key id "${key.id}" is already used by a different key`);
    }
    return new Keyring([key, ...this.#keys.filter((k) => k.id !== key.id)]);
  }

  toString(): string {
    return `Keyring(active=${this.activeId}, ids=${this.ids().join(',')})`;
  }

  toJSON(): { activeId: string; ids: string[] } {
    return { activeId: this.activeId, ids: this.ids() };
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Where loadKeyring looks, and how it reports a generated key. */
export interface LoadKeyringOptions {
  env: Record<string, string | undefined>;
  dataDir: string;
  log?: (msg: string) => void;
  /**
   * With no key configured and no `<dataDir>/master.key`: generate one (true, the default) or
   * fail (false: a reload must never replace the keys of a running server with a new one).
   */
  create?: boolean;
}

/**
 * Loads the keyring from STANDIN_MASTER_KEY, else the file named by STANDIN_MASTER_KEY_FILE, else
 * `<dataDir>/master.key`. With none of them, generates `<dataDir>/master.key` (mode 0600, directory
 * 0700) and logs a warning to back it up: losing it loses every stored secret.
 * `source` names where the keys came from (a setting or a path, never key material).
 */
export async function loadKeyring(opts: LoadKeyringOptions): Promise<{ keyring: Keyring; generated: boolean; source: string }> {
  const log = opts.log ?? (() => {});
  const inline = opts.env[ENV_KEY];
  if (inline !== undefined && inline.trim() !== '') {
    return { keyring: new Keyring(parseMasterKeys(inline, ENV_KEY)), generated: false, source: ENV_KEY };
  }
  const named = opts.env[ENV_KEY_FILE];
  if (named !== undefined && named.trim() !== '') {
    const path = named.trim();
    const text = await readKeyFile(path, `${ENV_KEY_FILE} (${path})`, log);
    if (text === undefined) throw new StandinError('config_invalid', `${ENV_KEY_FILE} names ${path}, which does not exist`);
    return { keyring: new Keyring(parseMasterKeys(text, `${ENV_KEY_FILE} (${path})`)), generated: false, source: path };
  }
  const path = join(opts.dataDir, KEY_FILE_NAME);
  const text = await readKeyFile(path, path, log);
  if (text !== undefined) return { keyring: new Keyring(parseMasterKeys(text, `${ENV_KEY} file ${path}`)), generated: false, source: path };
  if (opts.create === false) throw new StandinError('config_invalid', `no root key: ${path} does not exist and neither ${ENV_KEY} nor ${ENV_KEY_FILE} is set`);

  const key = generateRootKey();
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': if another process created the file since we looked, use its key rather than clobber it.
    await writeFile(path, `${formatRootKey(key)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const raced = (await readKeyFile(path, path, log)) ?? '';
    return { keyring: new Keyring(parseMasterKeys(raced, `${ENV_KEY} file ${path}`)), generated: false, source: path };
  }
  await chmod(path, 0o600); // a pre-set umask cannot widen it, but make the mode explicit anyway
  log(
    `WARNING: no ${ENV_KEY} or ${ENV_KEY_FILE} set; generated root key "${key.id}" in ${path} (mode 0600). ` +
      `Back up this file now and keep it apart from the database: without it no stored secret can be decrypted.`,
  );
  return { keyring: new Keyring([key]), generated: true, source: path };
}

async function readKeyFile(path: string, label: string, log: (msg: string) => void): Promise<string | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      log(`WARNING: ${label} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    }
    return text;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StandinError('config_invalid', `cannot read ${label}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
