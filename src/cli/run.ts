/**
 * `standin run [options] -- command args…`: runs a command with a sandbox's environment
 * (placeholders instead of secrets, proxy and CA variables), optionally in an isolated network
 * namespace whose only way out is standin (--isolate). See src/sandbox/run.ts.
 */
import type { Command } from 'commander';
import type { CreateSandboxInput, Standin } from '../../sdk/index.js';
import { StandinApiError } from '../../sdk/errors.js';
import { defaultExposeAs } from '../core/names.js';
import { parsePairs } from '../sandbox/env.js';
import { RunSetupError, runSandboxed } from '../sandbox/run.js';
import { forgetSandbox, loadSandbox, type SavedSandbox } from '../sandbox/saved.js';
import { collect, context } from './context.js';
import { CliError, EXIT, usageError } from './exit.js';
import { note } from './output.js';
import { sameServer } from './config-file.js';

/** The sandbox-defining flags shared by `run` and `env`. */
export interface SandboxFlags {
  sandbox?: string;
  secret?: string[];
  inject?: string[];
  env?: string[];
  allowHost?: string[];
  name?: string;
}

export function addSandboxFlags(cmd: Command): Command {
  return cmd
    .option('--sandbox <id>', 'use an existing sandbox whose environment this machine kept (from "standin env" or "standin run --keep")')
    .option('--secret <ENV=name>', 'bind secret <name> as a placeholder in $ENV (repeatable; a bare name uses its UPPER_SNAKE_CASE)', collect)
    .option('--inject <name|ENV=name>', 'put the real value of a secret into the environment (explicit opt-in; repeatable)', collect)
    .option('--env <K=V>', 'a plain, non-secret variable (repeatable)', collect)
    .option('--allow-host <host>', 'egress policy: hosts the sandbox may reach, host[:port] or *.domain; without a port, 443 and 80 (repeatable; default any public host)', collect)
    .option('--name <name>', 'a name for the sandbox (shown in listings)');
}

function pairs(items: string[] | undefined, what: string): Array<[string, string]> {
  try {
    return parsePairs(items ?? [], what);
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

/** The create request from the flags. */
export function createInput(f: SandboxFlags): CreateSandboxInput {
  const secrets: Record<string, string> = {};
  for (const item of f.secret ?? []) {
    const eq = item.indexOf('=');
    const [envName, secretName] = eq > 0 ? [item.slice(0, eq), item.slice(eq + 1)] : [defaultExposeAs(item), item];
    if (!secretName) throw usageError('--secret expects ENV=secret-name or secret-name');
    if (secrets[envName] !== undefined) throw usageError(`--secret binds ${envName} twice`);
    secrets[envName] = secretName;
  }
  const input: CreateSandboxInput = { secrets, inject: f.inject ?? [], env: Object.fromEntries(pairs(f.env, '--env')) };
  if (f.allowHost?.length) input.egress = { allowHosts: f.allowHost };
  if (f.name) input.name = f.name;
  return input;
}

/** A kept sandbox for --sandbox: from this machine's store, checked against the server. */
export async function savedSandbox(client: Standin, apiUrl: string, id: string): Promise<SavedSandbox> {
  const saved = loadSandbox(id);
  if (!saved) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `this machine has no environment for sandbox ${id}`,
      'placeholders and the proxy credential are shown only when a sandbox is created: create it with "standin env --secret …" or "standin run --keep …" on this machine, or run without --sandbox to get a fresh ephemeral one',
    );
  }
  if (!sameServer(saved.apiUrl, apiUrl)) throw usageError(`sandbox ${id} was created on ${saved.apiUrl}, not ${apiUrl}`);
  try {
    await client.sandboxes.get(id);
  } catch (e) {
    if (e instanceof StandinApiError && e.status === 404) {
      forgetSandbox(id);
      throw new CliError(EXIT.NOT_FOUND, `sandbox ${id} no longer exists on the server (its kept environment was removed)`);
    }
    throw e;
  }
  return saved;
}

export function registerRun(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a command with a sandbox environment: placeholders instead of secrets, all traffic through the egress proxy')
    .argument('<command...>', 'the command and its arguments (after --)');
  addSandboxFlags(cmd)
    .option('--isolate', 'run the command in its own network namespace whose only way out is standin (Linux, root)')
    .option('--keep', 'keep the sandbox after the command ends (default: an ephemeral sandbox, deleted at the end)')
    .addHelpText(
      'after',
      `
The command's exit code is returned (128 + n when signal n ended it). SIGINT, SIGTERM and SIGHUP are
forwarded to it. An ephemeral sandbox is deleted when the command ends, also on Ctrl-C or a crash.

Examples:
  standin run --secret OPENAI_API_KEY=openai -- python agent.py
  standin run --secret GH_TOKEN=github --allow-host api.github.com -- ./script.sh
  sudo -E standin run --isolate --secret OPENAI_API_KEY=openai -- node agent.mjs`,
    )
    .action(async (command: string[], opts: SandboxFlags & { isolate?: boolean; keep?: boolean }, c: Command) => {
      const ctx = context(c);
      const [file, ...args] = command;
      if (!file) throw usageError('no command given: standin run [options] -- command args…');
      if (opts.sandbox && (opts.secret?.length || opts.inject?.length || opts.allowHost?.length || opts.name || opts.keep)) {
        throw usageError('--sandbox uses an existing sandbox as it is: --secret, --inject, --allow-host, --name and --keep do not apply (--env adds plain variables)');
      }
      const target = await ctx.target();
      const client = await ctx.client();
      const sandbox = opts.sandbox ? { saved: await savedSandbox(client, target.url, opts.sandbox) } : { create: createInput(opts) };
      let code: number;
      try {
        code = await runSandboxed({
          api: client.sandboxes,
          apiUrl: target.url,
          sandbox,
          keep: Boolean(opts.keep),
          isolate: Boolean(opts.isolate),
          command: file,
          args,
          extraEnv: opts.sandbox ? Object.fromEntries(pairs(opts.env, '--env')) : {},
          note,
        });
      } catch (e) {
        if (e instanceof RunSetupError) throw new CliError(EXIT.ERROR, e.message);
        throw e;
      }
      process.exitCode = code;
    });
}
