/**
 * `standin secrets …`: add, ls, show, update, rotate, rm, versions, explain, import.
 * Values are read from a hidden prompt or stdin, never from argv, and never printed.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { SCOPES, SECRET_TYPES, type Scope } from '../core/types.js';
import { StandinApiError, type Secret, type Standin } from '../../sdk/index.js';
import { parseDotenv } from './dotenv.js';
import { collect, context, refuseExtraArgs } from './context.js';
import { CliError, EXIT, usageError } from './exit.js';
import { fmtTime, keyValues, note, out, plural, printJson, table } from './output.js';
import { confirm, readStdin, readValue, stdinIsTty } from './prompt.js';

interface ScopeOpts {
  scope?: Scope;
  scopeId?: string;
}

const scopeOption = () => new Option('--scope <scope>', 'scope of the secret').choices(SCOPES);
const scopeIdOption = () => new Option('--scope-id <id>', 'id inside the scope (workspace, user, external id, session or sandbox id)');

function at(o: ScopeOpts): ScopeOpts | undefined {
  if (o.scopeId && !o.scope) throw usageError('--scope-id needs --scope');
  return o.scope ? { scope: o.scope, scopeId: o.scopeId } : undefined;
}

const where = (s: Pick<Secret, 'scope' | 'scopeRef'>) => (s.scope === 'tenant' || !s.scopeRef ? s.scope : `${s.scope}:${s.scopeRef}`);
const preview = (p: string | null) => (p ? `…${p}` : '-');

function showSecret(s: Secret): string {
  return keyValues([
    ['id', s.id],
    ['name', s.name],
    ['type', s.type],
    ['provider', s.provider],
    ['scope', where(s)],
    ['hosts', s.hosts.join(', ')],
    ['expose as', s.exposeAs],
    ['description', s.description],
    ['version', s.version],
    ['preview', preview(s.preview)],
    ['allow insecure http', s.allowInsecureHttp ? 'yes' : 'no'],
    ['body placeholders', s.bodyPlaceholders ? 'yes' : 'no'],
    ['auto bind', s.autoBind ? 'yes' : 'no'],
    ['created', fmtTime(s.createdAt)],
    ['updated', fmtTime(s.updatedAt)],
    ['last used', fmtTime(s.lastUsedAt)],
  ]);
}

function secretsTable(list: Secret[]): string {
  return table(
    ['NAME', 'SCOPE', 'TYPE', 'PROVIDER', 'HOSTS', 'VERSION', 'UPDATED', 'LAST USED'],
    list.map((s) => [s.name, where(s), s.type, s.provider, s.hosts.join(','), s.version, fmtTime(s.updatedAt), fmtTime(s.lastUsedAt)]),
  );
}

/** Parses `KEY=provider` pairs of --provider-map. */
function providerMap(pairs: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0 || eq === p.length - 1) throw usageError(`--provider-map expects KEY=provider, got "${p.slice(0, 64)}"`);
    m.set(p.slice(0, eq), p.slice(eq + 1));
  }
  return m;
}

export function registerSecrets(program: Command): void {
  const secrets = program.command('secrets').description('manage secrets (values are write-only)');

  secrets
    .command('add')
    .description('create a secret; the value is read from a hidden prompt, or from stdin when piped')
    .argument('<name>', 'secret name (letters, digits, ".", "_", "-")')
    .option('--provider <id>', 'provider from the catalog (fills in hosts), e.g. openai, github')
    .option('--host <host>', 'host the value may be sent to: host, host:port or *.domain (repeatable)', collect)
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .addOption(new Option('--type <type>', 'credential type').choices(SECRET_TYPES))
    .option('--username <user>', 'user name for --type basic')
    .option('--expose-as <ENV>', 'environment variable name in sandboxes (default: the name in UPPER_SNAKE_CASE)')
    .option('--description <text>', 'a note for people (not secret)')
    .option('--allow-insecure-http', 'also send the value over plain http:// (off by default)')
    .option('--body-placeholders', 'also replace the placeholder in request bodies')
    .option('--rotate-if-exists', 'when the name exists at this scope, store the value as its next version')
    .allowExcessArguments(true)
    .addHelpText('after', '\nExamples:\n  standin secrets add openai --provider openai            # prompts for the value\n  printf %s "$TOKEN" | standin secrets add gh --provider github')
    .action(async (name: string, o: Record<string, any>, c: Command) => {
      refuseExtraArgs(c, 1);
      const ctx = context(c);
      at(o);
      if (o.username && o.type !== 'basic') throw usageError('--username needs --type basic');
      const client = await ctx.client();
      const value = await readValue(`value for ${name}`);
      const s = await client.secrets.create({
        name, value, provider: o.provider, hosts: o.host, scope: o.scope, scopeId: o.scopeId, type: o.type, username: o.username,
        exposeAs: o.exposeAs, description: o.description, allowInsecureHttp: o.allowInsecureHttp, bodyPlaceholders: o.bodyPlaceholders,
        ifExists: o.rotateIfExists ? 'rotate' : undefined,
      });
      if (ctx.json) return printJson(s);
      out(`${s.version > 1 ? 'Rotated' : 'Created'} secret ${s.name} (${where(s)}), version ${s.version}, exposed as ${s.exposeAs}`);
      if (s.hosts.length === 0) note('note: this secret has no hosts yet, so it is never sent anywhere; add some with "standin secrets update --host"');
    });

  secrets
    .command('ls')
    .description('list secrets (metadata only)')
    .option('--prefix <prefix>', 'names starting with this')
    .addOption(scopeOption())
    .option('--provider <id>', 'only this provider')
    .action(async (o: { prefix?: string; scope?: Scope; provider?: string }, c: Command) => {
      const ctx = context(c);
      const client = await ctx.client();
      const list = await client.secrets.list({ prefix: o.prefix, scope: o.scope, provider: o.provider, limit: 200 }).all();
      if (ctx.json) return printJson(list);
      if (list.length === 0) return note('no secrets');
      out(secretsTable(list));
    });

  secrets
    .command('show')
    .description('show one secret (metadata only)')
    .argument('<name-or-id>')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .action(async (id: string, o: ScopeOpts, c: Command) => {
      const ctx = context(c);
      const s = await (await ctx.client()).secrets.get(id, at(o));
      if (ctx.json) return printJson(s);
      out(showSecret(s));
    });

  secrets
    .command('update')
    .description('change hosts, description, env name or flags (not the value: use rotate)')
    .argument('<name-or-id>')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .option('--host <host>', 'replace the hosts with these (repeatable)', collect)
    .option('--clear-hosts', 'remove every host')
    .option('--description <text>', 'new description ("" clears it)')
    .option('--expose-as <ENV>', 'new environment variable name')
    .option('--allow-insecure-http <bool>', 'true or false')
    .option('--body-placeholders <bool>', 'true or false')
    .option('--auto-bind <bool>', 'true or false')
    .action(async (id: string, o: Record<string, any>, c: Command) => {
      const ctx = context(c);
      const bool = (v: unknown, flag: string) => {
        if (v === undefined) return undefined;
        if (v === 'true' || v === 'false') return v === 'true';
        throw usageError(`${flag} expects true or false`);
      };
      const patch = {
        hosts: o.clearHosts ? [] : o.host,
        description: o.description === undefined ? undefined : o.description === '' ? null : o.description,
        exposeAs: o.exposeAs,
        allowInsecureHttp: bool(o.allowInsecureHttp, '--allow-insecure-http'),
        bodyPlaceholders: bool(o.bodyPlaceholders, '--body-placeholders'),
        autoBind: bool(o.autoBind, '--auto-bind'),
      };
      if (Object.values(patch).every((v) => v === undefined)) throw usageError('nothing to update: give at least one option');
      const s = await (await ctx.client()).secrets.update(id, patch, at(o));
      if (ctx.json) return printJson(s);
      out(`Updated secret ${s.name} (${where(s)})`);
    });

  secrets
    .command('rotate')
    .description('store a new value as the next version (hidden prompt, or stdin when piped)')
    .argument('<name-or-id>')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .option('--username <user>', 'new user name (type basic)')
    .allowExcessArguments(true)
    .action(async (id: string, o: ScopeOpts & { username?: string }, c: Command) => {
      refuseExtraArgs(c, 1);
      const ctx = context(c);
      const client = await ctx.client();
      const scope = at(o);
      const value = await readValue(`new value for ${id}`);
      const s = await client.secrets.rotate(id, { value, username: o.username }, scope);
      if (ctx.json) return printJson(s);
      out(`Rotated secret ${s.name} (${where(s)}) to version ${s.version}`);
    });

  secrets
    .command('rm')
    .description('delete a secret and all its versions')
    .argument('<name-or-id>')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, o: ScopeOpts & { yes?: boolean }, c: Command) => {
      const ctx = context(c);
      const client = await ctx.client();
      const s = await client.secrets.get(id, at(o));
      if (!o.yes) {
        if (!stdinIsTty()) throw usageError('refusing to delete without confirmation: pass --yes');
        if (!(await confirm(`Delete secret ${s.name} (${where(s)}) and all ${plural(s.version, 'version')}?`))) throw new CliError(EXIT.ERROR, 'not deleted');
      }
      await client.secrets.delete(s.id);
      if (ctx.json) return printJson({ deleted: true, id: s.id, name: s.name, scope: s.scope, scopeRef: s.scopeRef });
      out(`Deleted secret ${s.name} (${where(s)})`);
    });

  secrets
    .command('versions')
    .description('list the versions of a secret (metadata only)')
    .argument('<name-or-id>')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .action(async (id: string, o: ScopeOpts, c: Command) => {
      const ctx = context(c);
      const versions = await (await ctx.client()).secrets.versions(id, at(o));
      if (ctx.json) return printJson(versions);
      out(table(['VERSION', 'PREVIEW', 'CREATED', 'CREATED BY'], versions.map((v) => [v.version, preview(v.preview), fmtTime(v.createdAt), v.createdBy])));
    });

  secrets
    .command('explain')
    .description('show which secret a name resolves to for given coordinates, level by level (exit 4 when none)')
    .argument('<name>')
    .option('--workspace <id>', 'workspace id')
    .option('--user <id>', 'user id')
    .option('--external-workspace <id>', 'external workspace id')
    .option('--external-user <id>', 'external user id')
    .option('--session <id>', 'session id')
    .option('--sandbox <id>', 'sandbox id')
    .action(async (name: string, o: Record<string, string | undefined>, c: Command) => {
      const ctx = context(c);
      const e = await (await ctx.client()).secrets.explain(name, {
        workspaceId: o.workspace, userId: o.user, externalWorkspace: o.externalWorkspace, externalUser: o.externalUser,
        sessionId: o.session, sandboxId: o.sandbox,
      });
      if (!e.resolved) process.exitCode = EXIT.NOT_FOUND;
      if (ctx.json) return printJson(e);
      out(
        table(
          ['SCOPE', 'ID', 'STATUS', 'SECRET'],
          e.steps.map((s) => [s.scope, s.scope === 'tenant' ? '' : s.scopeRef, s.status.replace('_', ' '), s.secretId]),
        ),
      );
      out(e.reason);
    });

  secrets
    .command('import')
    .description('create secrets from a .env file (KEY=value lines); values are never printed')
    .argument('<file>', '.env file, or - for stdin')
    .addOption(scopeOption())
    .addOption(scopeIdOption())
    .option('--rotate-if-exists', 'store a new version for names that exist at this scope (default: report them as failed)')
    .option('--provider-map <KEY=provider>', 'provider for one key, e.g. OPENAI_API_KEY=openai (repeatable)', collect)
    .option('--detect-providers', "set the provider of keys named like a catalog provider's env variable (OPENAI_API_KEY → openai)")
    .addHelpText('after', '\nEach KEY becomes a secret named KEY (exposed as KEY). Supported syntax: comments, blank lines,\n`export KEY=…`, unquoted, "double-quoted" (with \\n \\" escapes) and \'single-quoted\' values.\nExit code 1 when any entry failed.')
    .action(async (file: string, o: ScopeOpts & { rotateIfExists?: boolean; providerMap?: string[]; detectProviders?: boolean }, c: Command) => {
      const ctx = context(c);
      const scope = at(o);
      const map = providerMap(o.providerMap ?? []);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (e) {
        throw usageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const client = await ctx.client();
      const result = await importEntries(client, text, { scope, map, detect: Boolean(o.detectProviders), rotate: Boolean(o.rotateIfExists) });
      if (result.failed.length) process.exitCode = EXIT.ERROR;
      if (ctx.json) return printJson(result);
      const rows = [
        ...result.created.map((r) => [r.name, r.line, `created (version ${r.version})`]),
        ...result.rotated.map((r) => [r.name, r.line, `rotated (version ${r.version})`]),
        ...result.failed.map((r) => [r.name ?? '-', r.line, `failed: ${r.error}`]),
      ].sort((a, b) => Number(a[1]) - Number(b[1]));
      if (rows.length) out(table(['NAME', 'LINE', 'RESULT'], rows));
      note(`${plural(result.created.length, 'secret')} created, ${result.rotated.length} rotated, ${result.failed.length} failed`);
    });
}

export interface ImportResult {
  created: Array<{ name: string; line: number; version: number }>;
  rotated: Array<{ name: string; line: number; version: number }>;
  failed: Array<{ name: string | null; line: number; error: string; code?: string }>;
}

/** Creates (or rotates) one secret per entry; one failure does not stop the others. */
async function importEntries(
  client: Standin,
  text: string,
  opts: { scope?: ScopeOpts; map: Map<string, string>; detect: boolean; rotate: boolean },
): Promise<ImportResult> {
  const { entries, errors } = parseDotenv(text);
  const result: ImportResult = { created: [], rotated: [], failed: errors.map((e) => ({ name: e.key, line: e.line, error: e.message, code: 'parse_error' })) };
  let byEnv = new Map<string, string>();
  if (opts.detect) byEnv = new Map((await client.providers.list()).map((p) => [p.exposeAs, p.id]));
  // A key repeated in the file: the last one wins, as in other .env loaders; say so.
  const last = new Map(entries.map((e) => [e.key, e]));
  for (const e of entries) {
    if (last.get(e.key) !== e) result.failed.push({ name: e.key, line: e.line, error: `repeated on line ${last.get(e.key)?.line}; the later line is used`, code: 'duplicate' });
  }
  for (const e of last.values()) {
    if (e.value === '') {
      result.failed.push({ name: e.key, line: e.line, error: 'empty value', code: 'invalid_value' });
      continue;
    }
    if (/[\r\n\0]/.test(e.value)) {
      result.failed.push({ name: e.key, line: e.line, error: 'the value contains a line break or NUL; values are one line', code: 'invalid_value' });
      continue;
    }
    try {
      const s = await client.secrets.create({
        name: e.key, value: e.value, scope: opts.scope?.scope, scopeId: opts.scope?.scopeId,
        provider: opts.map.get(e.key) ?? byEnv.get(e.key), ifExists: opts.rotate ? 'rotate' : 'error',
      });
      (s.version > 1 ? result.rotated : result.created).push({ name: s.name, line: e.line, version: s.version });
    } catch (err) {
      if (!(err instanceof StandinApiError)) throw err; // connection lost: stop, the rest would fail too
      if (err.status === 401 || err.status === 403) throw err;
      const msg = err.status === 409 ? 'exists at this scope (use --rotate-if-exists)' : err.message;
      result.failed.push({ name: e.key, line: e.line, error: msg, code: err.code });
    }
  }
  return result;
}
