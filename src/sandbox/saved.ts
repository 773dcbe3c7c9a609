/**
 * The local copy of a sandbox's environment. The API shows placeholders and the proxy credential
 * only once, in the create response (DESIGN.md §2.10), so `standin env` and `standin run --keep`
 * keep that response here, for this user on this machine, and `--sandbox ID` reads it back.
 *
 *   where: $STANDIN_SANDBOX_DIR, else $XDG_STATE_HOME/standin/sandboxes, else ~/.local/state/standin/sandboxes
 *   what:  <id>.json, mode 0600 in a 0700 directory: placeholders, proxy URL, CA certificate
 *
 * Never kept: values injected in env mode (real secrets; re-create the sandbox to get them again).
 * The file is removed when the sandbox is found deleted (404).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SavedSandbox {
  id: string;
  /** The API that created it: a record is used only against the same server. */
  apiUrl: string;
  /** The env from the create response, minus injected values. */
  env: Record<string, string>;
  proxyUrl: string;
  caCertPem: string;
  /** Env names whose injected values were not kept. */
  injectedOmitted: string[];
  savedAt: string;
}

export function savedDir(env: Record<string, string | undefined> = process.env): string {
  if (env.STANDIN_SANDBOX_DIR) return env.STANDIN_SANDBOX_DIR;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'standin', 'sandboxes');
}

const ID_RE = /^[A-Za-z0-9_-]{1,100}$/;

function fileFor(id: string, dir: string): string {
  if (!ID_RE.test(id)) throw new Error(`"${id.slice(0, 40)}" is not a sandbox id`);
  return join(dir, `${id}.json`);
}

export function saveSandbox(s: SavedSandbox, dir = savedDir()): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = fileFor(s.id, dir);
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

export function loadSandbox(id: string, dir = savedDir()): SavedSandbox | null {
  try {
    const s = JSON.parse(readFileSync(fileFor(id, dir), 'utf8')) as SavedSandbox;
    return s && s.id === id && typeof s.proxyUrl === 'string' && s.env ? s : null;
  } catch {
    return null;
  }
}

export function forgetSandbox(id: string, dir = savedDir()): void {
  rmSync(fileFor(id, dir), { force: true });
}

/** The create response as kept: injected (env-mode) values dropped. */
export function toSaved(apiUrl: string, created: { id: string; env: Record<string, string>; proxyUrl: string; caCertPem: string; bindings: Array<{ envName: string; mode: string }> }): SavedSandbox {
  const injected = created.bindings.filter((b) => b.mode === 'env').map((b) => b.envName);
  const env = { ...created.env };
  for (const k of injected) delete env[k];
  return { id: created.id, apiUrl, env, proxyUrl: created.proxyUrl, caCertPem: created.caCertPem, injectedOmitted: injected, savedAt: new Date().toISOString() };
}
