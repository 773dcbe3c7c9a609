/**
 * `standin keyring rotate`: a new root key becomes the active one and every tenant data key and
 * the proxy CA key are re-wrapped under it, in one transaction (DESIGN.md §5: values themselves
 * are not re-encrypted). Older keys stay in the key file after the new one, so backups made
 * before the rotation still open.
 *
 * Order matters: the new key is saved (file) or printed (environment) before the database
 * changes, so a crash in between leaves data wrapped by a key the operator still has.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { formatRootKey, generateRootKey } from '../crypto/keyring.js';
import { rewrapDataKey } from '../crypto/dek.js';
import { randomId } from '../crypto/tokens.js';
import { settingsCaStore } from '../proxy/ca-store.js';
import { context } from './context.js';
import { CliError, EXIT, usageError } from './exit.js';
import { LOCAL_LOG_DEFAULT, addStoreOptions, configFromOptions, openLocal } from './local.js';
import { note, out, plural, printJson } from './output.js';

/** Where the keys of this configuration come from. */
export function keySource(keyEnv: Readonly<Record<string, string | undefined>>, dataDir: string): { kind: 'env' } | { kind: 'file'; path: string } {
  if (keyEnv.STANDIN_MASTER_KEY && keyEnv.STANDIN_MASTER_KEY.trim() !== '') return { kind: 'env' };
  const named = keyEnv.STANDIN_MASTER_KEY_FILE?.trim();
  return { kind: 'file', path: named ? named : join(dataDir, 'master.key') };
}

/** Replaces `path` with `text` atomically (temp file, fsync, rename), mode 0600. */
async function writeKeyFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new CliError(EXIT.ERROR, `cannot write the key file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was changed`);
  }
}

export function registerKeyring(program: Command): void {
  const keyring = program.command('keyring').description('manage the root keys that protect the data keys');
  const rotate = keyring
    .command('rotate')
    .description('generate a new active root key and re-wrap every data key and the proxy CA key under it');
  addStoreOptions(rotate);
  rotate
    .option('--yes', 'proceed when the keys come from STANDIN_MASTER_KEY (the new key is printed once and must be saved by you)')
    .addHelpText(
      'after',
      `
With a key file (<data-dir>/master.key or STANDIN_MASTER_KEY_FILE) the new key is written first in
the file and the older keys are kept after it. With STANDIN_MASTER_KEY, the new key is printed
(alone on stdout): put it first in STANDIN_MASTER_KEY before standin starts again.
A running "standin serve" that reads the same key file loads the new key by itself the first
time it needs it; one that takes its keys from STANDIN_MASTER_KEY (or reads another copy of the
file) must get the new key and be restarted.`,
    )
    .action(async (opts: Record<string, unknown>, c: Command) => {
      const ctx = context(c);
      const config = configFromOptions(opts, LOCAL_LOG_DEFAULT);
      const source = keySource(config.keyEnv, config.dataDir);
      if (source.kind === 'env' && !opts.yes) {
        throw usageError(
          'the root keys come from STANDIN_MASTER_KEY, so standin cannot save the new key itself',
          'run again with --yes: the new key is printed once, and you must put it first in STANDIN_MASTER_KEY before standin starts again',
        );
      }
      let oldText = '';
      if (source.kind === 'file') {
        try {
          oldText = await readFile(source.path, 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw usageError(`no root key file at ${source.path}: nothing to rotate`, 'run "standin init" first, or set --data-dir / STANDIN_MASTER_KEY_FILE');
          throw new CliError(EXIT.ERROR, `cannot read the key file ${source.path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }

      const core = await openLocal(config, { mustExist: true });
      try {
        const previousKeyId = core.keyring.activeId;
        const newKey = generateRootKey();
        const ring = core.keyring.withNewActive(newKey);

        if (source.kind === 'file') {
          const header = `# active root key, added by "standin keyring rotate" at ${new Date().toISOString()}; older keys follow\n`;
          await writeKeyFile(source.path, `${header}${formatRootKey(newKey)}\n${oldText.endsWith('\n') || oldText === '' ? oldText : oldText + '\n'}`);
        } else if (!ctx.json) {
          note('New root key (shown only this once). Put it FIRST in STANDIN_MASTER_KEY and keep the current keys after it:');
          note(`  STANDIN_MASTER_KEY="<the key below>,$STANDIN_MASTER_KEY"`);
          out(formatRootKey(newKey));
        }

        const now = new Date().toISOString();
        const { tenants, ca } = await core.store.transaction(async (tx) => {
          const deks = await tx.tenancy.allWrappedDeks();
          for (const t of deks) {
            await tx.tenancy.setWrappedDek(t.id, rewrapDataKey(ring, t.id, Buffer.from(t.wrappedDek)));
            await tx.audit.append({
              id: randomId('aud_'), tenantId: t.id, at: now, requestId: null, apiKeyId: null, actor: 'system:cli', workspaceId: null,
              externalWorkspace: null, externalUser: null, action: 'keyring.rotate', target: newKey.id, outcome: 'success',
              details: { keyId: newKey.id, previousKeyId },
            });
          }
          const ca = await settingsCaStore(tx.settings, () => ring).rewrap();
          return { tenants: deks.length, ca };
        });

        const report = {
          keyId: newKey.id,
          previousKeyId,
          keyIds: ring.ids(),
          keyFile: source.kind === 'file' ? source.path : null,
          tenants,
          caRewrapped: ca,
          ...(source.kind === 'env' ? { newKey: formatRootKey(newKey) } : {}),
        };
        if (ctx.json) return printJson(report);
        const what = `${plural(tenants, 'tenant data key')}${ca ? ' and the proxy CA key' : ''}`;
        (source.kind === 'file' ? out : note)(`Root key rotated: new active key ${newKey.id} (previous: ${previousKeyId}); re-wrapped ${what}.`);
        if (source.kind === 'file') note(`Key file ${source.path}: the new key is first, older keys follow (they still open backups). Back it up now.`);
        note(
          source.kind === 'file'
            ? `Running "standin serve" processes that read ${source.path} load the new key by themselves; restart any that use another copy of it.`
            : 'Restart every running "standin serve" with the new STANDIN_MASTER_KEY so it loads the new key.',
        );
      } finally {
        await core.close();
      }
    });
}
