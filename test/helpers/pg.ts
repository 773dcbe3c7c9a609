import pg from 'pg';
import { randomBytes } from 'node:crypto';

/** Where the test PostgreSQL server is: STANDIN_TEST_PG_URL, or the local trust-auth server. */
export const PG_ADMIN_URL = process.env.STANDIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<boolean> | null = null;

/** True when PostgreSQL answers. In CI (CI=true) an unreachable server is an error, not a skip. */
export function pgAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch (e) {
      if (process.env.CI === 'true') throw new Error(`PostgreSQL is required in CI but not reachable at ${PG_ADMIN_URL}: ${(e as Error).message}`);
      console.log(`# PostgreSQL not reachable at ${PG_ADMIN_URL}; its tests are skipped`);
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A fresh, empty database for one test file; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `standin_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
