/**
 * Exit codes of the `standin` CLI and the one place that turns an error into a message and a code.
 * Scripts rely on these numbers: change them only with a changelog entry.
 */
import { CommanderError } from 'commander';
import { StandinApiError, StandinConnectionError } from '../../sdk/errors.js';
import { isStandinError } from '../core/errors.js';

export const EXIT = Object.freeze({
  /** Success. */
  OK: 0,
  /** The API or the operation failed (server refused the request, unreachable server, broken audit chain). */
  ERROR: 1,
  /** Usage or configuration error: bad flags or arguments, a bad setting, no API key, unknown root key. */
  USAGE: 2,
  /** Authentication or permission error: HTTP 401 or 403. */
  AUTH: 3,
  /** Not found: HTTP 404, or a name that resolves to nothing. */
  NOT_FOUND: 4,
  /** Conflict: HTTP 409 (the secret exists), or `init` on an initialised store. */
  CONFLICT: 5,
});

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit-code table shown by `standin --help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  API or operation error (the server refused, is unreachable, or audit verify found a break)
  2  usage or configuration error (bad flags, a bad setting, no API key, unknown root key)
  3  authentication or permission error (HTTP 401 / 403)
  4  not found (HTTP 404; explain: the name resolves to nothing)
  5  conflict (HTTP 409: the secret exists; init: already initialised)`;

/** An error the CLI raises itself, with the exit code it means. */
export class CliError extends Error {
  constructor(readonly exitCode: ExitCode, message: string, readonly hint?: string, readonly code?: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string, hint?: string) => new CliError(EXIT.USAGE, message, hint);

/** A failure as it is reported: message, exit code, and the machine-readable part for --json. */
export interface Report {
  exitCode: ExitCode;
  message: string;
  hint?: string;
  json: { code: string; message: string; status?: number; requestId?: string | null; details?: Record<string, unknown> };
}

function exitForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return EXIT.ERROR;
}

/** Maps anything thrown by a command to its report. Messages never carry a value (see DESIGN.md §2.1). */
export function toReport(e: unknown): Report {
  if (e instanceof CliError) {
    return { exitCode: e.exitCode, message: e.message, hint: e.hint, json: { code: e.code ?? (e.exitCode === EXIT.USAGE ? 'usage' : 'cli_error'), message: e.message } };
  }
  if (e instanceof StandinApiError) {
    const hint =
      e.status === 401 ? 'check STANDIN_API_KEY or the API key in the CLI config file (standin --help lists where it is)'
        : e.status === 429 ? `rate limited${e.retryAfter ? `; retry in ${e.retryAfter} s` : ''}`
          : undefined;
    return {
      exitCode: exitForStatus(e.status),
      message: `${e.message} (${e.code}, HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ''})`,
      hint,
      json: { code: e.code, message: e.message, status: e.status, requestId: e.requestId, ...(e.details ? { details: e.details } : {}) },
    };
  }
  if (e instanceof StandinConnectionError) {
    return { exitCode: EXIT.ERROR, message: e.message, hint: 'is "standin serve" running? Point the CLI at it with --url or STANDIN_URL', json: { code: 'connection_failed', message: e.message } };
  }
  if (isStandinError(e)) {
    const exitCode: ExitCode =
      e.code === 'config_invalid' || e.code === 'unknown_root_key' ? EXIT.USAGE
        : e.code === 'not_found' ? EXIT.NOT_FOUND
          : e.code === 'conflict' ? EXIT.CONFLICT
            : EXIT.ERROR;
    return { exitCode, message: e.message, json: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
  }
  if (e instanceof CommanderError) {
    return { exitCode: EXIT.USAGE, message: e.message, json: { code: 'usage', message: e.message } };
  }
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return { exitCode: EXIT.ERROR, message, json: { code: typeof code === 'string' ? code : 'error', message } };
}
