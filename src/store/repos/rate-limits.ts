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

  async prune(olderThan: number): Promise<void> {
    await this.db.deleteFrom('rate_limits').where('window_start', '<', olderThan).execute();
  }
}
