import { sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database } from '../schema.js';
import type { Dialect } from '../migrations.js';
import type { EgressEvent, Page } from '../../core/types.js';
import { decodeCursor, encodeCursor, toEgress } from '../rows.js';

type NewEgress = EgressEvent & { secretIds: string[] };

const COLUMNS = [
  'id', 'tenant_id', 'sandbox_id', 'at', 'method', 'scheme', 'host', 'port', 'path', 'status',
  'bytes_in', 'bytes_out', 'duration_ms', 'decision', 'reason', 'secrets',
] as const;
const EVENT_COLUMNS = COLUMNS.join(', ');

/** The row of one event, in COLUMNS order. */
const eventRow = (e: NewEgress): Array<string | number | null> => [
  e.id, e.tenantId, e.sandboxId, e.at, e.method, e.scheme, e.host, e.port, e.path, e.status,
  e.bytesIn, e.bytesOut, Math.round(e.durationMs), e.decision, e.reason, JSON.stringify(e.secrets),
];

/** Prepared once per SQLite connection: compiling the statement cost more than running it. */
const sqliteStatements = new WeakMap<SQLite.Database, { event: SQLite.Statement; use: SQLite.Statement }>();

function statementsOf(db: SQLite.Database): { event: SQLite.Statement; use: SQLite.Statement } {
  let s = sqliteStatements.get(db);
  if (!s) {
    s = {
      event: db.prepare(`insert into egress_events (${EVENT_COLUMNS}) values (${COLUMNS.map(() => '?').join(', ')})`),
      use: db.prepare('insert into egress_secret_uses (secret_id, event_id, tenant_id, at) values (?, ?, ?, ?)'),
    };
    sqliteStatements.set(db, s);
  }
  return s;
}

/**
 * The network log. Written in batches by the proxy's event writer, one batch per transaction;
 * this is the one write on the proxy's path, so each dialect gets its cheapest form: on
 * PostgreSQL one `unnest` insert per table whose SQL text never changes, on SQLite (inside a
 * transaction, where the connection is ours) prepared statements reused row by row. Building a
 * multi-row insert per batch through the query builder cost about twice as much CPU per event.
 */
export class EgressRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** SQLite's connection, given only to the repositories of a transaction (see Store). */
    private readonly sqlite: SQLite.Database | null = null,
  ) {}

  /** Inserts a batch; `secretIds[i]` lists the secret ids swapped into `events[i]`. */
  async insertBatch(events: NewEgress[]): Promise<void> {
    if (events.length === 0) return;
    if (this.dialect === 'postgres') return this.#insertPostgres(events);
    if (this.sqlite) return this.#insertSqlite(this.sqlite, events);
    // Outside a transaction another one may hold the connection: go through the query builder.
    for (let i = 0; i < events.length; i += 200) {
      const chunk = events.slice(i, i + 200);
      await this.db
        .insertInto('egress_events')
        .values(chunk.map((e) => Object.fromEntries(eventRow(e).map((v, c) => [COLUMNS[c], v])) as never))
        .execute();
      const uses = chunk.flatMap((e) => e.secretIds.map((sid) => ({ secret_id: sid, event_id: e.id, tenant_id: e.tenantId, at: e.at })));
      if (uses.length) await this.db.insertInto('egress_secret_uses').values(uses).execute();
    }
  }

  #insertSqlite(db: SQLite.Database, events: NewEgress[]): void {
    const { event, use } = statementsOf(db);
    for (const e of events) {
      event.run(eventRow(e));
      for (const sid of e.secretIds) use.run(sid, e.id, e.tenantId, e.at);
    }
  }

  async #insertPostgres(events: NewEgress[]): Promise<void> {
    const cols: Array<Array<string | number | null>> = COLUMNS.map(() => []);
    const uses: [string[], string[], string[], string[]] = [[], [], [], []];
    for (const e of events) {
      const r = eventRow(e);
      r.forEach((v, c) => (cols[c] as unknown[]).push(v));
      for (const sid of e.secretIds) {
        uses[0].push(sid);
        uses[1].push(e.id);
        uses[2].push(e.tenantId);
        uses[3].push(e.at);
      }
    }
    const c = cols as never[];
    await sql`insert into egress_events (${sql.raw(EVENT_COLUMNS)}) select * from unnest(
      ${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[], ${c[5]}::text[], ${c[6]}::text[],
      ${c[7]}::int[], ${c[8]}::text[], ${c[9]}::int[], ${c[10]}::bigint[], ${c[11]}::bigint[], ${c[12]}::bigint[],
      ${c[13]}::text[], ${c[14]}::text[], ${c[15]}::text[])`.execute(this.db);
    if (uses[0].length) {
      await sql`insert into egress_secret_uses (secret_id, event_id, tenant_id, at)
        select * from unnest(${uses[0]}::text[], ${uses[1]}::text[], ${uses[2]}::text[], ${uses[3]}::text[])`.execute(this.db);
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
