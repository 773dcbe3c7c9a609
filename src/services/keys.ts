import { API_SCOPES, type ApiKey, type ApiKeyKind, type ApiScope } from '../core/types.js';
import { StandinError, isStandinError, notFound } from '../core/errors.js';
import { apiKeyKind, generateApiKey, hashToken, randomId, tokenHashEquals, tokenPrefix, verifyTokenChecksum } from '../crypto/tokens.js';
import type { ServiceDeps } from './deps.js';
import type { NewAuditEvent } from '../store/repos/audit.js';
import { auditRow, requireScope, type Actor } from './actor.js';

export interface CreateKeyInput {
  name: string;
  scopes?: ApiScope[];
  /** Whose key it is; defaults to the caller. Only admins may name another user. */
  userId?: string;
  workspaceId?: string | null;
  kind?: 'live' | 'test';
  /** ISO-8601 time. */
  expiresAt?: string | null;
}

const KEY_ID_RE = /^key_[0-9A-Za-z]{1,64}$/;

/** Every scope a member's key may carry; admin-only scopes are left out. */
export const MEMBER_SCOPES: ApiScope[] = ['secrets:read', 'secrets:write', 'sandboxes:read', 'sandboxes:write', 'audit:read', 'keys:read', 'keys:write'];

/** API keys: issued once, stored as hashes, checked on every request. */
export class KeysService {
  // last_used_at is coalesced: at most one write per key per flush interval.
  readonly #lastUsed = new Map<string, string>();

  constructor(private readonly d: ServiceDeps) {}

  /**
   * Resolves a bearer token to an actor, or throws 401. The checksum is checked first so a typo
   * never costs a database lookup; the stored hash is compared again in constant time.
   */
  async authenticate(token: string | null | undefined, requestId: string | null): Promise<Actor> {
    return this.#actorFor(await this.#lookup(token), requestId);
  }

  /**
   * Resolves the id of an API key to an actor with the same checks as `authenticate` (revoked →
   * `key_revoked`, expired → `key_expired`, the user must exist), for dashboard sessions, which
   * keep the id of the key they signed in with rather than the key. One primary-key lookup and
   * nothing cached, so a revocation or expiry ends the session on its next request.
   */
  async authenticateById(keyId: string, requestId: string | null): Promise<Actor> {
    if (typeof keyId !== 'string' || !KEY_ID_RE.test(keyId)) throw new StandinError('unauthenticated', 'invalid API key');
    const key = await this.d.store.apiKeys.byId(keyId);
    if (!key) throw new StandinError('unauthenticated', 'invalid API key');
    return this.#actorFor(key, requestId);
  }

  /**
   * A dashboard sign-in: `authenticate`, plus an `auth.signin` audit row. A refused sign-in with
   * a key standin issued (revoked, expired, its user gone) is recorded as `denied` in that key's
   * tenant; a key that matches nothing has no tenant to record it in, so it is only refused.
   * Rows name the key by id, never the presented key or its hash.
   */
  async signIn(token: string | null | undefined, requestId: string | null): Promise<Actor> {
    const key = await this.#lookup(token);
    let actor: Actor;
    try {
      actor = await this.#actorFor(key, requestId);
    } catch (e) {
      if (!isStandinError(e)) throw e;
      await this.#record({
        id: randomId('aud_'), tenantId: key.tenantId, at: new Date().toISOString(), requestId, apiKeyId: key.id,
        actor: `user:${key.userId} key:${key.id}`, workspaceId: key.workspaceId, externalWorkspace: null, externalUser: null,
        action: 'auth.signin', target: key.id, outcome: 'denied', details: { channel: 'dashboard', reason: e.code },
      });
      throw e;
    }
    await this.#record(auditRow(actor, 'auth.signin', key.id, { channel: 'dashboard' }));
    return actor;
  }

  /** A dashboard sign-out: an `auth.signout` audit row for the session's key. */
  async signOut(actor: Actor): Promise<void> {
    await this.#record(auditRow(actor, 'auth.signout', actor.apiKeyId, { channel: 'dashboard' }));
  }

  // One transaction per row: the row commits, or the sign-in / sign-out fails with it.
  async #record(row: NewAuditEvent): Promise<void> {
    await this.d.store.transaction((tx) => tx.audit.append(row));
  }

  /** The stored key a bearer token names; throws 401 for anything that is not one of ours. */
  async #lookup(token: string | null | undefined): Promise<ApiKey> {
    if (!token) throw new StandinError('unauthenticated', 'missing API key: send "Authorization: Bearer <key>"');
    if (!apiKeyKind(token) || !verifyTokenChecksum(token)) throw new StandinError('unauthenticated', 'invalid API key');
    const hash = hashToken(token);
    const found = await this.d.store.apiKeys.byHash(hash);
    if (!found || !tokenHashEquals(found.keyHash, hash)) throw new StandinError('unauthenticated', 'invalid API key');
    return found.key;
  }

  async #actorFor(key: ApiKey, requestId: string | null): Promise<Actor> {
    if (key.revokedAt) throw new StandinError('key_revoked', 'this API key has been revoked');
    if (key.expiresAt && Date.parse(key.expiresAt) <= Date.now()) throw new StandinError('key_expired', 'this API key has expired');
    const user = await this.d.store.tenancy.getUser(key.tenantId, key.userId);
    if (!user) throw new StandinError('unauthenticated', 'the user of this API key no longer exists');
    this.#lastUsed.set(key.id, new Date().toISOString());
    return {
      tenantId: key.tenantId,
      userId: key.userId,
      role: user.role,
      apiKeyId: key.id,
      workspaceId: key.workspaceId,
      scopes: key.scopes,
      requestId,
      label: `user:${user.id} key:${key.id}`,
    };
  }

  /** Writes the coalesced last-used times. Called on a timer and at shutdown. */
  async flushLastUsed(): Promise<void> {
    if (this.#lastUsed.size === 0) return;
    const byTime = new Map<string, string[]>();
    for (const [id, at] of this.#lastUsed) byTime.set(at, [...(byTime.get(at) ?? []), id]);
    this.#lastUsed.clear();
    for (const [at, ids] of byTime) await this.d.store.apiKeys.touch(ids, at);
  }

  /** Issues a key. The plaintext key is in the result once and never again. */
  async create(actor: Actor, input: CreateKeyInput): Promise<{ key: ApiKey; secret: string }> {
    requireScope(actor, 'keys:write');
    const userId = input.userId ?? actor.userId;
    if (userId !== actor.userId && actor.role !== 'admin') throw new StandinError('forbidden', 'only an admin may create keys for another user');
    const user = await this.d.store.tenancy.getUser(actor.tenantId, userId);
    if (!user) throw notFound('user');
    const scopes = [...new Set(input.scopes ?? (user.role === 'admin' ? [...API_SCOPES] : MEMBER_SCOPES))];
    for (const s of scopes) {
      if (!(API_SCOPES as readonly string[]).includes(s)) throw new StandinError('validation_failed', `unknown scope "${s}"`, { field: 'scopes' });
      // No escalation: a key can only hand out scopes its creator holds, and members never get admin.
      if (!actor.scopes.includes(s) && !actor.scopes.includes('admin')) throw new StandinError('forbidden', `cannot grant scope "${s}" that this key does not hold`);
      if (s === 'admin' && user.role !== 'admin') throw new StandinError('forbidden', 'the admin scope is only for admin users');
    }
    let workspaceId = input.workspaceId ?? actor.workspaceId ?? null;
    if (actor.workspaceId && workspaceId !== actor.workspaceId) throw new StandinError('forbidden', 'a workspace-limited key can only create keys for its own workspace');
    if (workspaceId) {
      const ws = await this.d.store.tenancy.getWorkspace(actor.tenantId, workspaceId);
      if (!ws) throw notFound('workspace');
      workspaceId = ws.id;
    }
    let expiresAt: string | null = null;
    if (input.expiresAt) {
      const t = Date.parse(input.expiresAt);
      if (Number.isNaN(t)) throw new StandinError('validation_failed', 'expiresAt is not a date', { field: 'expiresAt' });
      expiresAt = new Date(t).toISOString();
    }
    const kind: ApiKeyKind = user.role === 'admin' ? (input.kind ?? 'live') : 'user';
    const secret = generateApiKey(kind);
    const key: ApiKey = {
      id: randomId('key_'), tenantId: actor.tenantId, userId, workspaceId, name: input.name, kind,
      prefix: tokenPrefix(secret), scopes, createdAt: new Date().toISOString(), lastUsedAt: null, expiresAt, revokedAt: null,
    };
    await this.d.store.transaction(async (tx) => {
      await tx.apiKeys.create(key, hashToken(secret));
      await tx.audit.append(auditRow(actor, 'keys.create', key.id, { name: key.name, scopes, userId, workspaceId }));
    });
    return { key, secret };
  }

  /**
   * Keys the caller may see: every key of the tenant for an admin, their own for a member.
   * Revoked keys are left out unless `includeRevoked` (to name them in the audit log's filter,
   * or to see when a key was revoked).
   */
  async list(actor: Actor, opts: { includeRevoked?: boolean } = {}): Promise<ApiKey[]> {
    requireScope(actor, 'keys:read');
    const includeRevoked = opts.includeRevoked === true;
    return this.d.store.apiKeys.list(actor.tenantId, actor.role === 'admin' ? { includeRevoked } : { userId: actor.userId, includeRevoked });
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    requireScope(actor, 'keys:write');
    const key = await this.d.store.apiKeys.get(actor.tenantId, id);
    if (!key || (actor.role !== 'admin' && key.userId !== actor.userId)) throw notFound('API key');
    await this.d.store.transaction(async (tx) => {
      await tx.apiKeys.revoke(actor.tenantId, id, new Date().toISOString());
      await tx.audit.append(auditRow(actor, 'keys.revoke', id, { name: key.name }));
      tx.changed({ kind: 'api_key', tenantId: actor.tenantId, id });
    });
  }
}
