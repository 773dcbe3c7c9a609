/**
 * `standin env`: the environment of a sandbox for another runtime (a container, a microVM, a
 * hosted sandbox), as dotenv (docker --env-file), JSON or shell.
 *
 * Placeholders and the proxy credential exist in clear only in the create response, so:
 *   - with sandbox flags (--secret …), it creates a new, persistent sandbox and prints its
 *     environment, keeping a copy for this user on this machine (src/sandbox/saved.ts);
 *   - with --sandbox ID, it prints that kept copy again (after checking the sandbox still exists).
 * Delete a sandbox you no longer use with the API / dashboard; its placeholders then stop working.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { assembleEnv, rewriteProxyUrl } from '../sandbox/env.js';
import { saveSandbox, toSaved, type SavedSandbox } from '../sandbox/saved.js';
import { systemRoots } from '../sandbox/trust.js';
import { context } from './context.js';
import { CliError, EXIT, usageError } from './exit.js';
import { note } from './output.js';
import { addSandboxFlags, createInput, savedSandbox, type SandboxFlags } from './run.js';

export type EnvFormat = 'dotenv' | 'json' | 'shell';

const shellQuote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/**
 * Formats an environment. dotenv is Docker's --env-file format: `KEY=value`, the value taken
 * literally (no quotes, no escapes), so a value with a line break cannot be written in it.
 */
export function formatEnv(env: Record<string, string>, format: EnvFormat, header: string[] = []): string {
  const keys = Object.keys(env).sort();
  if (format === 'json') return JSON.stringify(Object.fromEntries(keys.map((k) => [k, env[k]])), null, 2) + '\n';
  if (format === 'shell') return [...header.map((h) => `# ${h}`), ...keys.map((k) => `export ${k}=${shellQuote(env[k]!)}`)].join('\n') + '\n';
  const bad = keys.filter((k) => /[\r\n]/.test(env[k]!));
  if (bad.length) throw usageError(`${bad.join(', ')} contain line breaks, which --env-file cannot carry; use --format json or shell`);
  return [...header.map((h) => `# ${h}`), ...keys.map((k) => `${k}=${env[k]}`)].join('\n') + '\n';
}

/** Writes ca.pem (standin's CA) and ca-bundle.pem (this machine's roots + standin's CA), world-readable: certificates are public. */
function writeCaDir(dir: string, caPem: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const nl = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  writeFileSync(join(dir, 'ca.pem'), nl(caPem), { mode: 0o644 });
  writeFileSync(join(dir, 'ca-bundle.pem'), nl(systemRoots().pem) + `# standin egress proxy CA\n${nl(caPem)}`, { mode: 0o644 });
  chmodSync(join(dir, 'ca.pem'), 0o644);
  chmodSync(join(dir, 'ca-bundle.pem'), 0o644);
}

export function registerEnv(program: Command): void {
  const cmd = program
    .command('env')
    .description("print a sandbox's environment (placeholders, proxy and CA variables) for containers and other sandbox runtimes");
  addSandboxFlags(cmd)
    .addOption(new Option('--format <format>', 'output format').choices(['dotenv', 'json', 'shell']).default('dotenv'))
    .option('--proxy-host <host>', 'the proxy host as the sandbox reaches it, e.g. host.docker.internal (default: as the server reports it)')
    .option('--ca-dir <dir>', "write ca.pem and ca-bundle.pem here and add the CA variables (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, …)")
    .option('--ca-path <dir>', 'where --ca-dir is mounted inside the sandbox (default: the same path)')
    .addHelpText(
      'after',
      `
Without --sandbox, a new persistent sandbox is created from the flags and its environment printed;
this machine keeps a copy (0600) so that "standin env --sandbox ID" and "standin run --sandbox ID"
can use it again. The output holds the sandbox's proxy credential: treat it like a password.

Example (Docker):
  standin env --secret OPENAI_API_KEY=openai --proxy-host host.docker.internal \\
      --ca-dir ./standin-ca --ca-path /etc/standin > sandbox.env
  docker run --env-file sandbox.env -v "$PWD/standin-ca:/etc/standin:ro" \\
      --add-host host.docker.internal:host-gateway my-agent-image`,
    )
    .action(async (opts: SandboxFlags & { format: EnvFormat; proxyHost?: string; caDir?: string; caPath?: string }, c: Command) => {
      const ctx = context(c);
      if (opts.sandbox && (opts.secret?.length || opts.inject?.length || opts.allowHost?.length || opts.name || opts.env?.length)) {
        throw usageError('--sandbox prints a kept sandbox as it is; the sandbox flags (--secret, --inject, --env, --allow-host, --name) create a new one');
      }
      if (opts.caPath && !opts.caDir) throw usageError('--ca-path needs --ca-dir');
      const target = await ctx.target();
      const client = await ctx.client();
      let saved: SavedSandbox;
      let injected: Record<string, string> = {};
      if (opts.sandbox) {
        saved = await savedSandbox(client, target.url, opts.sandbox);
        if (saved.injectedOmitted.length) note(`note: injected values are not kept: ${saved.injectedOmitted.join(', ')} missing`);
      } else {
        const input = createInput(opts);
        if (!Object.keys(input.secrets ?? {}).length && !input.inject?.length && !Object.keys(input.env ?? {}).length) {
          throw usageError('nothing to create: give --secret, --inject or --env (or --sandbox ID to print a kept one)');
        }
        const created = await client.sandboxes.create({ ...input, ephemeral: false });
        saved = toSaved(target.url, created);
        saveSandbox(saved);
        injected = Object.fromEntries(saved.injectedOmitted.map((k) => [k, created.env[k]!]));
        note(`created sandbox ${created.id}; this machine keeps its environment ("standin env --sandbox ${created.id}" prints it again)`);
      }
      let trust = null;
      if (opts.caDir) {
        const dir = resolve(opts.caDir);
        try {
          writeCaDir(dir, saved.caCertPem);
        } catch (e) {
          throw new CliError(EXIT.ERROR, `cannot write the CA files to ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        const inside = opts.caPath ?? dir;
        trust = { caFile: `${inside.replace(/\/+$/, '')}/ca.pem`, bundleFile: `${inside.replace(/\/+$/, '')}/ca-bundle.pem` };
      } else if (!ctx.json) {
        note('note: no CA variables (give --ca-dir): the sandbox must trust standin\'s CA ("standin ca export") to use HTTPS through the proxy');
      }
      const proxyUrl = opts.proxyHost ? rewriteProxyUrl(saved.proxyUrl, opts.proxyHost) : saved.proxyUrl;
      const env = assembleEnv({ base: null, sandboxEnv: { ...saved.env, ...injected }, proxyUrl, sandboxId: saved.id, trust, nodePreload: null });
      // No preload path here (it is a file on this machine); Node ≥ 24 reads the proxy variables with this.
      env.NODE_USE_ENV_PROXY = '1';
      process.stdout.write(formatEnv(env, ctx.json ? 'json' : opts.format, [`standin sandbox ${saved.id}: placeholders and the proxy credential; keep this file private`]));
    });
}
