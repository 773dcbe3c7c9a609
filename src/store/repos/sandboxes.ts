import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Binding, Page, Sandbox } from '../../core/types.js';
import { decodeCursor, encodeCursor, flag, toBinding, toSandbox } from '../rows.js';

export interface NewBinding extends Binding {
  /** SHA-256 of the placeholder (proxy mode); null for env-mode bindings. */
  placeholderHash: string | null;
}

/** Sandboxes and their bindings. Proxy tokens and placeholders are stored only as hashes. */
export class SandboxesRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(s: Sandbox, proxyTokenHash: string, bindings: NewBinding[]): Promise<void> {
    await this.db
      .insertInto('sandboxes')
      .values({
        id: s.id, tenant_id: s.tenantId, name: s.name, workspace_id: s.workspaceId, user_id: s.userId,
        external_workspace: s.externalWorkspace, external_user: s.externalUser, session_id: s.sessionId,
        proxy_token_hash: proxyTokenHash, egress: JSON.stringify(s.egress), env: JSON.stringify(s.env),
        ephemeral: flag(s.ephemeral), created_at: s.createdAt, created_by: s.createdBy,
      })
      .execute();
    if (bindings.length) {
      await this.db
        .insertInto('bindings')
        .values(bindings.map((b) => ({
          id: b.id, sandbox_id: b.sandboxId, tenant_id: b.tenantId, env_name: b.envName, secret_name: b.secretName,
          mode: b.mode, placeholder_hash: b.placeholderHash, created_at: b.createdAt,
        })))
        .execute();
    }
  }

  async get(tenantId: string, id: string): Promise<Sandbox | null> {
    const r = await this.db.selectFrom('sandboxes').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return r ? toSandbox(r) : null;
  }

  /** The sandbox whose proxy credential hashes to `hash`; the caller re-compares in constant time. */
  async byProxyTokenHash(hash: string): Promise<{ sandbox: Sandbox; hash: string } | null> {
    const r = await this.db.selectFrom('sandboxes').selectAll().where('proxy_token_hash', '=', hash).executeTakeFirst();
    return r ? { sandbox: toSandbox(r), hash: r.proxy_token_hash } : null;
  }

  async byId(id: string): Promise<Sandbox | null> {
    const r = await this.db.selectFrom('sandboxes').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toSandbox(r) : null;
  }

  async list(tenantId: string, opts: { workspaceId?: string; userId?: string; cursor?: string | null; limit?: number } = {}): Promise<Page<Sandbox>> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 200);
    let q = this.db.selectFrom('sandboxes').selectAll().where('tenant_id', '=', tenantId);
    if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
    if (opts.userId) q = q.where('user_id', '=', opts.userId);
    const after = decodeCursor(opts.cursor);
    if (after && after.length === 2) {
      const [at, id] = after as [string, string];
      q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map(toSandbox);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    await this.db.deleteFrom('bindings').where('tenant_id', '=', tenantId).where('sandbox_id', '=', id).execute();
    const r = await this.db.deleteFrom('sandboxes').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async bindings(sandboxId: string): Promise<Binding[]> {
    return (await this.db.selectFrom('bindings').selectAll().where('sandbox_id', '=', sandboxId).orderBy('env_name').execute()).map(toBinding);
  }

  /** The binding a placeholder belongs to, found by the placeholder's hash. */
  async bindingByPlaceholderHash(hash: string): Promise<{ binding: Binding; hash: string } | null> {
    const r = await this.db.selectFrom('bindings').selectAll().where('placeholder_hash', '=', hash).executeTakeFirst();
    return r && r.placeholder_hash ? { binding: toBinding(r), hash: r.placeholder_hash } : null;
  }

  async countBindings(): Promise<number> {
    const r = await this.db.selectFrom('bindings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
