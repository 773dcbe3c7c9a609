import { Migrator, sql, type Kysely } from 'kysely';
import type SQLite from 'better-sqlite3';
import type { Database } from './schema.js';
import { connect } from './connect.js';
import { CodeMigrationProvider, type Dialect } from './migrations.js';
import { CHANGE_CHANNEL, ChangeBus, type Change } from './changes.js';
import { TenancyRepo } from './repos/tenancy.js';
import { ApiKeysRepo } from './repos/api-keys.js';
import { SecretsRepo } from './repos/secrets.js';
import { SandboxesRepo } from './repos/sandboxes.js';
import { AuditRepo } from './repos/audit.js';
import { EgressRepo } from './repos/egress.js';
import { RateLimitsRepo } from './repos/rate-limits.js';
import { SettingsRepo } from './repos/settings.js';

/** Every repository, bound to one executor: the pool, or a transaction. */
export class Repos {
  readonly tenancy: TenancyRepo;
  readonly apiKeys: ApiKeysRepo;
  readonly secrets: SecretsRepo;
  readonly sandboxes: SandboxesRepo;
  readonly audit: AuditRepo;
  readonly egress: EgressRepo;
  readonly rateLimits: RateLimitsRepo;
  readonly settings: SettingsRepo;

  /** `sqlite`: the raw connection, passed only where it is ours alone (a transaction). */
  constructor(readonly db: Kysely<Database>, readonly dialect: Dialect, sqlite: SQLite.Database | null = null) {
    this.tenancy = new TenancyRepo(db);
    this.apiKeys = new ApiKeysRepo(db);
    this.secrets = new SecretsRepo(db);
    this.sandboxes = new SandboxesRepo(db);
    this.audit = new AuditRepo(db, dialect);
    this.egress = new EgressRepo(db, dialect, sqlite);
    this.rateLimits = new RateLimitsRepo(db);
    this.settings = new SettingsRepo(db);
  }
}

/** Repositories inside a transaction, plus a list of changes announced once it commits. */
export class Tx extends Repos {
  readonly changes: Change[] = [];
  changed(c: Change): void {
    this.changes.push(c);
  }
}

/** The storage layer: one code path for SQLite and PostgreSQL. */
export class Store extends Repos {
  readonly bus = new ChangeBus();

  private constructor(db: Kysely<Database>, dialect: Dialect, private readonly sqlite: SQLite.Database | null) {
    super(db, dialect);
  }

  /** Opens the database, runs pending migrations and, on PostgreSQL, starts LISTEN. */
  static async open(url: string, opts: { listen?: boolean } = {}): Promise<Store> {
    const c = connect(url);
    const store = new Store(c.db, c.dialect, c.sqlite);
    try {
      await store.migrate();
      if (c.pgUrl && opts.listen !== false) await store.bus.listen(c.pgUrl);
    } catch (e) {
      await c.db.destroy();
      throw e;
    }
    return store;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: new CodeMigrationProvider(this.dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
    }
  }

  /**
   * Runs `fn` in one transaction. Changes it records are delivered locally after commit, so caches
   * never drop an entry before the new state is visible. On PostgreSQL the NOTIFY for the other
   * instances is sent inside the transaction: the server delivers it on commit and drops it on
   * rollback, and a NOTIFY that fails fails the transaction instead of a committed one reporting
   * an error while the other instances never hear of it.
   */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    let changes: Change[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      // Kysely holds SQLite's single connection for this transaction until it ends, so statements
      // run on the raw handle meanwhile belong to it.
      const tx = new Tx(trx, this.dialect, this.sqlite);
      const r = await fn(tx);
      changes = tx.changes;
      const payload = this.bus.remotePayload(changes);
      if (payload) await sql`select pg_notify(${CHANGE_CHANNEL}, ${payload})`.execute(trx);
      return r;
    });
    if (changes.length) this.bus.deliverLocal(changes);
    return result;
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.db.destroy();
  }
}
