/**
 * Request and response shapes of the standin REST API. Domain records are reused from the server
 * (type-only imports, erased at build time) minus the fields the API never returns.
 */
import type {
  ApiKey, ApiScope, AuditEvent, BindingMode, EgressEvent, Page, Sandbox, Scope, SecretMeta, SecretType,
  SecretVersionMeta, User, Workspace,
} from '../src/core/types.js';
import type { Provider } from '../src/core/providers.js';

export type { ApiScope, BindingMode, Page, Provider, Scope, SecretType };

/** Secret metadata as the API returns it. Never holds a value. */
export type Secret = Omit<SecretMeta, 'tenantId' | 'createdBy'>;
export type SecretVersion = Omit<SecretVersionMeta, 'secretId'>;
export type ApiKeyInfo = Omit<ApiKey, 'tenantId'>;
/** A freshly created API key: `key` is in this response only. */
export type CreatedApiKey = ApiKeyInfo & { key: string };
export type AuditEntry = Omit<AuditEvent, 'tenantId'>;
export type SandboxInfo = Omit<Sandbox, 'tenantId' | 'createdBy'>;
export type EgressEntry = Omit<EgressEvent, 'tenantId'>;
export type WorkspaceInfo = Omit<Workspace, 'tenantId'>;
export type UserInfo = Omit<User, 'tenantId'>;

/** Selects a secret's scope when `{id}` is a name that exists at several scopes. */
export interface ScopeSelector {
  scope?: Scope;
  scopeId?: string;
}

export interface CreateSecretInput {
  name: string;
  /** Write-only. Refused when empty, over 64 KiB, or containing CR, LF or NUL. */
  value: string;
  /** For type `basic`. */
  username?: string;
  type?: SecretType;
  provider?: string | null;
  hosts?: string[];
  scope?: Scope;
  scopeId?: string;
  exposeAs?: string;
  description?: string | null;
  allowInsecureHttp?: boolean;
  bodyPlaceholders?: boolean;
  autoBind?: boolean;
  /** `rotate`: when the name exists at this scope, store the value as its next version. */
  ifExists?: 'error' | 'rotate';
}

export interface UpdateSecretInput {
  hosts?: string[];
  description?: string | null;
  exposeAs?: string;
  allowInsecureHttp?: boolean;
  bodyPlaceholders?: boolean;
  autoBind?: boolean;
}

export interface RotateSecretInput {
  value: string;
  username?: string;
}

export interface PageParams {
  cursor?: string;
  limit?: number;
}

export interface ListSecretsParams extends PageParams {
  prefix?: string;
  scope?: Scope;
  provider?: string;
}

/** The coordinates a name is resolved for (DESIGN.md §4). */
export interface Coordinates {
  workspaceId?: string;
  userId?: string;
  externalWorkspace?: string;
  externalUser?: string;
  sessionId?: string;
  sandboxId?: string;
}

export interface Explanation {
  name: string;
  steps: Array<{ scope: Scope; scopeRef: string | null; status: 'hit' | 'shadowed' | 'miss' | 'not_applicable'; secretId: string | null }>;
  resolved: { scope: Scope; scopeRef: string; secretId: string | null; version: number | null } | null;
  reason: string;
}

export interface CreateApiKeyInput {
  name: string;
  scopes?: ApiScope[];
  userId?: string;
  workspaceId?: string | null;
  kind?: 'live' | 'test';
  /** ISO-8601 time. */
  expiresAt?: string | null;
}

export interface AuditListParams extends PageParams {
  apiKeyId?: string;
  workspaceId?: string;
  /** Exact action, or a prefix ending in `*` (`secrets.*`). */
  action?: string;
  target?: string;
  since?: string;
  until?: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  rows: number;
  brokenAt: { seq: number; id: string; reason: string } | null;
}

export interface CreateSandboxInput {
  name?: string | null;
  workspaceId?: string | null;
  userId?: string | null;
  externalWorkspace?: string | null;
  externalUser?: string | null;
  sessionId?: string | null;
  /** ENV_NAME → secret name, bound in proxy mode (the env var holds a placeholder). */
  secrets?: Record<string, string>;
  /** Secrets whose real value is put into the env at creation: `name` or `ENV=name`. */
  inject?: string[];
  env?: Record<string, string>;
  egress?: { allowHosts?: string[] | null };
  ephemeral?: boolean;
}

export interface Binding {
  envName: string;
  secretName: string;
  mode: BindingMode;
  resolved: { secretId: string; scope: string; scopeRef: string; version: number } | null;
}

/** A created sandbox. `env` and `proxyUrl` hold credentials that are shown only here. */
export interface CreatedSandbox {
  id: string;
  sandbox: SandboxInfo;
  bindings: Binding[];
  env: Record<string, string>;
  proxyUrl: string;
  caCertPem: string;
}

export type SandboxDetail = SandboxInfo & { bindings: Binding[] };

export interface EgressListParams extends PageParams {
  decision?: 'allowed' | 'blocked' | 'error';
}

/** A session secret: a bare value, or a value with its hosts / provider / env name. */
export type SessionSecretInput = string | { value: string; hosts?: string[]; provider?: string; exposeAs?: string };

export interface SessionSecretInfo {
  name: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CreateUserInput {
  name: string;
  email?: string | null;
  role?: 'admin' | 'member';
}
