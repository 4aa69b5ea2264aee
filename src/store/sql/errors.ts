import { alreadyExists } from '../../core/errors.js';

const SQLITE_DUPLICATE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);
const PG_UNIQUE_VIOLATION = '23505';

/** Whether a driver error is a duplicate-key violation (better-sqlite3 or pg). */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || !('code' in e)) return false;
  const { code } = e;
  return code === PG_UNIQUE_VIOLATION || (typeof code === 'string' && SQLITE_DUPLICATE.has(code));
}

/**
 * Runs an insert, translating a duplicate key into ResourceInUse: the one place vendor
 * constraint errors cross the seam.
 */
export async function insertUnique<T>(kind: string, name: string, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (e) {
    if (isUniqueViolation(e)) throw alreadyExists(kind, name);
    throw e;
  }
}
