import type { AuditEvent, Page } from '../core/types.js';
import type { AuditFilter } from '../store/repos/audit.js';
import type { ChainReport } from '../store/repos/audit.js';
import type { ServiceDeps } from './deps.js';
import { requireScope, type Actor } from './actor.js';

/** Reading and verifying the audit log. Rows are written by the services, never here. */
export class AuditService {
  constructor(private readonly d: ServiceDeps) {}

  async list(actor: Actor, f: AuditFilter): Promise<Page<AuditEvent>> {
    requireScope(actor, 'audit:read');
    const filter: AuditFilter = { ...f, apiKeyIds: undefined };
    // A workspace-limited key sees its workspace's rows only.
    if (actor.workspaceId) filter.workspaceId = actor.workspaceId;
    // A member sees the rows of their own keys only: other rows name other users' private
    // (user-scoped) secrets, their hosts and sandboxes, which members may not list otherwise.
    if (actor.role !== 'admin') {
      filter.apiKeyIds = (await this.d.store.apiKeys.list(actor.tenantId, { userId: actor.userId, includeRevoked: true })).map((k) => k.id);
    }
    return this.d.store.audit.list(actor.tenantId, filter);
  }

  async verify(actor: Actor): Promise<ChainReport> {
    requireScope(actor, 'audit:read');
    return this.d.store.audit.verify(actor.tenantId);
  }
}
