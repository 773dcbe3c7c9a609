import type { AuditEvent, Page } from '../core/types.js';
import type { AuditFilter } from '../store/repos/audit.js';
import { verifyChain, type ChainReport } from '../store/repos/audit.js';
import type { ServiceDeps } from './deps.js';
import { requireScope, type Actor } from './actor.js';

/** Reading and verifying the audit log. Rows are written by the services, never here. */
export class AuditService {
  constructor(private readonly d: ServiceDeps) {}

  async list(actor: Actor, f: AuditFilter): Promise<Page<AuditEvent>> {
    requireScope(actor, 'audit:read');
    // A workspace-limited key sees its workspace's rows only.
    const filter = actor.workspaceId ? { ...f, workspaceId: actor.workspaceId } : f;
    return this.d.store.audit.list(actor.tenantId, filter);
  }

  async verify(actor: Actor): Promise<ChainReport> {
    requireScope(actor, 'audit:read');
    return verifyChain(await this.d.store.audit.chain(actor.tenantId));
  }
}
