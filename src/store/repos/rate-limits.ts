import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Fixed-window counters in the database, so every instance behind one PostgreSQL shares them.
 * One upsert per check: increment and read back in a single statement.
 */
export class RateLimitsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async hit(bucket: string, windowStart: number): Promise<number> {
    const r = await this.db
      .insertInto('rate_limits')
      .values({ bucket, window_start: windowStart, count: 1 })
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
      .returning('count')
      .executeTakeFirstOrThrow();
    return Number(r.count);
  }

  /**
   * Counts one hit in each bucket with a single statement (one commit instead of one per bucket:
   * on PostgreSQL every commit waits for a WAL flush). Buckets are written in sorted order so two
   * concurrent requests lock shared rows in the same order and cannot deadlock.
   */
  async hitMany(buckets: string[], windowStart: number): Promise<Map<string, number>> {
    const sorted = [...new Set(buckets)].sort();
    if (sorted.length === 0) return new Map();
    const rows = await this.db
      .insertInto('rate_limits')
      .values(sorted.map((bucket) => ({ bucket, window_start: windowStart, count: 1 })))
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql`rate_limits.count + 1` }))
      .returning(['bucket', 'count'])
      .execute();
    return new Map(rows.map((r) => [r.bucket, Number(r.count)]));
  }

  async prune(olderThan: number): Promise<void> {
    await this.db.deleteFrom('rate_limits').where('window_start', '<', olderThan).execute();
  }
}
