/** Deleting expired rows, shared by every store whose rows expire. */
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';

/** The tables whose rows carry an `expires_at` (milliseconds since the Unix epoch). */
export type ExpiringTable =
  | 'auth_challenges'
  | 'mailbox_messages'
  | 'mailbox_acked'
  | 'contact_requests'
  | 'prekey_grants';

/** Deletes the rows of `table` that expired at or before `now`; returns how many. */
export function deleteExpired(database: Database, table: ExpiringTable, now: number): Promise<number> {
  return storageOp('dependency', async () => {
    const result = await database.db.deleteFrom(table).where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
