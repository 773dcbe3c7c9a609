/**
 * The standin TypeScript client. Uses `fetch` only.
 *
 * ```ts
 * const standin = new Standin({ apiKey: process.env.STANDIN_API_KEY!, baseUrl: 'http://127.0.0.1:4780' });
 * await standin.secrets.create({ name: 'openai', value, provider: 'openai' });
 * for await (const s of standin.secrets.list()) console.log(s.name, s.version);
 * ```
 *
 * Values are write-only: nothing this client returns ever holds one.
 */
import { HttpClient, PageRequest, type ClientOptions, type Query } from './client.js';
import type {
  ApiKeyInfo, AuditEntry, AuditListParams, AuditVerifyReport, Coordinates, CreateApiKeyInput, CreateSandboxInput,
  CreateSecretInput, CreatedApiKey, CreatedSandbox, CreateUserInput, EgressEntry, EgressListParams, Explanation,
  ListSecretsParams, Page, PageParams, Provider, RotateSecretInput, SandboxDetail, SandboxInfo, ScopeSelector, Secret,
  SecretVersion, SessionSecretInfo, SessionSecretInput, UpdateSecretInput, UserInfo, WorkspaceInfo,
} from './types.js';

export { HttpClient, PageRequest, parseRetryAfter, type ClientOptions } from './client.js';
export { StandinApiError, StandinConnectionError } from './errors.js';
export type * from './types.js';

export type StandinOptions = ClientOptions;

/** One path segment: ids and names are escaped, and an empty one is a caller bug. */
function seg(v: string, what: string): string {
  if (typeof v !== 'string' || v === '') throw new TypeError(`${what} is required`);
  return encodeURIComponent(v);
}

const scopeQuery = (at?: ScopeSelector): Query => ({ scope: at?.scope, scopeId: at?.scopeId });

/** Secrets: metadata in, metadata out; the value goes in on create and rotate only. */
export class SecretsApi {
  constructor(private readonly http: HttpClient) {}

  /** Creates a secret (201); with `ifExists: 'rotate'` an existing one gets a new version. */
  create(input: CreateSecretInput): Promise<Secret> {
    return this.http.request('POST', '/v1/secrets', { body: input });
  }

  /** `await` for the first page, or `for await` over every secret. */
  list(params: ListSecretsParams = {}): PageRequest<Secret> {
    const { cursor, ...filters } = params;
    return PageRequest.start((c) => this.http.request<Page<Secret>>('GET', '/v1/secrets', { query: { ...filters, cursor: c } }), cursor);
  }

  /** One secret by id, or by name at the caller's own scope (or the scope given). */
  get(idOrName: string, at?: ScopeSelector): Promise<Secret> {
    return this.http.request('GET', `/v1/secrets/${seg(idOrName, 'secret id or name')}`, { query: scopeQuery(at) });
  }

  update(idOrName: string, patch: UpdateSecretInput, at?: ScopeSelector): Promise<Secret> {
    return this.http.request('PATCH', `/v1/secrets/${seg(idOrName, 'secret id or name')}`, { query: scopeQuery(at), body: patch });
  }

  /** Stores a new value as the next version; bindings keep their placeholders. */
  rotate(idOrName: string, input: RotateSecretInput | string, at?: ScopeSelector): Promise<Secret> {
    const body = typeof input === 'string' ? { value: input } : input;
    return this.http.request('POST', `/v1/secrets/${seg(idOrName, 'secret id or name')}/rotate`, { query: scopeQuery(at), body });
  }

  async delete(idOrName: string, at?: ScopeSelector): Promise<void> {
    await this.http.request('DELETE', `/v1/secrets/${seg(idOrName, 'secret id or name')}`, { query: scopeQuery(at) });
  }

  /** Versions, newest first (metadata only). */
  async versions(idOrName: string, at?: ScopeSelector): Promise<SecretVersion[]> {
    const page = await this.http.request<Page<SecretVersion>>('GET', `/v1/secrets/${seg(idOrName, 'secret id or name')}/versions`, { query: scopeQuery(at) });
    return page.data;
  }

  /** Recent egress events that used this secret, newest first. */
  async usage(idOrName: string, opts: ScopeSelector & { limit?: number } = {}): Promise<EgressEntry[]> {
    const page = await this.http.request<Page<EgressEntry>>('GET', `/v1/secrets/${seg(idOrName, 'secret id or name')}/usage`, {
      query: { ...scopeQuery(opts), limit: opts.limit },
    });
    return page.data;
  }

  /** How `name` resolves for the given coordinates, level by level. */
  explain(name: string, coords: Coordinates = {}): Promise<Explanation> {
    if (!name) throw new TypeError('name is required');
    return this.http.request('GET', '/v1/secrets/explain', { query: { name, ...coords } });
  }
}

/** Session-scoped secrets of one session id. */
export class SessionSecretsApi {
  constructor(private readonly http: HttpClient, private readonly sid: string) {}

  /** Upserts `{ NAME: value | { value, hosts, provider, exposeAs } }`; returns metadata. */
  async set(entries: Record<string, SessionSecretInput>): Promise<Secret[]> {
    const r = await this.http.request<{ data: Secret[] }>('POST', `/v1/sessions/${seg(this.sid, 'session id')}/secrets`, { body: entries });
    return r.data;
  }

  /** Names and timestamps only. */
  async list(): Promise<SessionSecretInfo[]> {
    return (await this.http.request<Page<SessionSecretInfo>>('GET', `/v1/sessions/${seg(this.sid, 'session id')}/secrets`)).data;
  }

  async delete(name: string): Promise<void> {
    await this.http.request('DELETE', `/v1/sessions/${seg(this.sid, 'session id')}/secrets/${seg(name, 'name')}`);
  }
}

export class ApiKeysApi {
  constructor(private readonly http: HttpClient) {}

  /** Issues a key; `key` in the result is shown this once and never again. */
  create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    return this.http.request('POST', '/v1/api-keys', { body: input });
  }

  /** Keys the caller may see; revoked ones (with `revokedAt` set) only with `includeRevoked`. */
  async list(opts: { includeRevoked?: boolean } = {}): Promise<ApiKeyInfo[]> {
    const query = opts.includeRevoked ? { includeRevoked: 'true' } : {};
    return (await this.http.request<Page<ApiKeyInfo>>('GET', '/v1/api-keys', { query })).data;
  }

  /** Revokes a key; its next request fails with 401. */
  async revoke(id: string): Promise<void> {
    await this.http.request('DELETE', `/v1/api-keys/${seg(id, 'key id')}`);
  }
}

export class AuditApi {
  constructor(private readonly http: HttpClient) {}

  /** Newest first; `await` for one page or `for await` over all rows. */
  list(params: AuditListParams = {}): PageRequest<AuditEntry> {
    const { cursor, ...filters } = params;
    return PageRequest.start((c) => this.http.request<Page<AuditEntry>>('GET', '/v1/audit', { query: { ...filters, cursor: c } }), cursor);
  }

  /** Checks the tenant's hash chain. */
  verify(): Promise<AuditVerifyReport> {
    return this.http.request('GET', '/v1/audit/verify');
  }
}

export class SandboxesApi {
  constructor(private readonly http: HttpClient) {}

  /** Creates a sandbox; the result's `env` and `proxyUrl` carry credentials shown only here. */
  create(input: CreateSandboxInput = {}): Promise<CreatedSandbox> {
    return this.http.request('POST', '/v1/sandboxes', { body: input });
  }

  list(params: PageParams = {}): PageRequest<SandboxInfo> {
    const { cursor, limit } = params;
    return PageRequest.start((c) => this.http.request<Page<SandboxInfo>>('GET', '/v1/sandboxes', { query: { limit, cursor: c } }), cursor);
  }

  get(id: string): Promise<SandboxDetail> {
    return this.http.request('GET', `/v1/sandboxes/${seg(id, 'sandbox id')}`);
  }

  /** Deletes a sandbox; its placeholders stop working on the next request. */
  async delete(id: string): Promise<void> {
    await this.http.request('DELETE', `/v1/sandboxes/${seg(id, 'sandbox id')}`);
  }

  /** The sandbox's network log, newest first. */
  egress(id: string, params: EgressListParams = {}): PageRequest<EgressEntry> {
    const { cursor, ...filters } = params;
    const path = `/v1/sandboxes/${seg(id, 'sandbox id')}/egress`;
    return PageRequest.start((c) => this.http.request<Page<EgressEntry>>('GET', path, { query: { ...filters, cursor: c } }), cursor);
  }
}

export class WorkspacesApi {
  constructor(private readonly http: HttpClient) {}
  create(name: string): Promise<WorkspaceInfo> {
    return this.http.request('POST', '/v1/workspaces', { body: { name } });
  }
  async list(): Promise<WorkspaceInfo[]> {
    return (await this.http.request<Page<WorkspaceInfo>>('GET', '/v1/workspaces')).data;
  }
}

export class UsersApi {
  constructor(private readonly http: HttpClient) {}
  create(input: CreateUserInput): Promise<UserInfo> {
    return this.http.request('POST', '/v1/users', { body: input });
  }
  async list(): Promise<UserInfo[]> {
    return (await this.http.request<Page<UserInfo>>('GET', '/v1/users')).data;
  }
}

export class ProvidersApi {
  constructor(private readonly http: HttpClient) {}
  async list(): Promise<Provider[]> {
    return (await this.http.request<Page<Provider>>('GET', '/v1/providers')).data;
  }
}

/** The client. See the module comment for an example. */
export class Standin {
  readonly secrets: SecretsApi;
  readonly apiKeys: ApiKeysApi;
  readonly audit: AuditApi;
  readonly sandboxes: SandboxesApi;
  readonly workspaces: WorkspacesApi;
  readonly users: UsersApi;
  readonly providers: ProvidersApi;
  readonly #http: HttpClient;

  constructor(opts: StandinOptions) {
    this.#http = new HttpClient(opts);
    this.secrets = new SecretsApi(this.#http);
    this.apiKeys = new ApiKeysApi(this.#http);
    this.audit = new AuditApi(this.#http);
    this.sandboxes = new SandboxesApi(this.#http);
    this.workspaces = new WorkspacesApi(this.#http);
    this.users = new UsersApi(this.#http);
    this.providers = new ProvidersApi(this.#http);
  }

  /** The API base URL this client talks to. */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** The session-scoped secrets of session `sid`. */
  sessions(sid: string): { secrets: SessionSecretsApi } {
    return { secrets: new SessionSecretsApi(this.#http, sid) };
  }

  /** `/healthz`: the process answers (no key needed). */
  health(): Promise<{ ok: boolean }> {
    return this.#http.request('GET', '/healthz', { auth: false });
  }

  /** `/readyz`: the database answers (no key needed). */
  ready(): Promise<{ ok: boolean }> {
    return this.#http.request('GET', '/readyz', { auth: false });
  }
}
