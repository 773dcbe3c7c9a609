import type { Selectable } from 'kysely';
import type {
  ApiKey, ApiKeyKind, ApiScope, AuditEvent, Binding, BindingMode, EgressDecision, EgressEvent, Outcome, Role,
  Sandbox, Scope, SecretMeta, SecretType, SecretVersionMeta, Tenant, User, Workspace,
} from '../core/types.js';
import type {
  ApiKeysTable, AuditEventsTable, BindingsTable, EgressEventsTable, SandboxesTable, SecretsTable,
  SecretVersionsTable, TenantsTable, UsersTable, WorkspacesTable,
} from './schema.js';

/** Row → domain mappers; the only place that knows how flags and JSON are stored. */
export const toTenant = (r: Selectable<TenantsTable>): Tenant => ({ id: r.id, name: r.name, createdAt: r.created_at });

export const toWorkspace = (r: Selectable<WorkspacesTable>): Workspace => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, createdAt: r.created_at,
});

export const toUser = (r: Selectable<UsersTable>): User => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, email: r.email, role: r.role as Role, createdAt: r.created_at,
});

export const toApiKey = (r: Selectable<ApiKeysTable>): ApiKey => ({
  id: r.id, tenantId: r.tenant_id, userId: r.user_id, workspaceId: r.workspace_id, name: r.name,
  kind: r.kind as ApiKeyKind, prefix: r.prefix, scopes: JSON.parse(r.scopes) as ApiScope[],
  createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at, revokedAt: r.revoked_at,
});

export const toSecret = (r: Selectable<SecretsTable>, preview: string | null): SecretMeta => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, type: r.type as SecretType, provider: r.provider,
  scope: r.scope as Scope, scopeRef: r.scope_ref, hosts: JSON.parse(r.hosts) as string[], exposeAs: r.expose_as,
  description: r.description, preview, version: Number(r.current_version),
  allowInsecureHttp: Boolean(r.allow_insecure_http), bodyPlaceholders: Boolean(r.body_placeholders),
  autoBind: Boolean(r.auto_bind), createdAt: r.created_at, updatedAt: r.updated_at, lastUsedAt: r.last_used_at,
  createdBy: r.created_by,
});

export const toVersion = (r: Pick<Selectable<SecretVersionsTable>, 'secret_id' | 'version' | 'preview' | 'created_at' | 'created_by'>): SecretVersionMeta => ({
  secretId: r.secret_id, version: Number(r.version), preview: r.preview, createdAt: r.created_at, createdBy: r.created_by,
});

export const toSandbox = (r: Selectable<SandboxesTable>): Sandbox => ({
  id: r.id, tenantId: r.tenant_id, name: r.name, workspaceId: r.workspace_id, userId: r.user_id,
  externalWorkspace: r.external_workspace, externalUser: r.external_user, sessionId: r.session_id,
  egress: JSON.parse(r.egress), env: JSON.parse(r.env), ephemeral: Boolean(r.ephemeral),
  createdAt: r.created_at, createdBy: r.created_by,
});

export const toBinding = (r: Selectable<BindingsTable>): Binding => ({
  id: r.id, sandboxId: r.sandbox_id, tenantId: r.tenant_id, envName: r.env_name, secretName: r.secret_name,
  mode: r.mode as BindingMode, createdAt: r.created_at,
});

export const toAudit = (r: Selectable<AuditEventsTable>): AuditEvent => ({
  id: r.id, tenantId: r.tenant_id, seq: Number(r.seq), at: r.at, requestId: r.request_id, apiKeyId: r.api_key_id,
  actor: r.actor, workspaceId: r.workspace_id, externalWorkspace: r.external_workspace, externalUser: r.external_user,
  action: r.action, target: r.target, outcome: r.outcome as Outcome, details: JSON.parse(r.details),
  prevHash: r.prev_hash, hash: r.hash,
});

export const toEgress = (r: Selectable<EgressEventsTable>): EgressEvent => ({
  id: r.id, tenantId: r.tenant_id, sandboxId: r.sandbox_id, at: r.at, method: r.method,
  scheme: r.scheme as 'http' | 'https', host: r.host, port: Number(r.port), path: r.path, status: r.status,
  bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out), durationMs: Number(r.duration_ms),
  decision: r.decision as EgressDecision, reason: r.reason, secrets: JSON.parse(r.secrets),
});

export const flag = (b: boolean | undefined): number => (b ? 1 : 0);

/** Opaque list cursors: base64url of the sort key of the last row returned. */
export function encodeCursor(parts: Array<string | number>): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null): Array<string | number> | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}
