/** `standin audit …`: ls (filters, newest first) and verify (exit 0 intact, 1 broken). */
import type { Command } from 'commander';
import type { AuditEntry } from '../../sdk/index.js';
import { context } from './context.js';
import { EXIT, usageError } from './exit.js';
import { fmtTime, note, out, plural, printJson, table } from './output.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since 1h` (that long ago) or an ISO-8601 time. */
export function parseSince(flag: string, v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined) return undefined;
  const rel = /^(\d{1,6})([mhdw])$/.exec(v.trim());
  const t = rel ? now - Number(rel[1]) * (UNIT_MS[rel[2]!] ?? 0) : Date.parse(v);
  if (Number.isNaN(t)) throw usageError(`${flag}: "${v.slice(0, 64)}" is neither a duration (90m, 12h, 7d, 2w) nor an ISO-8601 time`);
  return new Date(t).toISOString();
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and verify the audit log');

  audit
    .command('ls')
    .description('list audit events, newest first')
    .option('--api-key <id>', 'only events of this API key id')
    .option('--workspace <id>', 'only events of this workspace')
    .option('--action <action>', 'exact action, or a prefix ending in * (secrets.*)')
    .option('--target <id>', 'only events on this target')
    .option('--since <when>', 'from this time (ISO-8601) or this long ago (1h, 7d)')
    .option('--until <when>', 'up to this time (ISO-8601) or this long ago')
    .option('--limit <n>', 'at most this many events (default 50)', '50')
    .option('--all', 'every matching event (ignores --limit)')
    .action(async (o: Record<string, string | boolean | undefined>, c: Command) => {
      const ctx = context(c);
      const limit = o.all ? Infinity : Number(o.limit);
      if (!o.all && (!Number.isInteger(limit) || limit < 1)) throw usageError('--limit must be a positive integer');
      const client = await ctx.client();
      const rows: AuditEntry[] = [];
      for await (const e of client.audit.list({
        apiKeyId: o.apiKey as string | undefined, workspaceId: o.workspace as string | undefined, action: o.action as string | undefined,
        target: o.target as string | undefined, since: parseSince('--since', o.since as string | undefined),
        until: parseSince('--until', o.until as string | undefined), limit: Number.isFinite(limit) ? Math.min(limit, 500) : 500,
      })) {
        rows.push(e);
        if (rows.length >= limit) break;
      }
      if (ctx.json) return printJson(rows);
      if (rows.length === 0) return note('no audit events');
      out(table(['SEQ', 'TIME', 'ACTION', 'OUTCOME', 'TARGET', 'ACTOR', 'API KEY'], rows.map((e) => [e.seq, fmtTime(e.at), e.action, e.outcome, e.target, e.actor, e.apiKeyId])));
    });

  audit
    .command('verify')
    .description("verify the tenant's audit hash chain (exit 0 intact, 1 broken)")
    .action(async (_o: unknown, c: Command) => {
      const ctx = context(c);
      const r = await (await ctx.client()).audit.verify();
      if (!r.ok) process.exitCode = EXIT.ERROR;
      if (ctx.json) return printJson(r);
      if (r.ok) out(`audit chain intact: ${plural(r.rows, 'row')} verified`);
      else out(`audit chain BROKEN at row ${r.brokenAt?.seq}${r.brokenAt?.id ? ` (${r.brokenAt.id})` : ''}: ${r.brokenAt?.reason}`);
    });
}
