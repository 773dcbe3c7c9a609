import type { Scope, ScopeRef, SecretMeta } from '../core/types.js';
import { StandinError } from '../core/errors.js';
import type { Store } from '../store/store.js';
import type { Actor } from './actor.js';

/**
 * Who may see and write secrets at which scope. Admin keys without a workspace limit see and
 * write everything in the tenant; a workspace-limited admin key works inside its workspace;
 * members (user keys) read tenant and workspace secrets and their own user secrets, and write
 * only their own user secrets and secrets of sandboxes they created.
 */
export class SecretAccess {
  constructor(private readonly store: Store) {}

  /** The scope a new secret gets when the caller names none. */
  defaultScope(actor: Actor): ScopeRef {
    if (actor.role !== 'admin') return { scope: 'user', ref: actor.userId };
    if (actor.workspaceId) return { scope: 'workspace', ref: actor.workspaceId };
    return { scope: 'tenant', ref: '' };
  }

  /** The places whose secrets the caller may read, or null for "all of the tenant". */
  async visible(actor: Actor): Promise<ScopeRef[] | null> {
    if (actor.role === 'admin' && !actor.workspaceId) return null;
    const workspaces = actor.workspaceId ? [actor.workspaceId] : (await this.store.tenancy.listWorkspaces(actor.tenantId)).map((w) => w.id);
    const out: ScopeRef[] = [{ scope: 'tenant', ref: '' }, ...workspaces.map((ref) => ({ scope: 'workspace' as const, ref })), { scope: 'user', ref: actor.userId }];
    return out;
  }

  async canRead(actor: Actor, s: Pick<SecretMeta, 'scope' | 'scopeRef'>): Promise<boolean> {
    const v = await this.visible(actor);
    if (v === null) return true;
    if (v.some((x) => x.scope === s.scope && x.ref === s.scopeRef)) return true;
    if (actor.role === 'admin' && ['external_workspace', 'external_user', 'session'].includes(s.scope)) return true;
    if (s.scope === 'sandbox') return this.ownsSandbox(actor, s.scopeRef);
    return false;
  }

  /** Throws 403 unless the caller may create or change secrets at `at`; returns the canonical ref. */
  async assertWritable(actor: Actor, at: { scope: Scope; ref: string }): Promise<ScopeRef> {
    const deny = (why: string): never => {
      throw new StandinError('forbidden', why, { scope: at.scope });
    };
    switch (at.scope) {
      case 'tenant':
        if (actor.role !== 'admin' || actor.workspaceId) deny('only an admin key without a workspace limit may write tenant-wide secrets');
        return { scope: 'tenant', ref: '' };
      case 'workspace': {
        if (actor.role !== 'admin') deny('only an admin may write workspace secrets; a user key writes user-scoped secrets');
        const ws = await this.store.tenancy.getWorkspace(actor.tenantId, at.ref);
        if (!ws) throw new StandinError('not_found', `workspace ${JSON.stringify(at.ref)} not found`);
        if (actor.workspaceId && ws.id !== actor.workspaceId) deny('this key is limited to another workspace');
        return { scope: 'workspace', ref: ws.id };
      }
      case 'user': {
        const ref = at.ref || actor.userId;
        if (ref !== actor.userId && actor.role !== 'admin') deny("a user key may only write its own user's secrets");
        if (!(await this.store.tenancy.getUser(actor.tenantId, ref))) throw new StandinError('not_found', `user ${JSON.stringify(ref)} not found`);
        return { scope: 'user', ref };
      }
      case 'sandbox': {
        if (!(await this.ownsSandbox(actor, at.ref))) throw new StandinError('not_found', `sandbox ${JSON.stringify(at.ref)} not found`);
        return { scope: 'sandbox', ref: at.ref };
      }
      default:
        // Session and external scopes belong to the platform that runs sandboxes; a member key
        // writing one could plant a secret into another user's sandbox that shares the id.
        if (actor.role !== 'admin') deny(`only an admin key may write ${at.scope} secrets`);
        if (!at.ref) throw new StandinError('validation_failed', `scope ${at.scope} needs a scopeId`, { field: 'scopeId' });
        if (actor.workspaceId && at.scope !== 'session') deny('a workspace-limited key may not write external-scope secrets');
        return { scope: at.scope, ref: at.ref };
    }
  }

  private async ownsSandbox(actor: Actor, sandboxId: string): Promise<boolean> {
    const sb = await this.store.sandboxes.get(actor.tenantId, sandboxId);
    if (!sb) return false;
    if (actor.role === 'admin') return !actor.workspaceId || sb.workspaceId === actor.workspaceId;
    return sb.userId === actor.userId || sb.createdBy === actor.userId;
  }
}
