import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { Role, Tenant, User, Workspace } from '../../core/types.js';
import { toTenant, toUser, toWorkspace } from '../rows.js';

/** Tenants, workspaces and users. */
export class TenancyRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createTenant(t: { id: string; name: string; wrappedDek: Uint8Array; createdAt: string }): Promise<Tenant> {
    await this.db.insertInto('tenants').values({ id: t.id, name: t.name, wrapped_dek: t.wrappedDek, created_at: t.createdAt }).execute();
    return { id: t.id, name: t.name, createdAt: t.createdAt };
  }

  async getTenant(id: string): Promise<Tenant | null> {
    const r = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toTenant(r) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.db.selectFrom('tenants').selectAll().orderBy('created_at').execute()).map(toTenant);
  }

  async countTenants(): Promise<number> {
    const r = await this.db.selectFrom('tenants').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async wrappedDek(tenantId: string): Promise<Uint8Array | null> {
    const r = await this.db.selectFrom('tenants').select('wrapped_dek').where('id', '=', tenantId).executeTakeFirst();
    return r ? r.wrapped_dek : null;
  }

  async allWrappedDeks(): Promise<Array<{ id: string; wrappedDek: Uint8Array }>> {
    const rows = await this.db.selectFrom('tenants').select(['id', 'wrapped_dek']).execute();
    return rows.map((r) => ({ id: r.id, wrappedDek: r.wrapped_dek }));
  }

  async setWrappedDek(tenantId: string, blob: Uint8Array): Promise<void> {
    await this.db.updateTable('tenants').set({ wrapped_dek: blob }).where('id', '=', tenantId).execute();
  }

  async createWorkspace(w: Workspace): Promise<Workspace> {
    await this.db.insertInto('workspaces').values({ id: w.id, tenant_id: w.tenantId, name: w.name, created_at: w.createdAt }).execute();
    return w;
  }

  async getWorkspace(tenantId: string, idOrName: string): Promise<Workspace | null> {
    const r = await this.db
      .selectFrom('workspaces')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    return r ? toWorkspace(r) : null;
  }

  async listWorkspaces(tenantId: string): Promise<Workspace[]> {
    return (await this.db.selectFrom('workspaces').selectAll().where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute()).map(toWorkspace);
  }

  async createUser(u: User): Promise<User> {
    await this.db
      .insertInto('users')
      .values({ id: u.id, tenant_id: u.tenantId, name: u.name, email: u.email, role: u.role, created_at: u.createdAt })
      .execute();
    return u;
  }

  async getUser(tenantId: string, id: string): Promise<User | null> {
    const r = await this.db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async listUsers(tenantId: string, role?: Role): Promise<User[]> {
    let q = this.db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
    if (role) q = q.where('role', '=', role);
    return (await q.orderBy('created_at').orderBy('id').execute()).map(toUser);
  }
}
