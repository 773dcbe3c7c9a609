import { API_SCOPES, type Role, type User, type Workspace } from '../core/types.js';
import { StandinError, conflict } from '../core/errors.js';
import { generateApiKey, hashToken, randomId, tokenPrefix } from '../crypto/tokens.js';
import type { ServiceDeps } from './deps.js';
import { auditRow, requireAdmin, requireScope, type Actor } from './actor.js';
import { isUniqueViolation } from '../store/errors.js';

export interface InitResult {
  tenantId: string;
  userId: string;
  apiKeyId: string;
  /** The first admin API key; shown once. */
  apiKey: string;
}

export interface CreateUserInput {
  name: string;
  email?: string | null;
  role?: Role;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** Tenants, workspaces and users, and the first-run bootstrap. */
export class TenancyService {
  constructor(private readonly d: ServiceDeps) {}

  async isInitialized(): Promise<boolean> {
    return (await this.d.store.tenancy.countTenants()) > 0;
  }

  /**
   * On an empty store: creates the tenant, an admin user and an admin key with every scope, in
   * one transaction with its audit row. Returns null when the store is already initialised, so
   * two instances starting together cannot both bootstrap.
   */
  async initialize(opts: { tenantName?: string; adminName?: string } = {}): Promise<InitResult | null> {
    const tenantId = randomId('ten_');
    const userId = randomId('usr_');
    const apiKeyId = randomId('key_');
    const apiKey = generateApiKey('live');
    const now = new Date().toISOString();
    const wrapped = this.d.cipher.newTenantKey(tenantId);
    try {
      return await this.d.store.transaction(async (tx) => {
        if ((await tx.tenancy.countTenants()) > 0) return null;
        await tx.tenancy.createTenant({ id: tenantId, name: opts.tenantName ?? 'default', wrappedDek: wrapped, createdAt: now });
        await tx.tenancy.createUser({ id: userId, tenantId, name: opts.adminName ?? 'admin', email: null, role: 'admin', createdAt: now });
        await tx.apiKeys.create(
          { id: apiKeyId, tenantId, userId, workspaceId: null, name: 'initial admin key', kind: 'live', prefix: tokenPrefix(apiKey),
            scopes: [...API_SCOPES], createdAt: now, lastUsedAt: null, expiresAt: null, revokedAt: null },
          hashToken(apiKey),
        );
        await tx.audit.append({
          id: randomId('aud_'), tenantId, at: now, requestId: null, apiKeyId: null, actor: 'system:init', workspaceId: null,
          externalWorkspace: null, externalUser: null, action: 'tenant.init', target: tenantId, outcome: 'success',
          details: { adminUserId: userId, apiKeyId },
        });
        return { tenantId, userId, apiKeyId, apiKey };
      });
    } catch (e) {
      // A concurrent initialiser won the race on another instance.
      if (await this.isInitialized()) return null;
      throw e;
    }
  }

  async createWorkspace(actor: Actor, name: string): Promise<Workspace> {
    requireScope(actor, 'admin');
    requireAdmin(actor, 'create workspaces');
    if (!NAME_RE.test(name)) throw new StandinError('validation_failed', 'workspace name must be 1–64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit', { field: 'name' });
    if (await this.d.store.tenancy.getWorkspace(actor.tenantId, name)) throw conflict(`workspace "${name}" already exists`);
    const ws: Workspace = { id: randomId('wsp_'), tenantId: actor.tenantId, name, createdAt: new Date().toISOString() };
    try {
      await this.d.store.transaction(async (tx) => {
        await tx.tenancy.createWorkspace(ws);
        await tx.audit.append(auditRow(actor, 'workspaces.create', ws.id, { name }));
      });
    } catch (e) {
      // A concurrent create of the same name won the race after our check.
      if (isUniqueViolation(e)) throw conflict(`workspace "${name}" already exists`);
      throw e;
    }
    return ws;
  }

  async listWorkspaces(actor: Actor): Promise<Workspace[]> {
    const all = await this.d.store.tenancy.listWorkspaces(actor.tenantId);
    return actor.workspaceId ? all.filter((w) => w.id === actor.workspaceId) : all;
  }

  async createUser(actor: Actor, input: CreateUserInput): Promise<User> {
    requireScope(actor, 'admin');
    requireAdmin(actor, 'create users');
    if (!NAME_RE.test(input.name)) throw new StandinError('validation_failed', 'user name must be 1–64 letters, digits, spaces, ".", "_" or "-"', { field: 'name' });
    const user: User = {
      id: randomId('usr_'), tenantId: actor.tenantId, name: input.name, email: input.email ?? null,
      role: input.role ?? 'member', createdAt: new Date().toISOString(),
    };
    await this.d.store.transaction(async (tx) => {
      await tx.tenancy.createUser(user);
      await tx.audit.append(auditRow(actor, 'users.create', user.id, { name: user.name, role: user.role }));
    });
    return user;
  }

  async listUsers(actor: Actor): Promise<User[]> {
    // The same scope as creating users: without it, any key of an admin user (a CI key holding
    // only audit:read, say) could enumerate every user and e-mail address of the tenant.
    requireScope(actor, 'admin');
    requireAdmin(actor, 'list users');
    return this.d.store.tenancy.listUsers(actor.tenantId);
  }
}
