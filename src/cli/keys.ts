/** `standin keys …`: create (the key is printed once), ls, revoke. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { API_SCOPES, type ApiScope } from '../core/types.js';
import type { ApiKeyInfo } from '../../sdk/index.js';
import { context } from './context.js';
import { usageError } from './exit.js';
import { fmtTime, note, out, printJson, table } from './output.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `2w`, `90m` from now, or an ISO-8601 time. Must lie in the future. */
export function parseExpiry(v: string, now = Date.now()): string {
  const rel = /^(\d{1,6})([mhdw])$/.exec(v.trim());
  const t = rel ? now + Number(rel[1]) * (UNIT_MS[rel[2]!] ?? 0) : Date.parse(v);
  if (Number.isNaN(t)) throw usageError(`--expires: "${v.slice(0, 64)}" is neither a duration (30d, 12h, 2w, 90m) nor an ISO-8601 time`);
  if (t <= now) throw usageError('--expires must lie in the future');
  return new Date(t).toISOString();
}

function scopeArg(v: string, prev: ApiScope[] = []): ApiScope[] {
  if (!(API_SCOPES as readonly string[]).includes(v)) throw new InvalidArgumentError(`allowed: ${API_SCOPES.join(', ')}`);
  return [...prev, v as ApiScope];
}

function status(k: ApiKeyInfo, now = Date.now()): string {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired';
  return 'active';
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage API keys');

  keys
    .command('create')
    .description('create an API key; the key is printed once (alone on stdout, notes on stderr)')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(new Option('--scope <scope>', `permission, repeatable (default: all of the user's): ${API_SCOPES.join(', ')}`).argParser(scopeArg))
    .option('--workspace <id>', 'limit the key to one workspace')
    .option('--user <id>', 'issue the key for another user (admin only)')
    .option('--expires <when>', 'expiry: a duration (30d, 12h, 2w) or an ISO-8601 time')
    .option('--test', 'a stn_test_ key instead of stn_live_')
    .action(async (o: { name: string; scope?: ApiScope[]; workspace?: string; user?: string; expires?: string; test?: boolean }, c: Command) => {
      const ctx = context(c);
      const expiresAt = o.expires ? parseExpiry(o.expires) : undefined;
      const k = await (await ctx.client()).apiKeys.create({
        name: o.name, scopes: o.scope, workspaceId: o.workspace, userId: o.user, expiresAt, kind: o.test ? 'test' : undefined,
      });
      if (ctx.json) return printJson(k);
      note(`Created API key ${k.id} "${k.name}" (scopes: ${k.scopes.join(', ')}${k.expiresAt ? `; expires ${fmtTime(k.expiresAt)}` : ''}).`);
      note('Store it now: it is shown only this once.');
      out(k.key);
    });

  keys
    .command('ls')
    .description('list API keys (prefixes only)')
    .option('--include-revoked', 'list revoked keys too')
    .action(async (o: { includeRevoked?: boolean }, c: Command) => {
      const ctx = context(c);
      const list = await (await ctx.client()).apiKeys.list({ includeRevoked: o.includeRevoked === true });
      if (ctx.json) return printJson(list);
      out(
        table(
          ['ID', 'NAME', 'PREFIX', 'STATUS', 'SCOPES', 'WORKSPACE', 'CREATED', 'LAST USED', 'EXPIRES'],
          list.map((k) => [k.id, k.name, k.prefix + '…', status(k), k.scopes.join(','), k.workspaceId, fmtTime(k.createdAt), fmtTime(k.lastUsedAt), fmtTime(k.expiresAt)]),
        ),
      );
    });

  keys
    .command('revoke')
    .description('revoke an API key: its next request fails with 401')
    .argument('<id>', 'key id (key_…)')
    .action(async (id: string, _o: unknown, c: Command) => {
      const ctx = context(c);
      await (await ctx.client()).apiKeys.revoke(id);
      if (ctx.json) return printJson({ revoked: true, id });
      out(`Revoked API key ${id}`);
    });
}
