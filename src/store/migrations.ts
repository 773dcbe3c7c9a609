import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/** The `prev_hash` of a chain's first row, and the head of a chain that has no row yet. */
export const GENESIS_HASH = '0'.repeat(64);

export type Dialect = 'sqlite' | 'postgres';

/**
 * Migrations live in code (not files on disk) so the built package and the tsx source run the
 * same list. Each is written once for both dialects; only the binary column type differs.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  const bin = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    '0001_initial': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('tenants')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('wrapped_dek', sql.raw(bin), (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('workspaces')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('workspaces_tenant_name', ['tenant_id', 'name'])
          .execute();
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('email', 'text')
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('workspace_id', 'text', (c) => c.references('workspaces.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('prefix', 'text', (c) => c.notNull())
          .addColumn('key_hash', 'text', (c) => c.notNull().unique())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('expires_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema
          .createTable('secrets')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('provider', 'text')
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('scope_ref', 'text', (c) => c.notNull())
          .addColumn('hosts', 'text', (c) => c.notNull())
          .addColumn('expose_as', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('current_version', 'integer', (c) => c.notNull())
          .addColumn('allow_insecure_http', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('body_placeholders', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('auto_bind', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('created_by', 'text')
          .addUniqueConstraint('secrets_scope_name', ['tenant_id', 'scope', 'scope_ref', 'name'])
          .execute();
        await db.schema.createIndex('secrets_tenant_name').on('secrets').columns(['tenant_id', 'name']).execute();
        await db.schema
          .createTable('secret_versions')
          .addColumn('secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('cascade'))
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('value_blob', sql.raw(bin), (c) => c.notNull())
          .addColumn('username_blob', sql.raw(bin))
          .addColumn('preview', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .addPrimaryKeyConstraint('secret_versions_pk', ['secret_id', 'version'])
          .execute();
        await db.schema
          .createTable('sandboxes')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
          .addColumn('name', 'text')
          .addColumn('workspace_id', 'text')
          .addColumn('user_id', 'text')
          .addColumn('external_workspace', 'text')
          .addColumn('external_user', 'text')
          .addColumn('session_id', 'text')
          .addColumn('proxy_token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('egress', 'text', (c) => c.notNull())
          .addColumn('env', 'text', (c) => c.notNull())
          .addColumn('ephemeral', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text')
          .execute();
        await db.schema
          .createTable('bindings')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('sandbox_id', 'text', (c) => c.notNull().references('sandboxes.id').onDelete('cascade'))
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('env_name', 'text', (c) => c.notNull())
          .addColumn('secret_name', 'text', (c) => c.notNull())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('placeholder_hash', 'text', (c) => c.unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('bindings_sandbox_env', ['sandbox_id', 'env_name'])
          .execute();
        await db.schema
          .createTable('audit_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('seq', 'integer', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('request_id', 'text')
          .addColumn('api_key_id', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('workspace_id', 'text')
          .addColumn('external_workspace', 'text')
          .addColumn('external_user', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .addColumn('prev_hash', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addUniqueConstraint('audit_tenant_seq', ['tenant_id', 'seq'])
          .execute();
        await db.schema
          .createTable('egress_events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('sandbox_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('method', 'text', (c) => c.notNull())
          .addColumn('scheme', 'text', (c) => c.notNull())
          .addColumn('host', 'text', (c) => c.notNull())
          .addColumn('port', 'integer', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('status', 'integer')
          .addColumn('bytes_in', 'integer', (c) => c.notNull())
          .addColumn('bytes_out', 'integer', (c) => c.notNull())
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('secrets', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('egress_sandbox_at').on('egress_events').columns(['sandbox_id', 'at']).execute();
        await db.schema
          .createTable('egress_secret_uses')
          .addColumn('secret_id', 'text', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .addColumn('tenant_id', 'text', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('egress_uses_secret_at').on('egress_secret_uses').columns(['secret_id', 'at']).execute();
        await db.schema
          .createTable('rate_limits')
          .addColumn('bucket', 'text', (c) => c.notNull())
          .addColumn('window_start', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('rate_limits_pk', ['bucket', 'window_start'])
          .execute();
        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_secret_names_byte_order': {
      // Secret names are case-sensitive identifiers (DESIGN.md §4). Most PostgreSQL servers default
      // to a linguistic collation (en_US / ICU), under which `order by name` interleaves cases
      // ("a" < "B") and the `name >= p and name < p || U+FFFF` prefix range matches "a1" for the
      // prefix "A". "C" is byte order: the same order and the same prefix matches as SQLite.
      async up(db: Kysely<any>) {
        if (dialect !== 'postgres') return;
        await sql`alter table secrets alter column name type text collate "C"`.execute(db);
      },
    },
    '0003_audit_head': {
      // The tenant row anchors the head of its audit chain (seq and hash of the last row), moved
      // in the same transaction as every append (repos/audit.ts). The chain alone cannot show
      // that its last rows were deleted: what is left still links up. Existing chains are
      // anchored at their current last row.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('tenants').addColumn('audit_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('tenants').addColumn('audit_head', 'text', (c) => c.notNull().defaultTo(GENESIS_HASH)).execute();
        await sql`
          update tenants set
            audit_seq = coalesce((select max(a.seq) from audit_events a where a.tenant_id = tenants.id), 0),
            audit_head = coalesce((select a.hash from audit_events a where a.tenant_id = tenants.id order by a.seq desc limit 1), ${GENESIS_HASH})
        `.execute(db);
      },
    },
    '0004_egress_bytes_bigint': {
      // Byte counts and durations were 32-bit on PostgreSQL: one download past 2 GiB (or a
      // WebSocket open for 25 days) made its event batch fail to insert, and the event writer,
      // which retries rather than drops, held every later event behind it. SQLite's integer is
      // 64-bit already.
      async up(db: Kysely<any>) {
        if (dialect !== 'postgres') return;
        await sql`alter table egress_events alter column bytes_in type bigint, alter column bytes_out type bigint, alter column duration_ms type bigint`.execute(db);
      },
    },
  };
}

export class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}
