import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { AuditEvent, Page } from '../../core/types.js';
import { decodeCursor, encodeCursor, toAudit } from '../rows.js';
import { GENESIS_HASH, type Dialect } from '../migrations.js';

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

export { GENESIS_HASH };

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
  /**
   * The first row whose link does not hold, with why. `id` is null when that row is missing
   * from the end of the chain (there is no row to name).
   */
  brokenAt: { seq: number; id: string | null; reason: string } | null;
}

/** The tenant's anchor of its chain: seq and hash of the last row appended (0 and GENESIS_HASH for none). */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Walks a tenant's rows in seq order and checks every link of the chain; with `head`, also that
 * the chain still reaches the tenant's anchor, which is what notices rows removed from the end.
 *
 * Rows after the head are accepted (they are checked link by link like the others): the head is
 * read before the rows, so appends that commit in between legitimately show up past it.
 */
export function verifyChain(rows: AuditEvent[], head?: ChainHead): ChainReport {
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
  if (head && head.seq > 0) {
    const lastSeq = expectedSeq - 1;
    if (lastSeq < head.seq) {
      return {
        ok: false, rows: rows.length,
        brokenAt: { seq: lastSeq + 1, id: null, reason: `the chain ends at seq ${lastSeq} but the tenant's head says ${head.seq} (rows were removed from the end)` },
      };
    }
    // Seqs are 1, 2, 3… here (checked above), so the row the head names is at index seq - 1.
    const anchored = rows[head.seq - 1] as AuditEvent;
    if (anchored.hash !== head.hash) {
      return {
        ok: false, rows: rows.length,
        brokenAt: { seq: anchored.seq, id: anchored.id, reason: `row ${anchored.seq} does not match the tenant's head hash (the end of the chain was rewritten)` },
      };
    }
  }
  return { ok: true, rows: rows.length, brokenAt: null };
}

/** The audit log: append-only, hash-chained per tenant. */
export class AuditRepo {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

  /**
   * Appends a row as the next link of the tenant's chain and moves the tenant's head anchor to
   * it. Call inside the transaction of the mutation it records, so the row and the anchor commit
   * or roll back together. On PostgreSQL the tenant row is locked so concurrent appends
   * serialize; SQLite transactions already hold the single write lock.
   *
   * The anchor catches naive truncation (deleting the last rows), which the links alone cannot
   * show. It is no defence against an attacker with write access to the database: they can
   * rewrite the rows and the anchor together. Only a copy of the head kept elsewhere (exported
   * regularly, or signed) would catch that.
   */
  async append(e: NewAuditEvent): Promise<AuditEvent> {
    let anchorQuery = this.db.selectFrom('tenants').select(['audit_seq', 'audit_head']).where('id', '=', e.tenantId);
    // FOR NO KEY UPDATE, not FOR UPDATE: every insert of a row that references the tenant
    // (secrets, keys, sandboxes…) holds FOR KEY SHARE on it until commit, and FOR UPDATE waits
    // for those, so two mutations that both inserted such a row deadlocked here. NO KEY UPDATE
    // still serializes appenders against each other (and updating the non-key audit columns
    // below needs no stronger lock).
    if (this.dialect === 'postgres') anchorQuery = anchorQuery.forNoKeyUpdate();
    const anchor = await anchorQuery.executeTakeFirst();
    if (!anchor) throw new Error(`cannot append an audit row: tenant ${e.tenantId} does not exist`);
    const last = await this.db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('tenant_id', '=', e.tenantId)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    // Continue from whichever is further along. After a truncation the anchor is: the new row
    // then leaves a visible gap instead of quietly relinking the chain over the removed rows.
    // Rows past the anchor were appended by a standin older than the anchor (a rolling
    // upgrade): continue after them.
    const anchorSeq = Number(anchor.audit_seq);
    const lastSeq = last ? Number(last.seq) : 0;
    const seq = Math.max(anchorSeq, lastSeq) + 1;
    const prevHash = last && lastSeq > anchorSeq ? last.hash : anchor.audit_head;
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
    await this.db.updateTable('tenants').set({ audit_seq: seq, audit_head: hash }).where('id', '=', e.tenantId).execute();
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

  /** The tenant's head anchor, or null when there is no such tenant. */
  async head(tenantId: string): Promise<ChainHead | null> {
    const r = await this.db.selectFrom('tenants').select(['audit_seq', 'audit_head']).where('id', '=', tenantId).executeTakeFirst();
    return r ? { seq: Number(r.audit_seq), hash: r.audit_head } : null;
  }

  /**
   * Verifies the tenant's chain against its head anchor. The head is read before the rows: an
   * append that commits in between then only adds rows past the head, which verifyChain accepts,
   * whereas the other order would report such a row as missing.
   */
  async verify(tenantId: string): Promise<ChainReport> {
    const head = await this.head(tenantId);
    return verifyChain(await this.chain(tenantId), head ?? undefined);
  }
}
