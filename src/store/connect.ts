import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Database } from './schema.js';
import type { Dialect } from './migrations.js';

// pg returns int8 as strings to avoid precision loss; our bigints (epoch seconds) fit a double.
pg.types.setTypeParser(20, (v) => Number(v));

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** A PostgreSQL connection string for LISTEN/NOTIFY, when the dialect is postgres. */
  pgUrl: string | null;
  /** SQLite's one connection, for statements prepared once (repos/egress.ts). */
  sqlite: SQLite.Database | null;
}

/**
 * Transactions take SQLite's write lock when they begin (`begin immediate`) instead of at their
 * first write. Another process may write the same file (`standin keyring rotate` beside a running
 * server): a deferred transaction that read before that process committed can then no longer
 * write at all (SQLITE_BUSY_SNAPSHOT, which no busy timeout retries), while an immediate one
 * waits its turn under busy_timeout and reads the state it then writes on. Read-then-write is
 * what an audit append does (the chain head), so this is what keeps the chain growing from two
 * processes at once.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** Opens the database named by `url`: `postgres://…` / `postgresql://…`, or a SQLite file path (`sqlite:` prefix optional). */
export function connect(url: string): Connection {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle pooled connection that the server closes (restart, pg_terminate_backend, failover)
    // is reported as an 'error' event on the pool; without a listener Node kills the process.
    // The pool has already discarded the client, so the next query simply opens a new one.
    pool.on('error', () => {});
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', pgUrl: url, sqlite: null };
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(path);
  // The database holds only ciphertext, but its metadata is nobody else's business either.
  if (path !== ':memory:') chmodSync(path, 0o600);
  // WAL lets readers run while the egress writer commits; NORMAL is durable across process
  // crashes in WAL mode (only an OS crash can lose the last transactions).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return { db: new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) }), dialect: 'sqlite', pgUrl: null, sqlite };
}
