import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { EgressEvent, Page } from '../../core/types.js';
import { decodeCursor, encodeCursor, toEgress } from '../rows.js';

/** The network log. Written in batches by the proxy's event writer. */
export class EgressRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts a batch; `secretIds[i]` lists the secret ids swapped into `events[i]`. */
  async insertBatch(events: Array<EgressEvent & { secretIds: string[] }>): Promise<void> {
    if (events.length === 0) return;
    // Chunked so one statement stays well under SQLite's bound-parameter limit.
    for (let i = 0; i < events.length; i += 200) {
      const chunk = events.slice(i, i + 200);
      await this.db
        .insertInto('egress_events')
        .values(chunk.map((e) => ({
          id: e.id, tenant_id: e.tenantId, sandbox_id: e.sandboxId, at: e.at, method: e.method, scheme: e.scheme,
          host: e.host, port: e.port, path: e.path, status: e.status, bytes_in: e.bytesIn, bytes_out: e.bytesOut,
          duration_ms: Math.round(e.durationMs), decision: e.decision, reason: e.reason, secrets: JSON.stringify(e.secrets),
        })))
        .execute();
      const uses = chunk.flatMap((e) => e.secretIds.map((sid) => ({ secret_id: sid, event_id: e.id, tenant_id: e.tenantId, at: e.at })));
      if (uses.length) await this.db.insertInto('egress_secret_uses').values(uses).execute();
    }
  }

  async bySandbox(tenantId: string, sandboxId: string, opts: { cursor?: string | null; limit?: number; decision?: string } = {}): Promise<Page<EgressEvent>> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    let q = this.db.selectFrom('egress_events').selectAll().where('tenant_id', '=', tenantId).where('sandbox_id', '=', sandboxId);
    if (opts.decision) q = q.where('decision', '=', opts.decision);
    const after = decodeCursor(opts.cursor);
    if (after && after.length === 2) {
      const [at, id] = after as [string, string];
      q = q.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const data = rows.slice(0, limit).map(toEgress);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null };
  }

  async bySecret(tenantId: string, secretId: string, opts: { limit?: number } = {}): Promise<EgressEvent[]> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const rows = await this.db
      .selectFrom('egress_secret_uses')
      .innerJoin('egress_events', 'egress_events.id', 'egress_secret_uses.event_id')
      .selectAll('egress_events')
      .where('egress_secret_uses.tenant_id', '=', tenantId)
      .where('egress_secret_uses.secret_id', '=', secretId)
      .orderBy('egress_secret_uses.at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toEgress);
  }
}
