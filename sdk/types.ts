/**
 * Request and response shapes of the standin REST API. Domain records and the services' input
 * types are reused from the server with type-only imports, erased at build time: the SDK stays
 * fetch-only and depends on nothing at run time. Types are defined here only where the wire shape
 * differs from the server's (fields the API never returns, query strings, ids added for clients).
 */
import type {
  ApiKey, ApiScope, AuditEvent, BindingMode, EgressEvent, Page, Sandbox, Scope, SecretMeta, SecretType,
  SecretVersionMeta, User, Workspace,
} from '../src/core/types.js';
import type { Provider } from '../src/core/providers.js';
import type { CreateSecretInput, Explanation, RotateSecretInput, UpdateSecretInput } from '../src/services/secrets.js';
import type { BindingView, CreateSandboxInput } from '../src/services/sandboxes.js';
import type { CreateKeyInput } from '../src/services/keys.js';
import type { CreateUserInput } from '../src/services/tenancy.js';
import type { SessionSecretInput } from '../src/services/sessions.js';
import type { ChainReport } from '../src/store/repos/audit.js';

export type { ApiScope, BindingMode, Page, Provider, Scope, SecretType };
export type { CreateSandboxInput, CreateSecretInput, CreateUserInput, Explanation, RotateSecretInput, SessionSecretInput, UpdateSecretInput };
/** The body of `POST /v1/api-keys`. */
export type CreateApiKeyInput = CreateKeyInput;
/** The report of `GET /v1/audit/verify`. */
export type AuditVerifyReport = ChainReport;
/** A sandbox's binding, and where its secret resolves now. */
export type Binding = BindingView;

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

export interface AuditListParams extends PageParams {
  apiKeyId?: string;
  workspaceId?: string;
  /** Exact action, or a prefix ending in `*` (`secrets.*`). */
  action?: string;
  target?: string;
  since?: string;
  until?: string;
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

export interface SessionSecretInfo {
  name: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

