/**
 * `standin serve`: API (and dashboard) plus the egress proxy, on the embedded SQLite default or
 * PostgreSQL. On an empty store it bootstraps the tenant and prints the first admin key once.
 */
import type { Command } from 'commander';
import type { Running } from '../main.js';
import { writeConfigFile } from './config-file.js';
import { CliError, EXIT } from './exit.js';
import { addServerOptions, addStoreOptions, configFromOptions, describeDatabase, localApiUrl } from './local.js';
import { box, note } from './output.js';

/** How long a graceful shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** The one-time display of the first admin key (stderr, so it stays out of log collectors on stdout). */
export function firstKeyBox(apiKey: string, configNote: string): string {
  return box([
    'standin initialised. The first admin API key (shown only this once):',
    '',
    `    ${apiKey}`,
    '',
    'Store it now, e.g. in a password manager: it cannot be shown again.',
    configNote,
  ]);
}

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('run the API and the egress proxy (bootstraps an empty store and prints the first admin key once)');
  addServerOptions(cmd);
  addStoreOptions(cmd);
  cmd
    .option('--no-proxy', 'run the API only, without the egress proxy')
    .addHelpText('after', '\nRoot keys come from STANDIN_MASTER_KEY or STANDIN_MASTER_KEY_FILE; without either, <data-dir>/master.key is used (generated on the first run).\nSIGTERM or SIGINT stops gracefully (exit 0).')
    .action(async (opts: Record<string, unknown>) => {
      const config = configFromOptions(opts);
      const { start } = await import('../main.js');
      let running: Running;
      try {
        running = await start(config, { proxy: opts.proxy !== false });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
          const addr = (e as { address?: string; port?: number }).address;
          const port = (e as { port?: number }).port;
          throw new CliError(EXIT.ERROR, `cannot listen on ${addr ?? config.host}:${port ?? config.port} (${code})`);
        }
        throw e;
      }

      const init = await running.core.services.tenancy.initialize().catch(async (e) => {
        await running.stop();
        throw e;
      });
      if (init) {
        const port = Number(new URL(running.apiUrl).port);
        const url = localApiUrl(config.host, port);
        let configNote: string;
        try {
          const w = await writeConfigFile({ url, apiKey: init.apiKey });
          configNote = w.written ? `The CLI config file ${w.path} (mode 0600) holds it for this user.` : `The CLI config file ${w.path} exists and was left unchanged.`;
        } catch (e) {
          configNote = `Could not write the CLI config file: ${(e as Error).message}`;
        }
        note(firstKeyBox(init.apiKey, configNote));
      }

      let stopping = false;
      const shutdown = (signal: NodeJS.Signals) => {
        if (stopping) {
          note(`standin: ${signal} again, exiting now`);
          process.exit(EXIT.ERROR);
        }
        stopping = true;
        note(`standin: ${signal} received, shutting down`);
        setTimeout(() => {
          note('standin: shutdown took too long, exiting');
          process.exit(EXIT.ERROR);
        }, SHUTDOWN_TIMEOUT_MS).unref();
        running.stop().then(
          () => {
            running.core.log.flush?.();
            process.exit(EXIT.OK);
          },
          (e: unknown) => {
            note(`standin: error during shutdown: ${(e as Error).message}`);
            process.exit(EXIT.ERROR);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
      // Announced only once the handlers are in place: whoever waits for this line may signal.
      note(`standin: listening: API ${running.apiUrl}${opts.proxy !== false ? `, proxy ${running.proxyUrl}` : ' (proxy off)'}, database ${describeDatabase(config.databaseUrl)}`);
      // Resolving here leaves the servers running; the signal handlers end the process.
    });
}
