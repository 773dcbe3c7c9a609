import type { ApiScope, Role } from '../core/types.js';
import type { NewAuditEvent } from '../store/repos/audit.js';
import type { Outcome } from '../core/types.js';
import { randomId } from '../crypto/tokens.js';
import { StandinError } from '../core/errors.js';

/** Who is acting: resolved from an API key (or a dashboard session backed by one). */
export interface Actor {
  tenantId: string;
  userId: string;
  role: Role;
  apiKeyId: string | null;
  /** The workspace the key is limited to, if any. */
  workspaceId: string | null;
  scopes: readonly ApiScope[];
  requestId: string | null;
  /** Human label for audit rows, e.g. `user:usr_… via key:key_…`. */
  label: string;
}

export function hasScope(actor: Actor, scope: ApiScope): boolean {
  return actor.scopes.includes(scope) || actor.scopes.includes('admin');
}

/** Throws 403 `missing_scope` naming the scope the call needs. */
export function requireScope(actor: Actor, scope: ApiScope): void {
  if (!hasScope(actor, scope)) {
    throw new StandinError('missing_scope', `this API key lacks the scope "${scope}"`, { requiredScope: scope });
  }
}

export function requireAdmin(actor: Actor, what: string): void {
  if (actor.role !== 'admin') throw new StandinError('forbidden', `only an admin may ${what}`);
}

/** An audit row for `actor` doing `action` on `target`. */
export function auditRow(
  actor: Actor,
  action: string,
  target: string | null,
  details: Record<string, unknown> = {},
  outcome: Outcome = 'success',
  extra: Partial<Pick<NewAuditEvent, 'externalWorkspace' | 'externalUser' | 'workspaceId'>> = {},
): NewAuditEvent {
  return {
    id: randomId('aud_'),
    tenantId: actor.tenantId,
    at: new Date().toISOString(),
    requestId: actor.requestId,
    apiKeyId: actor.apiKeyId,
    actor: actor.label,
    workspaceId: extra.workspaceId ?? actor.workspaceId,
    externalWorkspace: extra.externalWorkspace ?? null,
    externalUser: extra.externalUser ?? null,
    action,
    target,
    outcome,
    details,
  };
}
