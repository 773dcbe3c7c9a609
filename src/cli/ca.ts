/** `standin ca export`: the proxy's CA certificate (PEM), read from the local store. */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { context } from './context.js';
import { CliError, EXIT } from './exit.js';
import { LOCAL_LOG_DEFAULT, addStoreOptions, configFromOptions, openLocal } from './local.js';
import { note, printJson } from './output.js';

export function registerCa(program: Command): void {
  const ca = program.command('ca').description("the egress proxy's certificate authority");
  const exp = ca
    .command('export')
    .description('print the CA certificate (PEM) that sandboxes must trust; reads the data dir directly')
    .option('-o, --out <file>', 'write the PEM to this file instead of stdout');
  addStoreOptions(exp);
  exp.action(async (opts: Record<string, unknown>, c: Command) => {
    const ctx = context(c);
    const config = configFromOptions(opts, LOCAL_LOG_DEFAULT);
    const core = await openLocal(config, { mustExist: true });
    let pem: string;
    try {
      pem = core.ca.certPem;
    } finally {
      await core.close();
    }
    if (typeof opts.out === 'string') {
      try {
        await writeFile(opts.out, pem.endsWith('\n') ? pem : pem + '\n', { mode: 0o644 });
      } catch (e) {
        throw new CliError(EXIT.ERROR, `cannot write ${opts.out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (ctx.json) return printJson({ file: opts.out });
      return note(`CA certificate written to ${opts.out}`);
    }
    if (ctx.json) return printJson({ certPem: pem });
    process.stdout.write(pem.endsWith('\n') ? pem : pem + '\n');
  });
}
