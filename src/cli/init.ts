/**
 * `standin init`: bootstraps an empty store directly (no server needed): tenant, admin user and
 * an admin API key, printed once, and a CLI config file so later commands find the server.
 */
import type { Command } from 'commander';
import { writeConfigFile } from './config-file.js';
import { context } from './context.js';
import { CliError, EXIT } from './exit.js';
import { LOCAL_LOG_DEFAULT, addStoreOptions, configFromOptions, describeDatabase, localApiUrl, openLocal } from './local.js';
import { box, note, out, printJson } from './output.js';

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('create the tenant, an admin user and the first admin API key (printed once); write the CLI config file');
  addStoreOptions(cmd);
  cmd
    .option('--host <host>', 'API host the CLI config file points at (default: STANDIN_HOST or 127.0.0.1)')
    .option('--port <port>', 'API port the CLI config file points at (default: STANDIN_PORT or 4780)')
    .option('--overwrite-config', 'replace an existing CLI config file')
    .option('--no-config-file', 'do not write the CLI config file')
    .addHelpText('after', '\nWith --json, prints {"apiKey": …, "tenantId": …} and nothing else on stdout.\nExit code 5 when the store is already initialised.')
    .action(async (opts: Record<string, unknown>, c: Command) => {
      const ctx = context(c);
      const config = configFromOptions(opts, LOCAL_LOG_DEFAULT);
      const core = await openLocal(config);
      let result;
      try {
        result = await core.services.tenancy.initialize();
      } finally {
        await core.close();
      }
      if (!result) {
        throw new CliError(
          EXIT.CONFLICT,
          `the store at ${describeDatabase(config.databaseUrl)} is already initialised`,
          'use its existing admin key, or create another with "standin keys create"',
          'already_initialized',
        );
      }

      let configNote = 'No CLI config file written (--no-config-file): set STANDIN_API_KEY.';
      if (opts.configFile !== false) {
        const url = localApiUrl(config.host, config.port);
        const w = await writeConfigFile({ url, apiKey: result.apiKey }, { overwrite: Boolean(opts.overwriteConfig) });
        configNote = w.written
          ? `The CLI config file ${w.path} (mode 0600) now points at ${url} with this key.`
          : `The CLI config file ${w.path} exists and was left unchanged (--overwrite-config replaces it).`;
      }

      if (ctx.json) {
        printJson({ apiKey: result.apiKey, tenantId: result.tenantId });
        return;
      }
      out(
        box([
          `standin initialised (tenant ${result.tenantId}).`,
          'The first admin API key, shown only this once:',
          '',
          `    ${result.apiKey}`,
          '',
          'Store it now, e.g. in a password manager: it cannot be shown again.',
        ]),
      );
      note(configNote);
    });
}
