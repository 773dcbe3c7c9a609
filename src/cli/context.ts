/**
 * What every command that talks to the server needs: the global options (--json, --url) and an
 * SDK client built from STANDIN_URL / STANDIN_API_KEY or the CLI config file. Command groups get
 * it through `context(cmd)`; `standin run` (issue 4) uses the same.
 */
import type { Command } from 'commander';
import { Standin } from '../../sdk/index.js';
import { resolveTarget, type Target } from './config-file.js';
import { usageError } from './exit.js';
import { note } from './output.js';

export interface GlobalOptions {
  json?: boolean;
  url?: string;
}

export interface CliContext {
  /** --json: machine-readable output on stdout, errors as JSON on stderr. */
  json: boolean;
  /** The server and key this invocation uses. */
  target(): Promise<Target>;
  /** An SDK client for the target. */
  client(): Promise<Standin>;
}

/** The context of the command being run (global options are read from the whole chain). */
export function context(cmd: Command): CliContext {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  let target: Promise<Target> | undefined;
  const getTarget = () => (target ??= resolveTarget({ url: g.url }, process.env, note));
  return {
    json: Boolean(g.json),
    target: getTarget,
    async client() {
      const t = await getTarget();
      try {
        return new Standin({ baseUrl: t.url, apiKey: t.apiKey, userAgent: 'standin-cli/0.1' });
      } catch (e) {
        // The SDK's own messages never echo the key; they name what is wrong with the setting.
        throw usageError(`${(e as Error).message} (from ${t.keySource === 'STANDIN_API_KEY' ? 'STANDIN_URL / STANDIN_API_KEY' : t.keySource})`);
      }
    },
  };
}

/** Collects a repeatable option into an array (`--host a --host b`). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/**
 * Commands take names and ids as arguments and values never: an extra argument is most likely a
 * value typed on the command line, so refuse it with a hint, without repeating it.
 */
export function refuseExtraArgs(cmd: Command, expected: number): void {
  if (cmd.args.length > expected) {
    throw usageError(
      `too many arguments for "${cmd.name()}": expected ${expected}, got ${cmd.args.length}`,
      'secret values are never taken from the command line: type them at the hidden prompt, or pipe them on stdin',
    );
  }
}
