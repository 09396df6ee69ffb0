/**
 * Translation of driver errors (better-sqlite3, pg) into {@link StorageError}s. Stores avoid most
 * constraint errors up front (ON CONFLICT DO NOTHING, existence checks under a lock); this is the
 * backstop for races and for a database that fails underneath us.
 */
import { StorageError, type StorageErrorCode } from './errors.ts';

type ConstraintKind = 'unique' | 'foreign-key';

/** PostgreSQL SQLSTATEs (Appendix A) and better-sqlite3 extended result codes. */
const CONSTRAINTS: Readonly<Record<string, ConstraintKind>> = {
  '23505': 'unique',
  '23503': 'foreign-key',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign-key',
};

function constraintKind(e: unknown): ConstraintKind | null {
  if (typeof e !== 'object' || e === null || !('code' in e) || typeof e.code !== 'string') return null;
  return CONSTRAINTS[e.code] ?? null;
}

/**
 * Maps any error thrown by a store operation to a {@link StorageError}: storage errors pass
 * through, a unique violation becomes `onUnique` (what a duplicate means to the caller), a
 * foreign-key violation `not-found` (the parent row vanished), anything else `dependency`.
 */
export function translateError(e: unknown, onUnique: StorageErrorCode): StorageError {
  if (StorageError.is(e)) return e;
  switch (constraintKind(e)) {
    case 'unique':
      return new StorageError(onUnique, 'record already exists');
    case 'foreign-key':
      return new StorageError('not-found', 'account or device not found');
    default:
      return new StorageError('dependency', 'database operation failed', { cause: e });
  }
}

/** Runs a store operation, translating whatever it throws (see {@link translateError}). */
export async function storageOp<T>(onUnique: StorageErrorCode, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw translateError(e, onUnique);
  }
}

/**
 * PostgreSQL's "try the transaction again" SQLSTATEs: a deadlock it broke by failing this
 * transaction (40P01), a serialization failure (40001).
 */
const RETRYABLE = new Set(['40P01', '40001']);

/**
 * Runs `transaction`, again (up to `attempts` times in all) if PostgreSQL failed it only to
 * break a deadlock or a serialization conflict: nothing of it was stored, so running it again is
 * safe. Other errors, and the last attempt's, are thrown as they are.
 */
export async function retryConflicts<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await transaction();
    } catch (e) {
      const code = typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
      if (i >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw e;
    }
  }
}
