/** Domain records shared by every layer. Timestamps are ISO-8601 strings (UTC). */

export const SCOPES = ['sandbox', 'session', 'external_user', 'external_workspace', 'user', 'workspace', 'tenant'] as const;
/** Where a secret lives; listed from most to least specific (DESIGN.md §4). */
export type Scope = (typeof SCOPES)[number];

export const SECRET_TYPES = ['token', 'basic'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

export const API_SCOPES = [
  'secrets:read',
  'secrets:write',
  /** Create sandboxes with env-mode bindings, i.e. put real values into an environment. */
  'secrets:inject',
  'sandboxes:read',
  'sandboxes:write',
  'audit:read',
  'keys:read',
  'keys:write',
  'admin',
] as const;
/** Permission an API key carries. `admin` manages workspaces, users and the keyring. */
export type ApiScope = (typeof API_SCOPES)[number];

export type Role = 'admin' | 'member';
export type ApiKeyKind = 'live' | 'test' | 'user';
export type BindingMode = 'proxy' | 'env';

export interface Tenant {
  id: string;
  name: string;
  createdAt: string;
}

export interface Workspace {
  id: string;
  tenantId: string;
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  tenantId: string;
  name: string;
  email: string | null;
  role: Role;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  userId: string;
  /** When set, the key acts only inside this workspace. */
  workspaceId: string | null;
  name: string;
  kind: ApiKeyKind;
  /** First 12 characters of the key, enough to recognise it, useless to use it. */
  prefix: string;
  scopes: ApiScope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * Where a secret lives: the scope plus the identifier inside it (workspace id, user id, external
 * id, session id or sandbox id; empty for `tenant`).
 */
export interface ScopeRef {
  scope: Scope;
  ref: string;
}

/** Secret metadata. Never holds a value. */
export interface SecretMeta {
  id: string;
  tenantId: string;
  name: string;
  type: SecretType;
  provider: string | null;
  scope: Scope;
  scopeRef: string;
  /** `host`, `host:port` or `*.domain[:port]`, lower-cased and IDNA-normalized. */
  hosts: string[];
  exposeAs: string;
  description: string | null;
  /** Last 4 characters of the current value, or null when the value is too short to show any. */
  preview: string | null;
  version: number;
  allowInsecureHttp: boolean;
  bodyPlaceholders: boolean;
  autoBind: boolean;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
  createdBy: string | null;
}

export interface SecretVersionMeta {
  secretId: string;
  version: number;
  preview: string | null;
  createdAt: string;
  createdBy: string | null;
}

/** The coordinates of a sandbox, used for scope resolution (DESIGN.md §4). */
export interface Coordinates {
  tenantId: string;
  workspaceId?: string | null;
  userId?: string | null;
  externalWorkspace?: string | null;
  externalUser?: string | null;
  sessionId?: string | null;
  sandboxId?: string | null;
}

export interface EgressPolicy {
  /** Hosts (same syntax as secret hosts) the sandbox may reach; null = any public host. */
  allowHosts: string[] | null;
}

export interface Sandbox {
  id: string;
  tenantId: string;
  name: string | null;
  workspaceId: string | null;
  userId: string | null;
  externalWorkspace: string | null;
  externalUser: string | null;
  sessionId: string | null;
  egress: EgressPolicy;
  /** Plain, non-secret environment variables. */
  env: Record<string, string>;
  ephemeral: boolean;
  createdAt: string;
  createdBy: string | null;
}

export interface Binding {
  id: string;
  sandboxId: string;
  tenantId: string;
  envName: string;
  secretName: string;
  mode: BindingMode;
  createdAt: string;
}

export type Outcome = 'success' | 'denied' | 'error';

export interface AuditEvent {
  id: string;
  tenantId: string;
  seq: number;
  at: string;
  requestId: string | null;
  apiKeyId: string | null;
  actor: string;
  workspaceId: string | null;
  externalWorkspace: string | null;
  externalUser: string | null;
  action: string;
  target: string | null;
  outcome: Outcome;
  /** Value-free facts: names, ids, versions, reasons. */
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type EgressDecision = 'allowed' | 'blocked' | 'error';

export interface SwappedSecret {
  binding: string;
  secret: string;
  version: number;
}

export interface EgressEvent {
  id: string;
  tenantId: string;
  sandboxId: string;
  at: string;
  method: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** Path without the query string: queries often carry credentials. */
  path: string;
  status: number | null;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  decision: EgressDecision;
  reason: string | null;
  secrets: SwappedSecret[];
}

/** One page of a list. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
