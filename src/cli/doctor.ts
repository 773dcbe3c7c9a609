/**
 * `standin doctor [--fix]`: checks what `standin run` depends on and finds what crashed runs
 * left behind — network namespaces, veth pairs and nftables tables named standin_<run id> /
 * stdnh|stdnn<run id>, run records, subnet locks, and ephemeral sandboxes on the server. A
 * leftover whose owning process (recorded with its start time) is gone is stale; `--fix`
 * removes the stale ones and never touches those of a live run.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { StandinApiError } from '../../sdk/errors.js';
import { findLeftovers, removeStale, type Leftover } from '../sandbox/isolate/namespace.js';
import { preflight, which } from '../sandbox/isolate/system.js';
import { deleteStaleSandbox } from '../sandbox/run.js';
import { readRecords, stateDir } from '../sandbox/state.js';
import { nodePreloadPath } from '../sandbox/trust.js';
import { context } from './context.js';
import { note, out, printJson, table } from './output.js';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check what "standin run" needs, and list (--fix: remove) leftovers of crashed runs')
    .option('--fix', 'remove stale leftovers (never those of a run that is still going)')
    .action(async (opts: { fix?: boolean }, c: Command) => {
      const ctx = context(c);
      const checks: Check[] = [];

      // The server and the key.
      let api: Awaited<ReturnType<typeof ctx.client>> | null = null;
      let apiUrl: string | null = null;
      try {
        const t = await ctx.target();
        apiUrl = t.url;
        api = await ctx.client();
        await api.health();
        await api.sandboxes.list({ limit: 1 });
        checks.push({ name: 'server', status: 'ok', detail: `${t.url} answers and the API key may list sandboxes` });
      } catch (e) {
        const msg = e instanceof StandinApiError ? `${e.message} (HTTP ${e.status})` : (e as Error).message;
        checks.push({ name: 'server', status: 'fail', detail: `${apiUrl ?? 'the API'}: ${msg}` });
        if (!(e instanceof StandinApiError)) api = null;
      }

      checks.push(nodePreloadPath()
        ? { name: 'node preload', status: 'ok', detail: 'fetch() in Node 20–22 will use the proxy' }
        : { name: 'node preload', status: 'warn', detail: 'node-preload.cjs not found: fetch() in Node 20–22 ignores the proxy variables' });

      // What --isolate needs.
      try {
        await preflight();
        checks.push({ name: 'isolate', status: 'ok', detail: 'root, ip, nft and setpriv present; network namespaces usable' });
        checks.push(existsSync('/proc/net/nf_conntrack')
          ? { name: 'conntrack', status: 'ok', detail: 'original destination ports are known to the transparent listener' }
          : { name: 'conntrack', status: 'warn', detail: '/proc/net/nf_conntrack is missing: clients that ignore the proxy variables reach only port 443 (TLS) or the Host port (HTTP)' });
      } catch (e) {
        checks.push({ name: 'isolate', status: 'warn', detail: (e as Error).message.replace(/\nNothing was run\.$/, '') });
      }

      // Leftovers.
      const tools = { ip: which('ip') ?? undefined, nft: which('nft') ?? undefined, setpriv: which('setpriv') ?? undefined };
      const root = process.getuid?.() === 0;
      const listTools = root ? tools : { ip: tools.ip };
      let leftovers: Leftover[] = await findLeftovers(listTools);
      let fixed: { removed: string[]; problems: string[] } | null = null;
      if (opts.fix && leftovers.some((l) => l.stale)) {
        const del = api && apiUrl ? async (r: Parameters<typeof deleteStaleSandbox>[1]) => deleteStaleSandbox({ api: api!.sandboxes, apiUrl: apiUrl! }, r) : null;
        fixed = await removeStale(root ? tools : {}, del);
        leftovers = await findLeftovers(listTools);
      }
      const stale = leftovers.filter((l) => l.stale);
      const staleSandboxes = readRecords().filter((r) => r.sandboxId && stale.some((l) => l.runId === r.runId));
      if (leftovers.length === 0) checks.push({ name: 'leftovers', status: 'ok', detail: `none (state: ${stateDir()})` });
      else if (stale.length === 0) checks.push({ name: 'leftovers', status: 'ok', detail: `${leftovers.length} object(s) of running "standin run" processes` });
      else checks.push({ name: 'leftovers', status: 'fail', detail: `${stale.length} stale object(s)${staleSandboxes.length ? ` and ${staleSandboxes.length} ephemeral sandbox(es)` : ''} of crashed runs${opts.fix ? ' could not be removed' : ': run "standin doctor --fix"'}${root || !leftovers.some((l) => l.kind !== 'run record') ? '' : ' (as root)'}` });

      const failed = checks.some((ch) => ch.status === 'fail');
      if (ctx.json) {
        printJson({ ok: !failed, checks, leftovers, fixed });
      } else {
        out(table(['CHECK', 'STATUS', 'DETAIL'], checks.map((ch) => [ch.name, ch.status, ch.detail])));
        if (leftovers.length) {
          out('\n' + table(['KIND', 'NAME', 'RUN', 'OWNER PID', 'STATE'], leftovers.map((l) => [l.kind, l.name, l.runId, l.pid ?? '-', l.stale ? 'stale' : 'live'])));
        }
        if (fixed) {
          for (const r of fixed.removed) note(`removed ${r}`);
          for (const p of fixed.problems) note(`problem: ${p}`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
