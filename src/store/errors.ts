/**
 * Storage failures the services tell apart from "the database is broken". Raised by the
 * repositories so the services never look at driver-specific error codes.
 */

/** A version was added to a secret whose current version is not the one before it: another rotation won. */
export class VersionConflictError extends Error {
  constructor(secretId: string, version: number) {
    super(`secret ${secretId} is no longer at version ${version - 1}: it was rotated concurrently`);
    this.name = 'VersionConflictError';
  }
}

/** True for a UNIQUE or PRIMARY KEY violation on either dialect (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY). */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
