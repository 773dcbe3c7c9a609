import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ApiKey } from '../../core/types.js';
import { toApiKey } from '../rows.js';

/** API keys, stored only as SHA-256 hashes of the key. */
export class ApiKeysRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(k: ApiKey, keyHash: string): Promise<ApiKey> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: k.id, tenant_id: k.tenantId, user_id: k.userId, workspace_id: k.workspaceId, name: k.name, kind: k.kind,
        prefix: k.prefix, key_hash: keyHash, scopes: JSON.stringify(k.scopes), created_at: k.createdAt,
        last_used_at: null, expires_at: k.expiresAt, revoked_at: null,
      })
      .execute();
    return k;
  }

  /** The key whose hash is `keyHash`; the caller compares the hash again in constant time. */
  async byHash(keyHash: string): Promise<{ key: ApiKey; keyHash: string } | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
    return r ? { key: toApiKey(r), keyHash: r.key_hash } : null;
  }

  /** The key with this id in any tenant (a primary-key lookup), for re-authenticating a dashboard session. */
  async byId(id: string): Promise<ApiKey | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toApiKey(r) : null;
  }

  async get(tenantId: string, id: string): Promise<ApiKey | null> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return r ? toApiKey(r) : null;
  }

  async list(tenantId: string, opts: { userId?: string; includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    let q = this.db.selectFrom('api_keys').selectAll().where('tenant_id', '=', tenantId);
    if (opts.userId) q = q.where('user_id', '=', opts.userId);
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toApiKey);
  }

  async revoke(tenantId: string, id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async touch(ids: string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('api_keys').set({ last_used_at: at }).where('id', 'in', ids).execute();
  }
}
