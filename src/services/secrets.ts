import { SCOPES, SECRET_TYPES, type Coordinates, type Scope, type ScopeRef, type SecretMeta, type SecretType, type SecretVersionMeta, type Page, type EgressEvent } from '../core/types.js';
import { StandinError, conflict, notFound } from '../core/errors.js';
import { SecretValue } from '../core/secret-value.js';
import { defaultExposeAs, validateEnvName, validateSecretName, validateValue } from '../core/names.js';
import { explainResolution, type ResolutionStep } from '../core/scope.js';
import { getProvider } from '../core/providers.js';
import { randomId } from '../crypto/tokens.js';
import type { Tx } from '../store/store.js';
import type { SecretFilter, SecretPatch, VersionBlobs } from '../store/repos/secrets.js';
import { VersionConflictError, isUniqueViolation } from '../store/errors.js';
import type { ServiceDeps } from './deps.js';
import { auditRow, requireScope, type Actor } from './actor.js';
import { SecretAccess } from './secret-access.js';
import { normalizeHostRules } from './host-input.js';

export interface CreateSecretInput {
  name: string;
  /** Write-only. Refused when empty, over 64 KiB, or containing CR, LF or NUL. */
  value: string;
  /** For `basic` secrets: the user name sent with the value as password. */
  username?: string;
  type?: SecretType;
  provider?: string | null;
  hosts?: string[];
  scope?: Scope;
  /** The id inside the scope (workspace id or name, user id, external id, session id, sandbox id). */
  scopeId?: string;
  exposeAs?: string;
  description?: string | null;
  allowInsecureHttp?: boolean;
  bodyPlaceholders?: boolean;
  autoBind?: boolean;
  /** `rotate`: when the name exists at that scope, store the value as its next version instead of a 409. */
  ifExists?: 'error' | 'rotate';
}

export type UpdateSecretInput = SecretPatch;

export interface RotateSecretInput {
  value: string;
  /** For `basic` secrets: a new user name; the current one is kept when left out. */
  username?: string;
}

/** How a name resolves for some coordinates, level by level (DESIGN.md §4). Ids only of secrets the caller may read. */
export interface Explanation {
  name: string;
  steps: Array<ResolutionStep & { secretId: string | null }>;
  resolved: { scope: Scope; scopeRef: string; secretId: string | null; version: number | null } | null;
  reason: string;
}

/** Shows the last 4 characters only of values long enough that 4 characters give little away. */
export const PREVIEW_MIN_LENGTH = 12;
export function previewOf(value: string): string | null {
  return value.length >= PREVIEW_MIN_LENGTH ? value.slice(-4) : null;
}

export function checkValue(value: unknown, field = 'value'): string {
  if (typeof value !== 'string') throw new StandinError('invalid_value', `${field} must be a string`, { field });
  const problem = validateValue(value);
  if (problem) throw new StandinError('invalid_value', `${field}: ${problem}`, { field });
  return value;
}

/** Secrets: write-only values, immutable versions, scopes. No method here returns a value. */
export class SecretsService {
  readonly access: SecretAccess;

  constructor(private readonly d: ServiceDeps) {
    this.access = new SecretAccess(d.store);
  }

  async create(actor: Actor, input: CreateSecretInput): Promise<{ secret: SecretMeta; rotated: boolean }> {
    requireScope(actor, 'secrets:write');
    const nameProblem = validateSecretName(input.name);
    if (nameProblem) throw new StandinError('validation_failed', nameProblem, { field: 'name' });
    const value = checkValue(input.value);
    const type = input.type ?? 'token';
    if (!SECRET_TYPES.includes(type)) throw new StandinError('validation_failed', `type must be one of ${SECRET_TYPES.join(', ')}`, { field: 'type' });
    const username = type === 'basic' ? checkValue(input.username, 'username') : undefined;
    if (type !== 'basic' && input.username !== undefined) throw new StandinError('validation_failed', 'username is only for type "basic"', { field: 'username' });

    let provider: string | null = null;
    let hosts = input.hosts;
    if (input.provider) {
      const p = getProvider(input.provider);
      if (!p) throw new StandinError('validation_failed', `unknown provider "${input.provider}"; GET /v1/providers lists them`, { field: 'provider' });
      provider = p.id;
      hosts ??= [...p.hosts];
    }
    const normalizedHosts = normalizeHostRules(hosts ?? []);
    // With a provider, its conventional env name (OPENAI_API_KEY) beats the name-derived one.
    const exposeAs = input.exposeAs ?? (provider ? getProvider(provider)?.exposeAs : undefined) ?? defaultExposeAs(input.name);
    const envProblem = validateEnvName(exposeAs);
    if (envProblem) throw new StandinError('validation_failed', `exposeAs: ${envProblem}`, { field: 'exposeAs' });

    const requested: ScopeRef = input.scope
      ? { scope: this.#scope(input.scope), ref: input.scopeId ?? '' }
      : this.access.defaultScope(actor);
    const at = await this.access.assertWritable(actor, requested);

    const existing = await this.d.store.secrets.getAt(actor.tenantId, at, input.name);
    if (existing) {
      if (input.ifExists !== 'rotate') {
        throw conflict(`a secret named "${input.name}" already exists at scope ${at.scope}; rotate it, or send "ifExists": "rotate"`, { id: existing.id });
      }
      return { secret: await this.rotate(actor, existing.id, { value, username }), rotated: true };
    }

    const now = new Date().toISOString();
    const meta: SecretMeta = {
      id: randomId('sec_'), tenantId: actor.tenantId, name: input.name, type, provider, scope: at.scope, scopeRef: at.ref,
      hosts: normalizedHosts, exposeAs, description: input.description ?? null, preview: previewOf(value), version: 1,
      allowInsecureHttp: input.allowInsecureHttp ?? false, bodyPlaceholders: input.bodyPlaceholders ?? false,
      autoBind: input.autoBind ?? false, createdAt: now, updatedAt: now, lastUsedAt: null, createdBy: actor.userId,
    };
    const blobs = await this.#encrypt(meta.tenantId, meta.id, 1, value, username);
    let created: SecretMeta;
    try {
      created = await this.d.store.transaction(async (tx) => {
        const s = await tx.secrets.create(meta, blobs);
        await tx.audit.append(auditRow(actor, 'secrets.create', meta.id, { name: meta.name, scope: meta.scope, scopeRef: meta.scopeRef, version: 1, hosts: meta.hosts }));
        this.#changed(tx, s);
        return s;
      });
    } catch (e) {
      // A concurrent create of the same name at the same scope won the race after our check.
      if (!isUniqueViolation(e)) throw e;
      const winner = await this.d.store.secrets.getAt(actor.tenantId, at, input.name);
      if (!winner) throw e;
      if (input.ifExists !== 'rotate') {
        throw conflict(`a secret named "${input.name}" already exists at scope ${at.scope}; rotate it, or send "ifExists": "rotate"`, { id: winner.id });
      }
      return { secret: await this.rotate(actor, winner.id, { value, username }), rotated: true };
    }
    this.d.scrubber.register(value);
    return { secret: created, rotated: false };
  }

  async list(actor: Actor, f: Omit<SecretFilter, 'visible'>): Promise<Page<SecretMeta>> {
    requireScope(actor, 'secrets:read');
    if (f.scope) this.#scope(f.scope);
    const visible = await this.access.visible(actor);
    return this.d.store.secrets.list(actor.tenantId, visible ? { ...f, visible } : f);
  }

  /** One secret by id, or by name at the caller's own scope (or the scope given). */
  async get(actor: Actor, idOrName: string, at?: { scope?: Scope; scopeId?: string }): Promise<SecretMeta> {
    requireScope(actor, 'secrets:read');
    return this.#find(actor, idOrName, at);
  }

  async update(actor: Actor, idOrName: string, patch: UpdateSecretInput, at?: { scope?: Scope; scopeId?: string }): Promise<SecretMeta> {
    requireScope(actor, 'secrets:write');
    const s = await this.#find(actor, idOrName, at);
    await this.access.assertWritable(actor, { scope: s.scope, ref: s.scopeRef });
    const clean: SecretPatch = {};
    if (patch.hosts !== undefined) clean.hosts = normalizeHostRules(patch.hosts);
    if (patch.description !== undefined) clean.description = patch.description;
    if (patch.exposeAs !== undefined) {
      const p = validateEnvName(patch.exposeAs);
      if (p) throw new StandinError('validation_failed', `exposeAs: ${p}`, { field: 'exposeAs' });
      clean.exposeAs = patch.exposeAs;
    }
    for (const k of ['allowInsecureHttp', 'bodyPlaceholders', 'autoBind'] as const) if (patch[k] !== undefined) clean[k] = patch[k];
    await this.d.store.transaction(async (tx) => {
      await tx.secrets.update(actor.tenantId, s.id, clean, new Date().toISOString());
      await tx.audit.append(auditRow(actor, 'secrets.update', s.id, { name: s.name, changed: Object.keys(clean) }));
      this.#changed(tx, s);
    });
    return (await this.d.store.secrets.get(actor.tenantId, s.id)) as SecretMeta;
  }

  /** Stores a new value as the next version; bindings keep their placeholders. */
  async rotate(actor: Actor, idOrName: string, input: RotateSecretInput, at?: { scope?: Scope; scopeId?: string }): Promise<SecretMeta> {
    requireScope(actor, 'secrets:write');
    const value = checkValue(input.value);
    const s = await this.#find(actor, idOrName, at);
    await this.access.assertWritable(actor, { scope: s.scope, ref: s.scopeRef });
    const username = s.type === 'basic' ? (input.username !== undefined ? checkValue(input.username, 'username') : await this.#currentUsername(s)) : undefined;
    // Retry once on a concurrent rotation: the version number is part of the ciphertext's AAD.
    for (let attempt = 0; ; attempt++) {
      const current = (await this.d.store.secrets.get(actor.tenantId, s.id)) ?? s;
      const version = current.version + 1;
      const blobs = await this.#encrypt(s.tenantId, s.id, version, value, username);
      try {
        await this.d.store.transaction(async (tx) => {
          await tx.secrets.addVersion(s.tenantId, s.id, version, blobs, new Date().toISOString(), actor.userId);
          await tx.audit.append(auditRow(actor, 'secrets.rotate', s.id, { name: s.name, version }));
          this.#changed(tx, s);
        });
        break;
      } catch (e) {
        // Only a lost race is retried; anything else (the audit row could not be written, the
        // database is down) is a real failure and must not turn into a 409.
        if (!(e instanceof VersionConflictError)) throw e;
        if (attempt >= 2) throw new StandinError('conflict', 'the secret was rotated concurrently; try again', undefined, { cause: e });
      }
    }
    this.d.scrubber.register(value);
    return (await this.d.store.secrets.get(actor.tenantId, s.id)) as SecretMeta;
  }

  async delete(actor: Actor, idOrName: string, at?: { scope?: Scope; scopeId?: string }): Promise<void> {
    requireScope(actor, 'secrets:write');
    const s = await this.#find(actor, idOrName, at);
    await this.access.assertWritable(actor, { scope: s.scope, ref: s.scopeRef });
    await this.d.store.transaction(async (tx) => {
      await tx.secrets.delete(actor.tenantId, s.id);
      await tx.audit.append(auditRow(actor, 'secrets.delete', s.id, { name: s.name, scope: s.scope, scopeRef: s.scopeRef }));
      this.#changed(tx, s);
    });
  }

  async versions(actor: Actor, idOrName: string, at?: { scope?: Scope; scopeId?: string }): Promise<SecretVersionMeta[]> {
    requireScope(actor, 'secrets:read');
    const s = await this.#find(actor, idOrName, at);
    return this.d.store.secrets.versions(actor.tenantId, s.id);
  }

  /** Recent egress events that swapped this secret into a request. */
  async usage(actor: Actor, idOrName: string, at?: { scope?: Scope; scopeId?: string }, limit = 50): Promise<EgressEvent[]> {
    requireScope(actor, 'secrets:read');
    const s = await this.#find(actor, idOrName, at);
    return this.d.store.egress.bySecret(actor.tenantId, s.id, { limit });
  }

  /** Which secret named `name` the coordinates resolve to, level by level. */
  async explain(actor: Actor, name: string, coords: Omit<Coordinates, 'tenantId'>): Promise<Explanation> {
    requireScope(actor, 'secrets:read');
    if (actor.role !== 'admin') {
      // A member explains only coordinates they could give a sandbox themselves: otherwise the
      // hit/miss walk tells them which private secrets other users and platform sessions hold.
      if (coords.userId && coords.userId !== actor.userId) throw new StandinError('forbidden', "a user key may only explain its own user's coordinates", { field: 'userId' });
      if (coords.externalWorkspace || coords.externalUser || coords.sessionId) {
        throw new StandinError('forbidden', 'only an admin key may explain external ids or sessions');
      }
      if (coords.sandboxId && !(await this.access.canRead(actor, { scope: 'sandbox', scopeRef: coords.sandboxId }))) throw notFound(`sandbox ${JSON.stringify(coords.sandboxId)}`);
    }
    const candidates = await this.d.store.secrets.byName(actor.tenantId, name);
    // Workspace secrets are stored under the workspace id; accept its name as everywhere else.
    if (coords.workspaceId) {
      const ws = await this.d.store.tenancy.getWorkspace(actor.tenantId, coords.workspaceId);
      if (ws) coords = { ...coords, workspaceId: ws.id };
    }
    const e = explainResolution(candidates, name, { ...coords, tenantId: actor.tenantId });
    const r = e.result;
    const readable = r.secret ? await this.access.canRead(actor, r.secret) : false;
    const steps = [];
    for (const st of e.steps) {
      const c = candidates.find((x) => x.scope === st.scope && x.scopeRef === st.scopeRef);
      steps.push({ ...st, secretId: c && (await this.access.canRead(actor, c)) ? c.id : null });
    }
    return {
      name,
      steps,
      resolved: r.secret
        ? { scope: r.scope, scopeRef: r.scopeRef, secretId: readable ? r.secret.id : null, version: readable ? r.secret.version : null }
        : null,
      reason: r.reason,
    };
  }

  /**
   * Decrypts a secret's current (or given) version. For the proxy's swap and env-mode injection
   * only; never reachable from an API route that returns its result.
   */
  async reveal(tenantId: string, secretId: string, version: number): Promise<{ value: SecretValue; username: SecretValue | null }> {
    const blobs = await this.d.store.secrets.blobs(tenantId, secretId, version);
    if (!blobs) throw notFound('secret version');
    const value = await this.d.cipher.decryptValue({ tenantId, secretId, version, field: 'value' }, Buffer.from(blobs.valueBlob));
    const username = blobs.usernameBlob
      ? await this.d.cipher.decryptValue({ tenantId, secretId, version, field: 'username' }, Buffer.from(blobs.usernameBlob))
      : null;
    this.d.scrubber.register(value.reveal());
    return { value, username };
  }

  async #currentUsername(s: SecretMeta): Promise<string | undefined> {
    return (await this.reveal(s.tenantId, s.id, s.version)).username?.reveal();
  }

  async #find(actor: Actor, idOrName: string, at?: { scope?: Scope; scopeId?: string }): Promise<SecretMeta> {
    let s: SecretMeta | null;
    if (/^sec_[0-9A-Za-z]+$/.test(idOrName) && !at?.scope) {
      s = await this.d.store.secrets.get(actor.tenantId, idOrName);
    } else {
      let where = at?.scope ? { scope: this.#scope(at.scope), ref: at.scopeId ?? '' } : this.access.defaultScope(actor);
      if (where.scope === 'workspace' && where.ref) {
        const ws = await this.d.store.tenancy.getWorkspace(actor.tenantId, where.ref);
        if (ws) where = { scope: 'workspace', ref: ws.id };
      }
      if (where.scope === 'user' && !where.ref) where = { scope: 'user', ref: actor.userId };
      s = await this.d.store.secrets.getAt(actor.tenantId, where, idOrName);
    }
    if (!s || !(await this.access.canRead(actor, s))) throw notFound(`secret ${JSON.stringify(idOrName)}`);
    return s;
  }

  #scope(scope: string): Scope {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new StandinError('validation_failed', `scope must be one of ${SCOPES.join(', ')}`, { field: 'scope' });
    return scope as Scope;
  }

  async #encrypt(tenantId: string, secretId: string, version: number, value: string, username?: string): Promise<VersionBlobs> {
    const valueBlob = await this.d.cipher.encryptValue({ tenantId, secretId, version, field: 'value' }, new SecretValue(value));
    const usernameBlob = username !== undefined ? await this.d.cipher.encryptValue({ tenantId, secretId, version, field: 'username' }, new SecretValue(username)) : null;
    return { valueBlob, usernameBlob, preview: previewOf(value) };
  }

  #changed(tx: Tx, s: Pick<SecretMeta, 'tenantId' | 'id' | 'name'>): void {
    tx.changed({ kind: 'secret', tenantId: s.tenantId, id: s.id, name: s.name });
  }
}
