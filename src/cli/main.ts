/**
 * The `standin` command line. One file per command group; each exports `registerX(program)`.
 * Commands that talk to a running server use the SDK (see context.ts); `serve`, `init`,
 * `keyring rotate` and `ca export` work on the data dir / database directly.
 *
 * Where the CLI finds the server and key: --url / STANDIN_URL, and STANDIN_API_KEY, else the CLI
 * config file written by `standin init` or the first `standin serve` (config-file.ts). The API
 * key is deliberately not a flag: argv is visible to every user of the machine (ps, /proc).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { EXIT, EXIT_CODES_HELP, toReport } from './exit.js';
import { registerAudit } from './audit.js';
import { registerCa } from './ca.js';
import { registerInit } from './init.js';
import { registerKeyring } from './keyring.js';
import { registerKeys } from './keys.js';
import { registerSecrets } from './secrets.js';
import { registerServe } from './serve.js';
import { registerRun } from './run.js';
import { registerEnv } from './env.js';
import { registerDoctor } from './doctor.js';

/**
 * Command groups in the order `standin --help` lists them. New groups (`standin run`,
 * `standin env`, `standin doctor` of issue 4) add their `registerX` here. `run` should take the
 * command after `--` (`standin run --secret K=v -- cmd args`): everything after `--` reaches it
 * as operands, so it needs no passThroughOptions (which would stop --json / --url from being
 * accepted after a subcommand everywhere else).
 */
const COMMAND_GROUPS: Array<(program: Command) => void> = [
  registerServe,
  registerInit,
  registerSecrets,
  registerKeys,
  registerAudit,
  registerKeyring,
  registerCa,
  registerRun,
  registerEnv,
  registerDoctor,
];

const ENV_HELP = `Environment:
  STANDIN_URL        API URL (default: the CLI config file's url, else http://127.0.0.1:4780)
  STANDIN_API_KEY    API key (default: the CLI config file's apiKey; never accepted as a flag)
  STANDIN_CONFIG     CLI config file (default: $XDG_CONFIG_HOME/standin/config.json or
                     ~/.config/standin/config.json; written by init and the first serve, mode 0600)
  STANDIN_MASTER_KEY / STANDIN_MASTER_KEY_FILE   root keys (serve, init, keyring, ca)
  Server settings (STANDIN_HOST, STANDIN_PORT, …): see "standin serve --help".`;

function version(): string {
  // src/cli/main.ts and dist/src/cli/main.js sit at different depths below package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'standin' && pkg.version) return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

/**
 * Commander repeats an unknown option as typed; `--value=sk-…` would put a value on stderr.
 * Anything after `=` in a quoted option is masked.
 */
export function maskOptionValues(text: string): string {
  return text.replace(/'(--?[A-Za-z0-9][\w-]*)=[^']*'/g, "'$1=…'");
}

export function buildProgram(): Command {
  const program = new Command('standin')
    .description('standin: a secrets broker for sandboxes. Sandboxes see placeholders; the egress proxy swaps in the real value.')
    .version(version(), '-V, --version')
    .option('--json', 'machine-readable output on stdout (errors as JSON on stderr)')
    .option('--url <url>', 'API URL (overrides STANDIN_URL and the config file)')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (str, write) => write(maskOptionValues(str)) })
    .addHelpText('after', `\n${ENV_HELP}\n\n${EXIT_CODES_HELP}`);
  for (const register of COMMAND_GROUPS) register(program);
  const override = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ outputError: (str, write) => write(maskOptionValues(str)) });
    c.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI; resolves with the exit code (also set on process.exitCode). */
export async function runCli(argv: string[] = process.argv): Promise<number> {
  const dashDash = argv.indexOf('--');
  const json = (dashDash < 0 ? argv : argv.slice(0, dashDash)).includes('--json');
  try {
    await buildProgram().parseAsync(argv);
    return (process.exitCode as number | undefined) ?? EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message (help, version or the usage error) already.
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0);
      process.exitCode = ok ? EXIT.OK : EXIT.USAGE;
      return process.exitCode;
    }
    const r = toReport(e);
    if (json) process.stderr.write(JSON.stringify({ error: r.json }) + '\n');
    else process.stderr.write(`standin: error: ${r.message}\n${r.hint ? `hint: ${r.hint}\n` : ''}`);
    process.exitCode = r.exitCode;
    return r.exitCode;
  }
}

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (!entry) return false;
  // bin/standin.js imports this module; so does running the file itself through tsx.
  return /(^|[\\/])(standin(\.js)?|main\.(ts|js))$/.test(entry);
})();

if (invokedDirectly) {
  // `standin … | head` closes the pipe early; that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const code = await runCli();
  // serve keeps running (its signal handlers exit); every other command ends here. Commands
  // that failed may leave handles open (a server that started halfway): exit explicitly then.
  if (code !== EXIT.OK) process.exit(code);
}
