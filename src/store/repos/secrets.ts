import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Page, Scope, ScopeRef, SecretMeta, SecretVersionMeta } from '../../core/types.js';
import { decodeCursor, encodeCursor, flag, toSecret, toVersion } from '../rows.js';
import { VersionConflictError, isUniqueViolation } from '../errors.js';

export interface SecretFilter {
  namePrefix?: string;
  scope?: Scope;
  provider?: string;
  /** Only secrets living at one of these places (the caller's visibility). */
  visible?: ScopeRef[];
  cursor?: string | null;
  limit?: number;
}

export interface VersionBlobs {
  valueBlob: Uint8Array;
  usernameBlob: Uint8Array | null;
  preview: string | null;
}

export type SecretPatch = Partial<Pick<SecretMeta, 'hosts' | 'description' | 'exposeAs' | 'allowInsecureHttp' | 'bodyPlaceholders' | 'autoBind'>>;

/** Secrets and their immutable versions. Values only ever pass through here as ciphertext. */
export class SecretsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db
      .selectFrom('secrets')
      .leftJoin('secret_versions', (j) =>
        j.onRef('secret_versions.secret_id', '=', 'secrets.id').onRef('secret_versions.version', '=', 'secrets.current_version'),
      )
      .selectAll('secrets')
      .select('secret_versions.preview as preview');
  }

  async create(s: SecretMeta, first: VersionBlobs): Promise<SecretMeta> {
    await this.db
      .insertInto('secrets')
      .values({
        id: s.id, tenant_id: s.tenantId, name: s.name, type: s.type, provider: s.provider, scope: s.scope,
        scope_ref: s.scopeRef, hosts: JSON.stringify(s.hosts), expose_as: s.exposeAs, description: s.description,
        current_version: 1, allow_insecure_http: flag(s.allowInsecureHttp), body_placeholders: flag(s.bodyPlaceholders),
        auto_bind: flag(s.autoBind), created_at: s.createdAt, updated_at: s.updatedAt, last_used_at: null,
        created_by: s.createdBy,
      })
      .execute();
    await this.insertVersion(s.tenantId, s.id, 1, first, s.createdAt, s.createdBy);
    return { ...s, version: 1, preview: first.preview };
  }

  private async insertVersion(tenantId: string, secretId: string, version: number, b: VersionBlobs, at: string, by: string | null) {
    await this.db
      .insertInto('secret_versions')
      .values({
        secret_id: secretId, version, tenant_id: tenantId, value_blob: b.valueBlob, username_blob: b.usernameBlob,
        preview: b.preview, created_at: at, created_by: by,
      })
      .execute();
  }

  async get(tenantId: string, id: string): Promise<SecretMeta | null> {
    const r = await this.base().where('secrets.tenant_id', '=', tenantId).where('secrets.id', '=', id).executeTakeFirst();
    return r ? toSecret(r, r.preview ?? null) : null;
  }

  async getAt(tenantId: string, at: ScopeRef, name: string): Promise<SecretMeta | null> {
    const r = await this.base()
      .where('secrets.tenant_id', '=', tenantId)
      .where('secrets.scope', '=', at.scope)
      .where('secrets.scope_ref', '=', at.ref)
      .where('secrets.name', '=', name)
      .executeTakeFirst();
    return r ? toSecret(r, r.preview ?? null) : null;
  }

  /** Every secret called `name` in the tenant, at any scope: the candidates for scope resolution. */
  async byName(tenantId: string, name: string): Promise<SecretMeta[]> {
    const rows = await this.base().where('secrets.tenant_id', '=', tenantId).where('secrets.name', '=', name).execute();
    return rows.map((r) => toSecret(r, r.preview ?? null));
  }

  async byNames(tenantId: string, names: string[]): Promise<SecretMeta[]> {
    if (names.length === 0) return [];
    const rows = await this.base().where('secrets.tenant_id', '=', tenantId).where('secrets.name', 'in', names).execute();
    return rows.map((r) => toSecret(r, r.preview ?? null));
  }

  async autoBound(tenantId: string): Promise<SecretMeta[]> {
    const rows = await this.base().where('secrets.tenant_id', '=', tenantId).where('secrets.auto_bind', '=', 1).execute();
    return rows.map((r) => toSecret(r, r.preview ?? null));
  }

  async list(tenantId: string, f: SecretFilter = {}): Promise<Page<SecretMeta>> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    let q = this.base().where('secrets.tenant_id', '=', tenantId);
    if (f.namePrefix) q = q.where('secrets.name', '>=', f.namePrefix).where('secrets.name', '<', `${f.namePrefix}\uffff`);
    if (f.scope) q = q.where('secrets.scope', '=', f.scope);
    if (f.provider) q = q.where('secrets.provider', '=', f.provider);
    if (f.visible) {
      const visible = f.visible;
      if (visible.length === 0) return { data: [], nextCursor: null };
      q = q.where((eb) => eb.or(visible.map((v) => eb.and([eb('secrets.scope', '=', v.scope), eb('secrets.scope_ref', '=', v.ref)]))));
    }
    const after = decodeCursor(f.cursor);
    if (after && after.length === 2) {
      const [n, id] = after as [string, string];
      q = q.where((eb) => eb.or([eb('secrets.name', '>', n), eb.and([eb('secrets.name', '=', n), eb('secrets.id', '>', id)])]));
    }
    const rows = await q.orderBy('secrets.name').orderBy('secrets.id').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map((r) => toSecret(r, r.preview ?? null));
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.name, last.id]) : null };
  }

  async update(tenantId: string, id: string, patch: SecretPatch, at: string): Promise<void> {
    const set: Record<string, unknown> = { updated_at: at };
    if (patch.hosts !== undefined) set.hosts = JSON.stringify(patch.hosts);
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.exposeAs !== undefined) set.expose_as = patch.exposeAs;
    if (patch.allowInsecureHttp !== undefined) set.allow_insecure_http = flag(patch.allowInsecureHttp);
    if (patch.bodyPlaceholders !== undefined) set.body_placeholders = flag(patch.bodyPlaceholders);
    if (patch.autoBind !== undefined) set.auto_bind = flag(patch.autoBind);
    await this.db.updateTable('secrets').set(set).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  }

  /**
   * Adds version current+1 and makes it current; call inside a transaction. The caller encrypted
   * `b` for exactly that version. Throws VersionConflictError when the secret is no longer at
   * `version - 1`. The pointer moves first: a stale call then writes nothing, and on PostgreSQL a
   * concurrent rotation waits on the row lock and finds the version moved instead of colliding.
   */
  async addVersion(tenantId: string, id: string, version: number, b: VersionBlobs, at: string, by: string | null): Promise<void> {
    const r = await this.db
      .updateTable('secrets')
      .set({ current_version: version, updated_at: at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('current_version', '=', version - 1)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new VersionConflictError(id, version);
    try {
      await this.insertVersion(tenantId, id, version, b, at, by);
    } catch (e) {
      if (isUniqueViolation(e)) throw new VersionConflictError(id, version);
      throw e;
    }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    await this.db.deleteFrom('secret_versions').where('tenant_id', '=', tenantId).where('secret_id', '=', id).execute();
    const r = await this.db.deleteFrom('secrets').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async versions(tenantId: string, id: string): Promise<SecretVersionMeta[]> {
    const rows = await this.db
      .selectFrom('secret_versions')
      .select(['secret_id', 'version', 'preview', 'created_at', 'created_by'])
      .where('tenant_id', '=', tenantId)
      .where('secret_id', '=', id)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toVersion);
  }

  async blobs(tenantId: string, id: string, version: number): Promise<VersionBlobs | null> {
    const r = await this.db
      .selectFrom('secret_versions')
      .select(['value_blob', 'username_blob', 'preview'])
      .where('tenant_id', '=', tenantId)
      .where('secret_id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? { valueBlob: r.value_blob, usernameBlob: r.username_blob, preview: r.preview } : null;
  }

  async touch(ids: string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('secrets').set({ last_used_at: at }).where('id', 'in', ids).execute();
  }

  async count(tenantId: string): Promise<number> {
    const r = await this.db.selectFrom('secrets').select((eb) => eb.fn.countAll<number>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
