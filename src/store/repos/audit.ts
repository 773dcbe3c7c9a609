import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { AuditEvent, Page } from '../../core/types.js';
import { decodeCursor, encodeCursor, toAudit } from '../rows.js';
import type { Dialect } from '../migrations.js';

export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

export interface AuditFilter {
  apiKeyId?: string;
  /** Only rows made with one of these keys (a member's own keys); empty means none. */
  apiKeyIds?: string[];
  workspaceId?: string;
  action?: string;
  target?: string;
  since?: string;
  until?: string;
  cursor?: string | null;
  limit?: number;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash of one audit row: SHA-256 over the previous row's hash and a canonical encoding of
 * every field, so changing, removing or reordering any row breaks every later link.
 */
export function auditHash(prevHash: string, e: Omit<AuditEvent, 'hash' | 'prevHash'>): string {
  const canonical = JSON.stringify([
    e.id, e.tenantId, e.seq, e.at, e.requestId, e.apiKeyId, e.actor, e.workspaceId, e.externalWorkspace,
    e.externalUser, e.action, e.target, e.outcome, sortKeys(e.details),
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export interface ChainReport {
  ok: boolean;
  rows: number;
  /** The first row whose link does not hold, with why. */
  brokenAt: { seq: number; id: string; reason: string } | null;
}

/** Walks a tenant's rows in seq order and checks every link of the chain. */
export function verifyChain(rows: AuditEvent[]): ChainReport {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const r of rows) {
    if (r.seq !== expectedSeq) return { ok: false, rows: rows.length, brokenAt: { seq: r.seq, id: r.id, reason: `expected sequence ${expectedSeq}, found ${r.seq} (a row was removed or reordered)` } };
    if (r.prevHash !== prev) return { ok: false, rows: rows.length, brokenAt: { seq: r.seq, id: r.id, reason: 'previous-hash link does not match the row before it' } };
    const { hash: _h, prevHash: _p, ...rest } = r;
    if (auditHash(prev, rest) !== r.hash) return { ok: false, rows: rows.length, brokenAt: { seq: r.seq, id: r.id, reason: 'row content does not match its hash (the row was changed)' } };
    prev = r.hash;
    expectedSeq++;
  }
  return { ok: true, rows: rows.length, brokenAt: null };
}

/** The audit log: append-only, hash-chained per tenant. */
export class AuditRepo {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

  /**
   * Appends a row as the next link of the tenant's chain. Call inside the transaction of the
   * mutation it records. On PostgreSQL the tenant row is locked so concurrent appends serialize;
   * SQLite transactions already hold the single write lock.
   */
  async append(e: NewAuditEvent): Promise<AuditEvent> {
    if (this.dialect === 'postgres') {
      // FOR NO KEY UPDATE, not FOR UPDATE: every insert of a row that references the tenant
      // (secrets, keys, sandboxes…) holds FOR KEY SHARE on it until commit, and FOR UPDATE waits
      // for those, so two mutations that both inserted such a row deadlocked here. NO KEY UPDATE
      // still serializes appenders against each other.
      await sql`select id from tenants where id = ${e.tenantId} for no key update`.execute(this.db);
    }
    const last = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', e.tenantId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const seq = last ? Number(last.seq) + 1 : 1;
    const prevHash = last ? last.hash : GENESIS_HASH;
    const full = { ...e, seq };
    const hash = auditHash(prevHash, full);
    await this.db
      .insertInto('audit_events')
      .values({
        id: e.id, tenant_id: e.tenantId, seq, at: e.at, request_id: e.requestId, api_key_id: e.apiKeyId, actor: e.actor,
        workspace_id: e.workspaceId, external_workspace: e.externalWorkspace, external_user: e.externalUser,
        action: e.action, target: e.target, outcome: e.outcome, details: JSON.stringify(e.details), prev_hash: prevHash, hash,
      })
      .execute();
    return { ...full, prevHash, hash };
  }

  async list(tenantId: string, f: AuditFilter = {}): Promise<Page<AuditEvent>> {
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
    let q = this.db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId);
    if (f.apiKeyId) q = q.where('api_key_id', '=', f.apiKeyId);
    if (f.apiKeyIds) {
      if (f.apiKeyIds.length === 0) return { data: [], nextCursor: null };
      q = q.where('api_key_id', 'in', f.apiKeyIds);
    }
    if (f.workspaceId) q = q.where('workspace_id', '=', f.workspaceId);
    if (f.action) q = f.action.endsWith('*') ? q.where('action', 'like', `${f.action.slice(0, -1)}%`) : q.where('action', '=', f.action);
    if (f.target) q = q.where('target', '=', f.target);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<', f.until);
    const after = decodeCursor(f.cursor);
    if (after && typeof after[0] === 'number') q = q.where('seq', '<', after[0]);
    const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map(toAudit);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.seq]) : null };
  }

  /** The whole chain of a tenant in order, for verification. */
  async chain(tenantId: string): Promise<AuditEvent[]> {
    return (await this.db.selectFrom('audit_events').selectAll().where('tenant_id', '=', tenantId).orderBy('seq').execute()).map(toAudit);
  }
}
