// One storage suite, run against SQLite and PostgreSQL (DESIGN.md §7: "Both dialects run one
// shared storage test suite"). PostgreSQL runs in a database whose default collation is ICU
// en-US when the server supports it, because that is what most PostgreSQL installations use and
// it orders and compares text differently from SQLite's byte order.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { Store } from '../../src/store/store.js';
import { verifyChain, type NewAuditEvent } from '../../src/store/repos/audit.js';
import type { VersionBlobs } from '../../src/store/repos/secrets.js';
import type { Change } from '../../src/store/changes.js';
import { VersionConflictError, isUniqueViolation } from '../../src/store/errors.js';
import type { ApiKey, EgressEvent, SecretMeta } from '../../src/core/types.js';
import { hashToken, randomId } from '../../src/crypto/tokens.js';
import { PG_ADMIN_URL, createTestDatabase, pgAvailable } from '../helpers/pg.js';

const pgOk = await pgAvailable();

const iso = (ms = Date.now()) => new Date(ms).toISOString();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` is true or fails after `ms`. */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A fresh PostgreSQL database with an ICU en-US default collation, or a plain one if ICU is missing. */
async function pgDatabase(): Promise<{ url: string; collation: string; drop(): Promise<void> }> {
  const name = `standin_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  } catch {
    await admin.end();
    const db = await createTestDatabase();
    return { ...db, collation: 'server default' };
  }
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    collation: 'ICU en-US',
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

function secretMeta(tenantId: string, name: string, over: Partial<SecretMeta> = {}): SecretMeta {
  const t = iso();
  return {
    id: randomId('sec_'), tenantId, name, type: 'token', provider: null, scope: 'tenant', scopeRef: '', hosts: ['api.example.com'],
    exposeAs: 'EXAMPLE', description: null, preview: null, version: 1, allowInsecureHttp: false, bodyPlaceholders: false,
    autoBind: false, createdAt: t, updatedAt: t, lastUsedAt: null, createdBy: null, ...over,
  };
}

const blobs = (tag: string, username = false): VersionBlobs => ({
  valueBlob: Buffer.from(`ciphertext-${tag}`), usernameBlob: username ? Buffer.from(`user-${tag}`) : null, preview: tag.slice(-4),
});

function auditEvent(tenantId: string, action: string, target: string | null, details: Record<string, unknown> = {}): NewAuditEvent {
  return {
    id: randomId('aud_'), tenantId, at: iso(), requestId: 'req-storage-test', apiKeyId: null, actor: 'test', workspaceId: null,
    externalWorkspace: null, externalUser: null, action, target, outcome: 'success', details,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  const skip = dialect === 'postgres' && !pgOk ? 'PostgreSQL is not reachable' : false;

  describe(`storage on ${dialect}`, { skip }, () => {
    let store: Store;
    let url: string;
    let cleanup: () => Promise<void>;

    /** A tenant with a random wrapped data key; returns its id. */
    async function tenant(name = 'acme'): Promise<string> {
      const id = randomId('ten_');
      await store.tenancy.createTenant({ id, name, wrappedDek: randomBytes(60), createdAt: iso() });
      return id;
    }

    async function user(tenantId: string, role: 'admin' | 'member' = 'admin'): Promise<string> {
      const id = randomId('usr_');
      await store.tenancy.createUser({ id, tenantId, name: `u-${id.slice(-4)}`, email: null, role, createdAt: iso() });
      return id;
    }

    before(async () => {
      if (dialect === 'sqlite') {
        const dir = mkdtempSync(join(tmpdir(), 'standin-store-'));
        url = `sqlite:${join(dir, 'standin.db')}`;
        cleanup = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const db = await pgDatabase();
        console.log(`# storage on postgres: database collation ${db.collation}`);
        url = db.url;
        cleanup = db.drop;
      }
      store = await Store.open(url);
    });

    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test('migrations are idempotent: running them again on an up-to-date database changes nothing', async () => {
      const applied = async () => (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db)).rows.map((r) => r.name);
      const before = await applied();
      const tenants = await store.tenancy.countTenants();
      assert.ok(before.length >= 3, 'every migration is recorded');
      await store.migrate();
      const again = await Store.open(url, { listen: false });
      await again.close();
      assert.deepEqual(await applied(), before, 'no migration ran twice or was added');
      assert.equal(await store.tenancy.countTenants(), tenants, 'no data was touched');
    });

    describe('tenants, workspaces and users', () => {
      test('a tenant round-trips, including its wrapped data key as exact bytes', async () => {
        const dek = randomBytes(77);
        const id = randomId('ten_');
        await store.tenancy.createTenant({ id, name: 'round-trip', wrappedDek: dek, createdAt: iso() });
        const t = await store.tenancy.getTenant(id);
        assert.equal(t?.name, 'round-trip');
        assert.deepEqual(Buffer.from((await store.tenancy.wrappedDek(id)) as Uint8Array), dek);
        const replaced = randomBytes(80);
        await store.tenancy.setWrappedDek(id, replaced);
        assert.deepEqual(Buffer.from((await store.tenancy.wrappedDek(id)) as Uint8Array), replaced);
        assert.ok((await store.tenancy.allWrappedDeks()).some((x) => x.id === id && Buffer.from(x.wrappedDek).equals(replaced)));
        assert.ok((await store.tenancy.countTenants()) >= 1);
        assert.equal(await store.tenancy.getTenant('ten_missing'), null);
      });

      test('a workspace is found by id or by name, only inside its own tenant', async () => {
        const t1 = await tenant();
        const t2 = await tenant();
        const ws = { id: randomId('wsp_'), tenantId: t1, name: 'payments', createdAt: iso() };
        await store.tenancy.createWorkspace(ws);
        assert.equal((await store.tenancy.getWorkspace(t1, ws.id))?.name, 'payments');
        assert.equal((await store.tenancy.getWorkspace(t1, 'payments'))?.id, ws.id);
        assert.equal(await store.tenancy.getWorkspace(t2, 'payments'), null);
        assert.equal(await store.tenancy.getWorkspace(t2, ws.id), null);
      });

      test('two workspaces with one name in one tenant are refused, in two tenants allowed', async () => {
        const t1 = await tenant();
        const t2 = await tenant();
        await store.tenancy.createWorkspace({ id: randomId('wsp_'), tenantId: t1, name: 'dup', createdAt: iso() });
        await assert.rejects(store.tenancy.createWorkspace({ id: randomId('wsp_'), tenantId: t1, name: 'dup', createdAt: iso() }));
        await store.tenancy.createWorkspace({ id: randomId('wsp_'), tenantId: t2, name: 'dup', createdAt: iso() });
        assert.deepEqual((await store.tenancy.listWorkspaces(t1)).map((w) => w.name), ['dup']);
      });

      test('users are listed per tenant and filtered by role', async () => {
        const t = await tenant();
        const a = await user(t, 'admin');
        const m = await user(t, 'member');
        const other = await tenant();
        await user(other, 'member');
        assert.deepEqual(new Set((await store.tenancy.listUsers(t)).map((u) => u.id)), new Set([a, m]));
        assert.deepEqual((await store.tenancy.listUsers(t, 'member')).map((u) => u.id), [m]);
        assert.equal((await store.tenancy.getUser(t, m))?.role, 'member');
        assert.equal(await store.tenancy.getUser(other, m), null, 'a user is not visible from another tenant');
      });
    });

    describe('API keys', () => {
      let t: string;
      let u: string;
      const mkKey = (over: Partial<ApiKey> = {}): ApiKey => ({
        id: randomId('key_'), tenantId: t, userId: u, workspaceId: null, name: 'k', kind: 'live', prefix: 'stn_live_abc',
        scopes: ['secrets:read'], createdAt: iso(), lastUsedAt: null, expiresAt: null, revokedAt: null, ...over,
      });
      before(async () => {
        t = await tenant();
        u = await user(t);
      });

      test('a key is found by its hash, with the stored hash for the constant-time re-check', async () => {
        const k = mkKey({ scopes: ['secrets:read', 'audit:read'] });
        const h = hashToken(`token-${k.id}`);
        await store.apiKeys.create(k, h);
        const found = await store.apiKeys.byHash(h);
        assert.equal(found?.key.id, k.id);
        assert.equal(found?.keyHash, h);
        assert.deepEqual(found?.key.scopes, ['secrets:read', 'audit:read']);
        assert.equal(await store.apiKeys.byHash(hashToken('some other token')), null);
      });

      test('two keys with one hash are refused', async () => {
        const h = hashToken(`dup-${randomId('x')}`);
        await store.apiKeys.create(mkKey(), h);
        await assert.rejects(store.apiKeys.create(mkKey(), h));
      });

      test('revoking marks the key once, and lists leave it out unless asked', async () => {
        const k = mkKey();
        await store.apiKeys.create(k, hashToken(k.id));
        assert.equal(await store.apiKeys.revoke(t, k.id, iso()), true);
        assert.equal(await store.apiKeys.revoke(t, k.id, iso()), false, 'a second revoke changes nothing');
        assert.ok((await store.apiKeys.byHash(hashToken(k.id)))?.key.revokedAt);
        assert.equal((await store.apiKeys.list(t)).some((x) => x.id === k.id), false);
        assert.equal((await store.apiKeys.list(t, { includeRevoked: true })).some((x) => x.id === k.id), true);
        const other = await tenant();
        assert.equal(await store.apiKeys.revoke(other, k.id, iso()), false, 'another tenant cannot revoke it');
      });

      test('touch records the last use time', async () => {
        const k = mkKey();
        await store.apiKeys.create(k, hashToken(k.id));
        const at = '2030-01-02T03:04:05.000Z';
        await store.apiKeys.touch([k.id], at);
        assert.equal((await store.apiKeys.get(t, k.id))?.lastUsedAt, at);
        await store.apiKeys.touch([], at);
      });

      test('keys are listed per user', async () => {
        const u2 = await user(t, 'member');
        const k = mkKey({ userId: u2, kind: 'user' });
        await store.apiKeys.create(k, hashToken(k.id));
        assert.deepEqual((await store.apiKeys.list(t, { userId: u2 })).map((x) => x.id), [k.id]);
      });
    });

    describe('secrets', () => {
      let t: string;
      before(async () => {
        t = await tenant();
      });

      test('a created secret is at version 1 with its preview, found by id and at its scope', async () => {
        const s = await store.secrets.create(secretMeta(t, 'stripe', { provider: 'stripe', hosts: ['api.stripe.com'] }), blobs('v1-abcd'));
        assert.equal(s.version, 1);
        const got = await store.secrets.get(t, s.id);
        assert.equal(got?.name, 'stripe');
        assert.equal(got?.preview, 'abcd');
        assert.deepEqual(got?.hosts, ['api.stripe.com']);
        assert.equal((await store.secrets.getAt(t, { scope: 'tenant', ref: '' }, 'stripe'))?.id, s.id);
        assert.equal(await store.secrets.getAt(t, { scope: 'user', ref: 'usr_x' }, 'stripe'), null);
        assert.equal(await store.secrets.get(await tenant(), s.id), null, 'not visible from another tenant');
      });

      test('one name may exist once per scope and ref, and at several scopes', async () => {
        await store.secrets.create(secretMeta(t, 'multi'), blobs('a'));
        await assert.rejects(store.secrets.create(secretMeta(t, 'multi'), blobs('b')), (e) => isUniqueViolation(e), 'a duplicate is reported as a unique violation');
        await store.secrets.create(secretMeta(t, 'multi', { scope: 'user', scopeRef: 'usr_1' }), blobs('c'));
        await store.secrets.create(secretMeta(t, 'multi', { scope: 'user', scopeRef: 'usr_2' }), blobs('d'));
        await store.secrets.create(secretMeta(t, 'multi', { scope: 'session', scopeRef: 'sess-1' }), blobs('e'));
        const all = await store.secrets.byName(t, 'multi');
        assert.deepEqual(all.map((s) => `${s.scope}:${s.scopeRef}`).sort(), ['session:sess-1', 'tenant:', 'user:usr_1', 'user:usr_2']);
        assert.equal((await store.secrets.byNames(t, ['multi', 'stripe'])).length, 5);
        assert.deepEqual(await store.secrets.byNames(t, []), []);
      });

      test('lists filter by name prefix, scope, provider and visibility', async () => {
        const tt = await tenant();
        await store.secrets.create(secretMeta(tt, 'gh-main', { provider: 'github' }), blobs('1'));
        await store.secrets.create(secretMeta(tt, 'gh-ci', { provider: 'github', scope: 'workspace', scopeRef: 'wsp_a' }), blobs('2'));
        await store.secrets.create(secretMeta(tt, 'gh_other'), blobs('3'));
        await store.secrets.create(secretMeta(tt, 'openai', { provider: 'openai', scope: 'user', scopeRef: 'usr_a' }), blobs('4'));
        await store.secrets.create(secretMeta(tt, 'ghost', { scope: 'workspace', scopeRef: 'wsp_b' }), blobs('5'));
        const names = async (f: Parameters<Store['secrets']['list']>[1]) => (await store.secrets.list(tt, f)).data.map((s) => s.name);
        assert.deepEqual(await names({ namePrefix: 'gh-' }), ['gh-ci', 'gh-main']);
        assert.deepEqual(await names({ namePrefix: 'gh_' }), ['gh_other'], 'an underscore in a prefix is a literal, not a wildcard');
        assert.deepEqual(await names({ scope: 'workspace' }), ['gh-ci', 'ghost']);
        assert.deepEqual(await names({ provider: 'github' }), ['gh-ci', 'gh-main']);
        assert.deepEqual(await names({ visible: [{ scope: 'tenant', ref: '' }, { scope: 'workspace', ref: 'wsp_a' }] }), ['gh-ci', 'gh-main', 'gh_other']);
        assert.deepEqual(await names({ visible: [] }), [], 'an empty visibility list sees nothing');
        assert.deepEqual(await names({ visible: [{ scope: 'user', ref: 'usr_a' }], namePrefix: 'o' }), ['openai']);
      });

      test('names list and filter in byte order on both dialects: case-sensitive, upper case first', async () => {
        const tt = await tenant();
        for (const n of ['b', 'B', 'a', 'A1', 'a-b', 'ab', 'a.c', 'Ab']) await store.secrets.create(secretMeta(tt, n), blobs(n));
        const names = async (prefix?: string) => (await store.secrets.list(tt, { namePrefix: prefix })).data.map((s) => s.name);
        assert.deepEqual(await names(), ['A1', 'Ab', 'B', 'a', 'a-b', 'a.c', 'ab', 'b']);
        assert.deepEqual(await names('A'), ['A1', 'Ab'], 'prefix "A" does not match lower-case names');
        assert.deepEqual(await names('a'), ['a', 'a-b', 'a.c', 'ab']);
        assert.deepEqual(await names('a-'), ['a-b']);
      });

      test('cursor pagination walks every secret exactly once across pages, with filters kept', async () => {
        const tt = await tenant();
        const made: string[] = [];
        for (let i = 0; i < 23; i++) {
          const n = `page-${String(i).padStart(2, '0')}`;
          made.push(n);
          await store.secrets.create(secretMeta(tt, n), blobs(n));
          // Same name at another scope: the (name, id) cursor must not skip or repeat it.
          if (i % 5 === 0) await store.secrets.create(secretMeta(tt, n, { scope: 'user', scopeRef: 'usr_p' }), blobs(`${n}u`));
        }
        await store.secrets.create(secretMeta(tt, 'zzz-not-a-page'), blobs('z'));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.secrets.list(tt, { namePrefix: 'page-', limit: 4, cursor });
          assert.ok(page.data.length <= 4);
          seen.push(...page.data.map((s) => `${s.name}@${s.scope}`));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 50);
        assert.equal(pages, Math.ceil(28 / 4));
        assert.equal(seen.length, 28);
        assert.equal(new Set(seen).size, 28, 'no secret appears twice');
        assert.deepEqual([...new Set(seen.map((s) => s.split('@')[0]))], made);
        const last = await store.secrets.list(tt, { namePrefix: 'page-', limit: 28 });
        assert.equal(last.nextCursor, null, 'a page that holds the rest has no next cursor');
        const junk = await store.secrets.list(tt, { namePrefix: 'page-', limit: 3, cursor: 'not-a-cursor!' });
        assert.equal(junk.data[0]?.name, 'page-00', 'a malformed cursor starts from the beginning');
      });

      test('update changes only the fields in the patch', async () => {
        const s = await store.secrets.create(secretMeta(t, 'patched', { description: 'old' }), blobs('p'));
        await store.secrets.update(s.tenantId, s.id, { hosts: ['a.example.com', 'b.example.com:8443'], autoBind: true }, '2031-01-01T00:00:00.000Z');
        const got = await store.secrets.get(s.tenantId, s.id);
        assert.deepEqual(got?.hosts, ['a.example.com', 'b.example.com:8443']);
        assert.equal(got?.autoBind, true);
        assert.equal(got?.description, 'old');
        assert.equal(got?.updatedAt, '2031-01-01T00:00:00.000Z');
        assert.equal((await store.secrets.autoBound(s.tenantId)).some((x) => x.id === s.id), true);
      });
      test('addVersion makes the new version current and keeps the old one', async () => {
        const s = await store.secrets.create(secretMeta(t, 'rotating'), blobs('first-1111', true));
        await store.transaction((tx) => tx.secrets.addVersion(t, s.id, 2, blobs('second-2222', true), iso(), 'usr_r'));
        const got = await store.secrets.get(t, s.id);
        assert.equal(got?.version, 2);
        assert.equal(got?.preview, '2222');
        assert.deepEqual((await store.secrets.versions(t, s.id)).map((v) => v.version), [2, 1]);
        const b1 = await store.secrets.blobs(t, s.id, 1);
        assert.equal(Buffer.from(b1!.valueBlob).toString(), 'ciphertext-first-1111');
        assert.equal(Buffer.from(b1!.usernameBlob!).toString(), 'user-first-1111');
        assert.equal(await store.secrets.blobs(t, s.id, 3), null);
      });

      test('a version that does not follow the current one is refused and leaves no row', async () => {
        const s = await store.secrets.create(secretMeta(t, 'stale'), blobs('s1'));
        await assert.rejects(store.transaction((tx) => tx.secrets.addVersion(t, s.id, 3, blobs('s3'), iso(), null)), VersionConflictError);
        await assert.rejects(store.secrets.addVersion(t, s.id, 3, blobs('s3'), iso(), null), VersionConflictError, 'even outside a transaction a stale version writes nothing');
        await assert.rejects(store.secrets.addVersion(t, s.id, 1, blobs('s1again'), iso(), null), VersionConflictError);
        assert.deepEqual((await store.secrets.versions(t, s.id)).map((v) => v.version), [1]);
        assert.equal((await store.secrets.get(t, s.id))?.version, 1);
      });

      test('two concurrent rotations to the same version: exactly one wins', async () => {
        const s = await store.secrets.create(secretMeta(t, 'race'), blobs('r1'));
        const results = await Promise.allSettled([0, 1, 2, 3].map((i) =>
          store.transaction((tx) => tx.secrets.addVersion(t, s.id, 2, blobs(`r2-${i}`), iso(), null))));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof VersionConflictError, `a loser fails with VersionConflictError, not ${r.reason}`);
        assert.deepEqual((await store.secrets.versions(t, s.id)).map((v) => v.version), [2, 1]);
      });

      test('delete removes the secret and every version of it', async () => {
        const s = await store.secrets.create(secretMeta(t, 'doomed'), blobs('d1'));
        await store.secrets.addVersion(t, s.id, 2, blobs('d2'), iso(), null);
        assert.equal(await store.secrets.delete(t, s.id), true);
        assert.equal(await store.secrets.get(t, s.id), null);
        const left = await store.db.selectFrom('secret_versions').select('version').where('secret_id', '=', s.id).execute();
        assert.deepEqual(left, []);
        assert.equal(await store.secrets.delete(t, s.id), false);
      });

      test('touch sets last-used time and count counts one tenant', async () => {
        const tt = await tenant();
        const s = await store.secrets.create(secretMeta(tt, 'used'), blobs('u'));
        await store.secrets.create(secretMeta(tt, 'unused'), blobs('n'));
        await store.secrets.touch([s.id], '2032-02-02T00:00:00.000Z');
        assert.equal((await store.secrets.get(tt, s.id))?.lastUsedAt, '2032-02-02T00:00:00.000Z');
        assert.equal(await store.secrets.count(tt), 2);
      });
    });

    describe('sandboxes and bindings', () => {
      test('a sandbox is found by its proxy-token hash and its bindings by placeholder hash', async () => {
        const t = await tenant();
        const id = randomId('sbx_');
        const tok = hashToken(`px-${id}`);
        const ph = hashToken(`ph-${id}`);
        const now = iso();
        await store.sandboxes.create(
          { id, tenantId: t, name: 'agent', workspaceId: null, userId: 'usr_1', externalWorkspace: 'xw', externalUser: 'xu', sessionId: 's1',
            egress: { allowHosts: ['api.example.com'] }, env: { MODE: 'test' }, ephemeral: true, createdAt: now, createdBy: 'usr_1' },
          tok,
          [
            { id: randomId('bnd_'), sandboxId: id, tenantId: t, envName: 'OPENAI_API_KEY', secretName: 'openai', mode: 'proxy', createdAt: now, placeholderHash: ph },
            { id: randomId('bnd_'), sandboxId: id, tenantId: t, envName: 'DB_URL', secretName: 'db', mode: 'env', createdAt: now, placeholderHash: null },
          ],
        );
        const byTok = await store.sandboxes.byProxyTokenHash(tok);
        assert.equal(byTok?.sandbox.id, id);
        assert.deepEqual(byTok?.sandbox.egress, { allowHosts: ['api.example.com'] });
        assert.deepEqual(byTok?.sandbox.env, { MODE: 'test' });
        assert.equal(byTok?.sandbox.ephemeral, true);
        const b = await store.sandboxes.bindingByPlaceholderHash(ph);
        assert.equal(b?.binding.envName, 'OPENAI_API_KEY');
        assert.equal(b?.binding.sandboxId, id);
        assert.equal(await store.sandboxes.bindingByPlaceholderHash(hashToken('unknown')), null);
        assert.deepEqual((await store.sandboxes.bindings(id)).map((x) => x.envName), ['DB_URL', 'OPENAI_API_KEY']);
        assert.equal((await store.sandboxes.byId(id))?.sessionId, 's1');
      });

      test('one env name is bound once per sandbox, and the whole sandbox insert fails with it', async () => {
        const t = await tenant();
        const id = randomId('sbx_');
        const now = iso();
        const bind = (env: string) => ({ id: randomId('bnd_'), sandboxId: id, tenantId: t, envName: env, secretName: 'x', mode: 'proxy' as const, createdAt: now, placeholderHash: hashToken(randomId('ph')) });
        await assert.rejects(store.transaction((tx) => tx.sandboxes.create(
          { id, tenantId: t, name: null, workspaceId: null, userId: null, externalWorkspace: null, externalUser: null, sessionId: null,
            egress: { allowHosts: null }, env: {}, ephemeral: false, createdAt: now, createdBy: null },
          hashToken(`px-${id}`), [bind('TOKEN'), bind('TOKEN')])));
        assert.equal(await store.sandboxes.get(t, id), null, 'the sandbox row was rolled back with the bindings');
      });

      test('deleting a sandbox removes its bindings, so its placeholders no longer resolve', async () => {
        const t = await tenant();
        const id = randomId('sbx_');
        const ph = hashToken(`ph-${id}`);
        const now = iso();
        await store.sandboxes.create(
          { id, tenantId: t, name: null, workspaceId: 'wsp_1', userId: 'usr_1', externalWorkspace: null, externalUser: null, sessionId: null,
            egress: { allowHosts: null }, env: {}, ephemeral: false, createdAt: now, createdBy: 'usr_1' },
          hashToken(`px-${id}`),
          [{ id: randomId('bnd_'), sandboxId: id, tenantId: t, envName: 'K', secretName: 'k', mode: 'proxy', createdAt: now, placeholderHash: ph }],
        );
        assert.equal(await store.sandboxes.delete(await tenant(), id), false, 'another tenant cannot delete it');
        assert.ok(await store.sandboxes.bindingByPlaceholderHash(ph), 'a failed delete from another tenant leaves the bindings');
        assert.equal(await store.sandboxes.delete(t, id), true);
        assert.equal(await store.sandboxes.bindingByPlaceholderHash(ph), null);
        assert.equal(await store.sandboxes.byProxyTokenHash(hashToken(`px-${id}`)), null);
        assert.deepEqual(await store.sandboxes.bindings(id), []);
      });

      test('sandboxes list newest first with a cursor, filtered by workspace and user', async () => {
        const t = await tenant();
        const ids: string[] = [];
        for (let i = 0; i < 7; i++) {
          const id = `sbx_${String(i).padStart(3, '0')}${randomId('', 8)}`;
          ids.push(id);
          await store.sandboxes.create(
            { id, tenantId: t, name: null, workspaceId: i % 2 ? 'wsp_odd' : 'wsp_even', userId: 'usr_1', externalWorkspace: null, externalUser: null,
              sessionId: null, egress: { allowHosts: null }, env: {}, ephemeral: false, createdAt: iso(Date.UTC(2030, 0, 1, 0, 0, i)), createdBy: null },
            hashToken(`px-${id}`), []);
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const p: Awaited<ReturnType<Store['sandboxes']['list']>> = await store.sandboxes.list(t, { limit: 3, cursor });
          seen.push(...p.data.map((s) => s.id));
          cursor = p.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, [...ids].reverse());
        assert.equal((await store.sandboxes.list(t, { workspaceId: 'wsp_odd' })).data.length, 3);
      });
    });

    describe('audit chain', () => {
      async function chainOfTenant(t: string, n: number): Promise<string> {
        for (let i = 1; i <= n; i++) await store.audit.append(auditEvent(t, `test.action${i}`, `target-${i}`, { i, nested: { b: 2, a: 1 } }));
        return t;
      }
      const chainOf = async (n: number) => chainOfTenant(await tenant(), n);

      test('appends number rows 1, 2, 3… per tenant and link each to the one before', async () => {
        const t1 = await tenant();
        const t2 = await tenant();
        const a1 = await store.audit.append(auditEvent(t1, 'x.one', 'a'));
        const b1 = await store.audit.append(auditEvent(t2, 'x.one', 'b'));
        const a2 = await store.audit.append(auditEvent(t1, 'x.two', 'a'));
        assert.deepEqual([a1.seq, b1.seq, a2.seq], [1, 1, 2]);
        assert.equal(a1.prevHash, '0'.repeat(64));
        assert.equal(a2.prevHash, a1.hash);
        assert.deepEqual(verifyChain(await store.audit.chain(t1)), { ok: true, rows: 2, brokenAt: null });
        assert.deepEqual(verifyChain([]), { ok: true, rows: 0, brokenAt: null });
      });

      test('concurrent appends in separate transactions still form one unbroken chain', async () => {
        const t = await tenant();
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.transaction((tx) => tx.audit.append(auditEvent(t, 'x.par', `p${i}`)))));
        const chain = await store.audit.chain(t);
        assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i + 1));
        assert.equal(verifyChain(chain).ok, true);
      });

      test('concurrent mutations that each insert rows of the tenant and an audit row neither deadlock nor fork the chain', async () => {
        const t = await tenant();
        const results = await Promise.allSettled(Array.from({ length: 16 }, (_, i) => store.transaction(async (tx) => {
          const m = secretMeta(t, `concurrent-${i}`);
          await tx.secrets.create(m, blobs(`c${i}`)); // references tenants: takes a key-share lock on the tenant row
          await sleep(5); // let the others reach the same point
          await tx.audit.append(auditEvent(t, 'secrets.create', m.id));
        })));
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.deepEqual(failed.map((f) => String(f.reason?.message ?? f.reason)), []);
        const chain = await store.audit.chain(t);
        assert.equal(chain.length, 16);
        assert.equal(verifyChain(chain).ok, true);
      });

      test('a changed row is detected at that row', async () => {
        const t = await chainOf(5);
        await sql`update audit_events set target = ${'evil'} where tenant_id = ${t} and seq = 3`.execute(store.db);
        const r = verifyChain(await store.audit.chain(t));
        assert.equal(r.ok, false);
        assert.equal(r.brokenAt?.seq, 3);
        assert.match(r.brokenAt!.reason, /changed/);
      });

      test('a changed details document is detected', async () => {
        const t = await chainOf(3);
        await sql`update audit_events set details = ${'{"i":2,"nested":{"a":1,"b":3}}'} where tenant_id = ${t} and seq = 2`.execute(store.db);
        assert.equal(verifyChain(await store.audit.chain(t)).brokenAt?.seq, 2);
      });

      test('a changed row whose own hash was recomputed breaks the link of the next row', async () => {
        const t = await chainOf(4);
        const rows = await store.audit.chain(t);
        const { hash: _h, prevHash, ...rest } = rows[1]!;
        const { auditHash } = await import('../../src/store/repos/audit.js');
        const forged = auditHash(prevHash, { ...rest, target: 'forged' });
        await sql`update audit_events set target = ${'forged'}, hash = ${forged} where tenant_id = ${t} and seq = 2`.execute(store.db);
        const r = verifyChain(await store.audit.chain(t));
        assert.equal(r.brokenAt?.seq, 3);
        assert.match(r.brokenAt!.reason, /previous-hash/);
      });

      test('a removed row is detected at the row after the gap', async () => {
        const t = await chainOf(5);
        await sql`delete from audit_events where tenant_id = ${t} and seq = 3`.execute(store.db);
        const r = verifyChain(await store.audit.chain(t));
        assert.equal(r.ok, false);
        assert.equal(r.brokenAt?.seq, 4);
        assert.match(r.brokenAt!.reason, /removed or reordered/);
      });

      test('two reordered rows are detected', async () => {
        const t = await chainOf(5);
        await sql`update audit_events set seq = -1 where tenant_id = ${t} and seq = 2`.execute(store.db);
        await sql`update audit_events set seq = 2 where tenant_id = ${t} and seq = 3`.execute(store.db);
        await sql`update audit_events set seq = 3 where tenant_id = ${t} and seq = -1`.execute(store.db);
        const r = verifyChain(await store.audit.chain(t));
        assert.equal(r.ok, false);
        assert.equal(r.brokenAt?.seq, 2);
      });

      test('the tenant row anchors the head: every append moves it, a rolled-back append does not', async () => {
        const t = await tenant();
        assert.deepEqual(await store.audit.head(t), { seq: 0, hash: '0'.repeat(64) });
        await chainOfTenant(t, 3);
        const rows = await store.audit.chain(t);
        assert.deepEqual(await store.audit.head(t), { seq: 3, hash: rows[2]!.hash });
        await assert.rejects(store.transaction(async (tx) => {
          await tx.audit.append(auditEvent(t, 'x.rolled-back', null));
          throw new Error('roll back');
        }));
        assert.deepEqual(await store.audit.head(t), { seq: 3, hash: rows[2]!.hash });
        assert.deepEqual(await store.audit.verify(t), { ok: true, rows: 3, brokenAt: null });
        assert.equal(await store.audit.head('ten_nobody'), null);
        await assert.rejects(store.audit.append(auditEvent('ten_nobody', 'x', null)), /tenant ten_nobody does not exist/);
      });

      test('a truncated tail (the last rows deleted) is detected against the head anchor', async () => {
        const t = await chainOf(5);
        await sql`delete from audit_events where tenant_id = ${t} and seq = 5`.execute(store.db);
        // What is left still links up: the chain alone cannot tell.
        assert.equal(verifyChain(await store.audit.chain(t)).ok, true);
        const r = await store.audit.verify(t);
        assert.equal(r.ok, false);
        assert.deepEqual(r.brokenAt, { seq: 5, id: null, reason: "the chain ends at seq 4 but the tenant's head says 5 (rows were removed from the end)" });
        await sql`delete from audit_events where tenant_id = ${t}`.execute(store.db);
        assert.match((await store.audit.verify(t)).brokenAt!.reason, /ends at seq 0 but the tenant's head says 5/, 'every row deleted');
      });

      test('an append after a truncation does not paper over it: the gap stays visible', async () => {
        const t = await chainOf(4);
        await sql`delete from audit_events where tenant_id = ${t} and seq >= 3`.execute(store.db);
        const next = await store.audit.append(auditEvent(t, 'x.after', null));
        assert.equal(next.seq, 5, 'numbering continues from the head, not from the last remaining row');
        const r = await store.audit.verify(t);
        assert.equal(r.ok, false);
        assert.equal(r.brokenAt?.seq, 5);
        assert.match(r.brokenAt!.reason, /expected sequence 3, found 5/);
      });

      test('a last row rewritten with a recomputed hash is detected against the head', async () => {
        const t = await chainOf(3);
        const rows = await store.audit.chain(t);
        const { hash: _h, prevHash, ...rest } = rows[2]!;
        const { auditHash } = await import('../../src/store/repos/audit.js');
        const forged = auditHash(prevHash, { ...rest, action: 'x.forged' });
        await sql`update audit_events set action = ${'x.forged'}, hash = ${forged} where tenant_id = ${t} and seq = 3`.execute(store.db);
        assert.equal(verifyChain(await store.audit.chain(t)).ok, true, 'no later row links to it');
        const r = await store.audit.verify(t);
        assert.equal(r.ok, false);
        assert.deepEqual(r.brokenAt, { seq: 3, id: rows[2]!.id, reason: "row 3 does not match the tenant's head hash (the end of the chain was rewritten)" });
      });

      test('rows appended past the head (by an older standin, or while verifying) are accepted and the head catches up', async () => {
        const t = await chainOf(2);
        await sql`update tenants set audit_seq = 1, audit_head = ${(await store.audit.chain(t))[0]!.hash} where id = ${t}`.execute(store.db);
        assert.equal((await store.audit.verify(t)).ok, true);
        const next = await store.audit.append(auditEvent(t, 'x.next', null));
        assert.equal(next.seq, 3);
        assert.deepEqual(await store.audit.head(t), { seq: 3, hash: next.hash });
        assert.equal((await store.audit.verify(t)).ok, true);
      });

      test('the migration anchors chains that existed before it at their last row', async () => {
        const { connect } = await import('../../src/store/connect.js');
        const { CodeMigrationProvider } = await import('../../src/store/migrations.js');
        const { auditHash, GENESIS_HASH } = await import('../../src/store/repos/audit.js');
        const { Migrator } = await import('kysely');
        let fresh: { url: string; drop(): Promise<void> };
        if (dialect === 'sqlite') {
          const dir = mkdtempSync(join(tmpdir(), 'standin-store-mig-'));
          fresh = { url: `sqlite:${join(dir, 'standin.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
        } else {
          fresh = await createTestDatabase();
        }
        try {
          const c = connect(fresh.url);
          const migrator = new Migrator({ db: c.db, provider: new CodeMigrationProvider(c.dialect) });
          try {
            assert.equal((await migrator.migrateTo('0002_secret_names_byte_order')).error, undefined);
            const t = randomId('ten_');
            const empty = randomId('ten_');
            for (const id of [t, empty]) await c.db.insertInto('tenants').values({ id, name: 'old', wrapped_dek: randomBytes(60), created_at: iso() } as never).execute();
            let prev = GENESIS_HASH;
            for (let seq = 1; seq <= 3; seq++) {
              const e = { ...auditEvent(t, `old.${seq}`, null), seq };
              const hash = auditHash(prev, e);
              await c.db.insertInto('audit_events').values({
                id: e.id, tenant_id: t, seq, at: e.at, request_id: e.requestId, api_key_id: null, actor: e.actor, workspace_id: null,
                external_workspace: null, external_user: null, action: e.action, target: null, outcome: 'success', details: '{}', prev_hash: prev, hash,
              }).execute();
              prev = hash;
            }
            assert.equal((await migrator.migrateToLatest()).error, undefined);
            const migrated = await Store.open(fresh.url, { listen: false });
            try {
              assert.deepEqual(await migrated.audit.head(t), { seq: 3, hash: prev });
              assert.deepEqual(await migrated.audit.head(empty), { seq: 0, hash: GENESIS_HASH });
              assert.equal((await migrated.audit.verify(t)).ok, true);
              assert.equal((await migrated.audit.append(auditEvent(t, 'new.4', null))).seq, 4);
              assert.equal((await migrated.audit.verify(t)).ok, true);
              await sql`delete from audit_events where tenant_id = ${t} and seq = 4`.execute(migrated.db);
              assert.equal((await migrated.audit.verify(t)).ok, false);
            } finally {
              await migrated.close();
            }
          } finally {
            await c.db.destroy();
          }
        } finally {
          await fresh.drop();
        }
      });

      test('audit lists filter by key, workspace, action (exact or prefix*), target and time, newest first', async () => {
        const t = await tenant();
        const mk = (action: string, over: Partial<NewAuditEvent>) => store.audit.append({ ...auditEvent(t, action, 'tgt'), ...over });
        await mk('secrets.create', { apiKeyId: 'key_a', at: '2030-01-01T00:00:00.000Z' });
        await mk('secrets.rotate', { apiKeyId: 'key_b', workspaceId: 'wsp_1', at: '2030-01-02T00:00:00.000Z' });
        await mk('keys.create', { apiKeyId: 'key_a', target: 'key_z', at: '2030-01-03T00:00:00.000Z' });
        const actions = async (f: Parameters<Store['audit']['list']>[1]) => (await store.audit.list(t, f)).data.map((e) => e.action);
        assert.deepEqual(await actions({}), ['keys.create', 'secrets.rotate', 'secrets.create']);
        assert.deepEqual(await actions({ apiKeyId: 'key_a' }), ['keys.create', 'secrets.create']);
        assert.deepEqual(await actions({ workspaceId: 'wsp_1' }), ['secrets.rotate']);
        assert.deepEqual(await actions({ action: 'secrets.*' }), ['secrets.rotate', 'secrets.create']);
        assert.deepEqual(await actions({ action: 'secrets.create' }), ['secrets.create']);
        assert.deepEqual(await actions({ target: 'key_z' }), ['keys.create']);
        assert.deepEqual(await actions({ since: '2030-01-02T00:00:00.000Z' }), ['keys.create', 'secrets.rotate']);
        assert.deepEqual(await actions({ until: '2030-01-02T00:00:00.000Z' }), ['secrets.create']);
        const p1 = await store.audit.list(t, { limit: 2 });
        const p2 = await store.audit.list(t, { limit: 2, cursor: p1.nextCursor });
        assert.deepEqual([...p1.data, ...p2.data].map((e) => e.seq), [3, 2, 1]);
        assert.equal(p2.nextCursor, null);
      });
    });

    describe('egress events', () => {
      test('a batch larger than one statement is stored whole and found by sandbox and by secret', async () => {
        const t = await tenant();
        const events: Array<EgressEvent & { secretIds: string[] }> = Array.from({ length: 450 }, (_, i) => ({
          id: `egr_${String(i).padStart(4, '0')}`, tenantId: t, sandboxId: i % 3 === 0 ? 'sbx_a' : 'sbx_b',
          at: iso(Date.UTC(2030, 0, 1, 0, 0, 0, i)), method: 'GET', scheme: 'https', host: 'api.example.com', port: 443, path: `/v1/${i}`,
          status: 200, bytesIn: 10, bytesOut: 20, durationMs: 1.6, decision: i % 10 === 0 ? 'blocked' : 'allowed', reason: null,
          secrets: i % 2 === 0 ? [{ binding: 'bnd_1', secret: 'sec_even', version: 1 }] : [],
          secretIds: i % 2 === 0 ? ['sec_even'] : [],
        }));
        await store.egress.insertBatch(events);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const p: Awaited<ReturnType<Store['egress']['bySandbox']>> = await store.egress.bySandbox(t, 'sbx_a', { limit: 70, cursor });
          seen.push(...p.data.map((e) => e.id));
          cursor = p.nextCursor;
        } while (cursor);
        assert.equal(seen.length, 150);
        assert.equal(seen[0], 'egr_0447', 'newest first');
        assert.equal(new Set(seen).size, 150);
        assert.equal((await store.egress.bySandbox(t, 'sbx_a', { decision: 'blocked', limit: 500 })).data.length, 15);
        const bySecret = await store.egress.bySecret(t, 'sec_even', { limit: 500 });
        assert.equal(bySecret.length, 225);
        assert.deepEqual(bySecret[0]?.secrets, [{ binding: 'bnd_1', secret: 'sec_even', version: 1 }]);
        assert.equal(bySecret[0]?.durationMs, 2);
        assert.deepEqual(await store.egress.bySecret(await tenant(), 'sec_even'), [], 'not visible from another tenant');
        await store.egress.insertBatch([]);
      });

      test('inside a transaction (the event writer\'s way) rows round-trip exactly, byte counts past 4 GiB, 30-day durations and odd paths included', async () => {
        const t = await tenant();
        const odd = `/a"b\\c,{d}'e\u00e9 ${'x'.repeat(3000)}`;
        const events: Array<EgressEvent & { secretIds: string[] }> = [
          { id: 'egr_tx_1', tenantId: t, sandboxId: 'sbx_tx', at: iso(Date.UTC(2031, 0, 1)), method: 'POST', scheme: 'http', host: '::1', port: 8080, path: odd,
            status: null, bytesIn: 5_000_000_000, bytesOut: 2 ** 33, durationMs: 30 * 24 * 3600 * 1000 + 0.4, decision: 'error', reason: 'upstream "failed", {really}', secrets: [], secretIds: [] },
          { id: 'egr_tx_2', tenantId: t, sandboxId: 'sbx_tx', at: iso(Date.UTC(2031, 0, 2)), method: 'GET', scheme: 'https', host: 'api.example.com', port: 443, path: '/',
            status: 200, bytesIn: 0, bytesOut: 0, durationMs: 0.4, decision: 'allowed', reason: null,
            secrets: [{ binding: 'A', secret: 'a', version: 2 }, { binding: 'B', secret: 'b', version: 1 }], secretIds: ['sec_tx_a', 'sec_tx_b'] },
        ];
        await store.transaction((tx) => tx.egress.insertBatch(events));
        const page = await store.egress.bySandbox(t, 'sbx_tx');
        assert.deepEqual(page.data.map((e) => e.id), ['egr_tx_2', 'egr_tx_1']);
        const [two, one] = page.data;
        assert.equal(one?.path, odd);
        assert.equal(one?.bytesIn, 5_000_000_000);
        assert.equal(one?.bytesOut, 2 ** 33);
        assert.equal(one?.status, null);
        assert.equal(one?.reason, 'upstream "failed", {really}');
        assert.equal(one?.durationMs, 30 * 24 * 3600 * 1000, 'a WebSocket open for 30 days');
        assert.deepEqual(two?.secrets, events[1]?.secrets);
        assert.deepEqual((await store.egress.bySecret(t, 'sec_tx_b')).map((e) => e.id), ['egr_tx_2']);
        // A transaction that fails after the insert leaves nothing behind.
        await assert.rejects(store.transaction(async (tx) => {
          await tx.egress.insertBatch([{ ...events[1]!, id: 'egr_tx_3', sandboxId: 'sbx_tx_rolled_back' }]);
          throw new Error('roll back');
        }), /roll back/);
        assert.deepEqual((await store.egress.bySandbox(t, 'sbx_tx_rolled_back')).data, []);
        assert.deepEqual((await store.egress.bySecret(t, 'sec_tx_a')).map((e) => e.id), ['egr_tx_2']);
      });
    });

    describe('rate-limit counters and settings', () => {
      test('hits count up per bucket and window, and prune drops old windows', async () => {
        const b = `key:${randomId('k')}`;
        assert.equal(await store.rateLimits.hit(b, 1000), 1);
        assert.equal(await store.rateLimits.hit(b, 1000), 2);
        assert.equal(await store.rateLimits.hit(b, 1060), 1, 'a new window starts from 1');
        assert.equal(await store.rateLimits.hit(`${b}:other`, 1000), 1, 'buckets are independent');
        const counts = await Promise.all(Array.from({ length: 25 }, () => store.rateLimits.hit(b, 2000)));
        assert.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 25 }, (_, i) => i + 1), 'concurrent hits each get their own count');
        await store.rateLimits.prune(1060);
        assert.equal(await store.rateLimits.hit(b, 1000), 1, 'the pruned window starts over');
        assert.equal(await store.rateLimits.hit(b, 1060), 2, 'a window at the boundary is kept');
      });

      test('hitMany counts one hit in each bucket in one statement, also under concurrency', async () => {
        const k = `key:${randomId('k')}`;
        const t = `tenant:${randomId('t')}`;
        const first = await store.rateLimits.hitMany([k, t, `${k}:write:secrets`], 3000);
        assert.deepEqual([...first.entries()].sort(), [[k, 1], [`${k}:write:secrets`, 1], [t, 1]].sort());
        const all = await Promise.all(Array.from({ length: 20 }, (_, i) => store.rateLimits.hitMany(i % 2 ? [t, k] : [k, t], 3000)));
        assert.deepEqual(all.map((m) => m.get(t)).sort((a, b) => a! - b!), Array.from({ length: 20 }, (_, i) => i + 2));
        assert.equal(await store.rateLimits.hit(k, 3000), 22, 'hit and hitMany share the counters');
        assert.deepEqual(await store.rateLimits.hitMany([], 3000), new Map());
      });

      test('putIfAbsent keeps the first value and set overwrites', async () => {
        const k = `ca-${randomId('')}`;
        assert.equal(await store.settings.putIfAbsent(k, 'first', iso()), 'first');
        assert.equal(await store.settings.putIfAbsent(k, 'second', iso()), 'first');
        await store.settings.set(k, 'third', iso());
        assert.equal(await store.settings.get(k), 'third');
        assert.equal(await store.settings.get(`${k}-missing`), null);
      });
    });

    describe('transactions and changes', () => {
      test('a transaction that throws leaves neither the mutation nor its audit row', async () => {
        const t = await tenant();
        await store.audit.append(auditEvent(t, 'before', null));
        const meta = secretMeta(t, 'rolled-back');
        const seen: Change[] = [];
        const off = store.bus.subscribe((c) => seen.push(c));
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.secrets.create(meta, blobs('rb'));
            await tx.audit.append(auditEvent(t, 'secrets.create', meta.id));
            tx.changed({ kind: 'secret', tenantId: t, id: meta.id, name: meta.name });
            throw new Error('boom');
          }),
          /boom/,
        );
        off();
        assert.equal(await store.secrets.get(t, meta.id), null);
        assert.deepEqual(await store.secrets.versions(t, meta.id), []);
        const chain = await store.audit.chain(t);
        assert.deepEqual(chain.map((r) => r.action), ['before']);
        assert.deepEqual(seen, [], 'no change is announced for a rolled-back transaction');
        // The chain continues from the last committed row.
        assert.equal((await store.audit.append(auditEvent(t, 'after', null))).seq, 2);
      });

      test('a change is announced once, after commit, when the new state is already visible', async () => {
        const t = await tenant();
        const meta = secretMeta(t, 'announced');
        const seen: Change[] = [];
        const reads: Array<Promise<SecretMeta | null>> = [];
        const off = store.bus.subscribe((c) => {
          seen.push(c);
          if (c.kind === 'secret' && c.id === meta.id) reads.push(store.secrets.get(t, meta.id));
        });
        await store.transaction(async (tx) => {
          await tx.secrets.create(meta, blobs('an'));
          tx.changed({ kind: 'secret', tenantId: t, id: meta.id, name: meta.name });
          assert.equal(seen.length, 0, 'nothing is announced inside the transaction');
        });
        await sleep(dialect === 'postgres' ? 300 : 0); // a NOTIFY echo from our own instance would arrive by now
        off();
        assert.deepEqual(seen, [{ kind: 'secret', tenantId: t, id: meta.id, name: meta.name }]);
        assert.equal((await reads[0])?.id, meta.id, 'a listener reading at once sees the committed row');
      });

      test('a transaction with many changes still commits and announces them', async () => {
        const t = await tenant();
        const seen: Change[] = [];
        const off = store.bus.subscribe((c) => seen.push(c));
        await store.transaction(async (tx) => {
          for (let i = 0; i < 300; i++) tx.changed({ kind: 'secret', tenantId: t, id: `sec_${'x'.repeat(20)}${i}`, name: `some-long-secret-name-${i}` });
          await tx.audit.append(auditEvent(t, 'bulk', null));
        });
        off();
        assert.equal(seen.length, 300);
        assert.equal((await store.audit.chain(t)).length, 1);
      });

      if (dialect === 'postgres') {
        test('a change made through one Store reaches another Store on the same database (LISTEN/NOTIFY)', async () => {
          const other = await Store.open(url);
          try {
            const got: Change[] = [];
            const off = other.bus.subscribe((c) => got.push(c));
            const t = await tenant();
            await store.transaction(async (tx) => {
              tx.changed({ kind: 'api_key', tenantId: t, id: 'key_remote' });
            });
            await eventually(() => got.length > 0, 5000, 'the NOTIFY on the other instance');
            assert.deepEqual(got, [{ kind: 'api_key', tenantId: t, id: 'key_remote' }]);
            off();
          } finally {
            await other.close();
          }
        });

        test('a transaction with more changes than one NOTIFY can carry tells the other Store to reset', async () => {
          const other = await Store.open(url);
          try {
            let resets = 0;
            const got: Change[] = [];
            other.bus.onReset(() => resets++);
            other.bus.subscribe((c) => got.push(c));
            const t = await tenant();
            await store.transaction(async (tx) => {
              for (let i = 0; i < 300; i++) tx.changed({ kind: 'secret', tenantId: t, id: `sec_${'y'.repeat(20)}${i}`, name: `a-long-secret-name-${i}` });
            });
            await eventually(() => resets > 0, 5000, 'the reset on the other instance');
            assert.deepEqual(got, [], 'individual changes are not sent, the reset covers them');
          } finally {
            await other.close();
          }
        });

        test('a change in a rolled-back transaction never reaches the other Store', async () => {
          const other = await Store.open(url);
          try {
            const got: Change[] = [];
            other.bus.subscribe((c) => got.push(c));
            const t = await tenant();
            await assert.rejects(store.transaction(async (tx) => {
              tx.changed({ kind: 'tenant', tenantId: t });
              await tx.audit.append(auditEvent(t, 'x', null));
              throw new Error('nope');
            }));
            await store.transaction(async (tx) => tx.changed({ kind: 'sandbox', tenantId: t, id: 'sbx_marker' }));
            await eventually(() => got.length > 0, 5000, 'the marker change');
            assert.deepEqual(got, [{ kind: 'sandbox', tenantId: t, id: 'sbx_marker' }]);
          } finally {
            await other.close();
          }
        });

        test('a Store whose LISTEN connection is killed resets its caches and receives changes again', async () => {
          const other = await Store.open(url);
          try {
            const got: Change[] = [];
            let resets = 0;
            other.bus.subscribe((c) => got.push(c));
            other.bus.onReset(() => resets++);
            const dbName = new URL(url).pathname.slice(1);
            const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
            await admin.connect();
            await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query ilike 'listen%' and pid <> pg_backend_pid()`, [dbName]);
            await admin.end();
            await eventually(() => resets > 0, 5000, 'a cache reset after the lost LISTEN connection');
            const t = await tenant();
            const deadline = Date.now() + 10_000;
            while (got.length === 0 && Date.now() < deadline) {
              await store.transaction(async (tx) => tx.changed({ kind: 'tenant', tenantId: t }));
              await sleep(200);
            }
            assert.ok(got.length > 0, 'changes arrive again after the LISTEN connection is re-established');
          } finally {
            await other.close();
          }
        });

        test('the store survives the database killing its pooled connections', async () => {
          await store.tenancy.countTenants(); // make sure the pool holds idle connections
          const dbName = new URL(url).pathname.slice(1);
          const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
          await admin.connect();
          await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [dbName]);
          await admin.end();
          await sleep(200);
          // An idle pooled connection that dies must not crash the process (pg.Pool emits 'error').
          let ok = false;
          for (let i = 0; i < 5 && !ok; i++) {
            ok = await store.tenancy.countTenants().then(() => true, () => false);
          }
          assert.ok(ok, 'queries work again on fresh connections');
        });
      }
    });
  });
}
