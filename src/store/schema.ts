import type { Generated } from 'kysely';

/**
 * Table shapes, written once for SQLite and PostgreSQL. Portable column types only: text for
 * ids, timestamps (ISO-8601 UTC, so they sort as strings) and JSON; integer 0/1 for flags;
 * blob/bytea for ciphertext.
 */
export interface TenantsTable {
  id: string;
  name: string;
  wrapped_dek: Uint8Array;
  created_at: string;
  /** Seq of the last audit row of this tenant (0: none yet); moved by every append. */
  audit_seq: Generated<number>;
  /** Hash of that row (GENESIS_HASH when there is none): the anchor of the audit chain's head. */
  audit_head: Generated<string>;
}

export interface WorkspacesTable {
  id: string;
  tenant_id: string;
  name: string;
  created_at: string;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  name: string;
  email: string | null;
  role: string;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  user_id: string;
  workspace_id: string | null;
  name: string;
  kind: string;
  prefix: string;
  key_hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface SecretsTable {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  provider: string | null;
  scope: string;
  scope_ref: string;
  hosts: string;
  expose_as: string;
  description: string | null;
  current_version: number;
  allow_insecure_http: number;
  body_placeholders: number;
  auto_bind: number;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  created_by: string | null;
}

export interface SecretVersionsTable {
  secret_id: string;
  version: number;
  tenant_id: string;
  value_blob: Uint8Array;
  username_blob: Uint8Array | null;
  preview: string | null;
  created_at: string;
  created_by: string | null;
}

export interface SandboxesTable {
  id: string;
  tenant_id: string;
  name: string | null;
  workspace_id: string | null;
  user_id: string | null;
  external_workspace: string | null;
  external_user: string | null;
  session_id: string | null;
  proxy_token_hash: string;
  egress: string;
  env: string;
  ephemeral: number;
  created_at: string;
  created_by: string | null;
}

export interface BindingsTable {
  id: string;
  sandbox_id: string;
  tenant_id: string;
  env_name: string;
  secret_name: string;
  mode: string;
  placeholder_hash: string | null;
  created_at: string;
}

export interface AuditEventsTable {
  id: string;
  tenant_id: string;
  seq: number;
  at: string;
  request_id: string | null;
  api_key_id: string | null;
  actor: string;
  workspace_id: string | null;
  external_workspace: string | null;
  external_user: string | null;
  action: string;
  target: string | null;
  outcome: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface EgressEventsTable {
  id: string;
  tenant_id: string;
  sandbox_id: string;
  at: string;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  status: number | null;
  bytes_in: number;
  bytes_out: number;
  duration_ms: number;
  decision: string;
  reason: string | null;
  secrets: string;
}

/** One row per secret swapped into a request, so per-secret usage is an indexed lookup. */
export interface EgressSecretUsesTable {
  secret_id: string;
  event_id: string;
  tenant_id: string;
  at: string;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: number;
  count: number;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface Database {
  tenants: TenantsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  secrets: SecretsTable;
  secret_versions: SecretVersionsTable;
  sandboxes: SandboxesTable;
  bindings: BindingsTable;
  audit_events: AuditEventsTable;
  egress_events: EgressEventsTable;
  egress_secret_uses: EgressSecretUsesTable;
  rate_limits: RateLimitsTable;
  settings: SettingsTable;
}

export type { Generated };
