/**
 * Group logs (issue 20; docs/server.md "Groups"): the home server as the Delivery Service of MLS
 * groups (RFC 9750 §5). Each log is addressed by a random 16-byte id and holds, in order, the
 * group's commits and application messages — opaque bytes, stored once per group, never per
 * member. No member, account or device is named: what authorises a post or a read is a proof by
 * an epoch's write key (the HTTP layer checks it against {@link GroupAccess.key}).
 *
 * Ordering (RFC 9420 §14: "exactly one commit per epoch"): every post updates the group's row
 * under the condition `epoch = <the proof's epoch>` and takes its seq from the row's counter, in
 * the same transaction as the insert. On PostgreSQL the row's lock serialises posts to one group
 * (READ COMMITTED re-reads the row after waiting, so a post queued behind a commit finds the epoch
 * moved on); on SQLite transactions run one at a time. Of two commits racing for one epoch exactly
 * one matches; the other is answered `stale-epoch` with the epoch it lost to. An application
 * message is posted the same way, so nothing of epoch E is ever ordered after E's commit.
 *
 * Retention: entries older than `ttlMs` are deleted by {@link GroupStore.purgeExpired}; past
 * `maxEntries` or `maxBytes` a post deletes the oldest entries (down to 90% of the bounds, so the
 * work is amortised over many posts). `trimmed_seq` remembers how far deletion went, so a reader
 * that needed something deleted is told to rejoin rather than silently skipping it. Write keys
 * are kept for the current epoch and every epoch with an entry kept. A group with neither a post
 * nor an authenticated read for `idleMs` is deleted with everything of it.
 */
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { flag, fromColumn, isSet, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { type Dialect, hasRowLocks } from './dialect.ts';
import { retryConflicts, storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import type { Schema } from './schema.ts';

export type GroupEntryKind = 'application' | 'commit';

/** What a post adds to the log. */
export type NewGroupEntry =
  | { readonly kind: 'application'; readonly message: Uint8Array }
  | { readonly kind: 'commit'; readonly message: Uint8Array; readonly nextWriteKey: Uint8Array };

export interface GroupEntry {
  readonly seq: number;
  readonly epoch: number;
  readonly kind: GroupEntryKind;
  readonly message: Uint8Array;
  /** Commits only. */
  readonly nextWriteKey: Uint8Array | null;
  readonly receivedAt: number;
}

export type PostResult =
  | { readonly ok: true; readonly seq: number; readonly epoch: number }
  /** Another commit moved the group on (or the proof's epoch is an old one): `epoch` is the current one. */
  | { readonly ok: false; readonly reason: 'stale-epoch'; readonly epoch: number };

/** What checking a proof for `epoch` of a group needs. */
export interface GroupAccess {
  /** The group's current epoch. */
  readonly epoch: number;
  /** The highest seq retention has deleted (0: none). */
  readonly trimmedSeq: number;
  /** The oldest epoch whose write key is kept: an older one's entries are all gone. */
  readonly oldestEpoch: number;
  /** The asked-for epoch's write key and first seq, or null if it is not kept (or not yet). */
  readonly key: { readonly writeKey: Uint8Array; readonly firstSeq: number } | null;
}

export interface GroupRetention {
  /** How long an entry is kept. */
  readonly ttlMs: number;
  /** Entries per log; past it the oldest go. */
  readonly maxEntries: number;
  /** Message bytes per log; past it the oldest go. */
  readonly maxBytes: number;
  /** How long a group without a post or an authenticated read is kept. */
  readonly idleMs: number;
}

const DAY = 24 * 3600_000;

/** Defaults: 30 days, 10,000 entries, 64 MiB per log; a group unused for 90 days is deleted. */
export const DEFAULT_GROUP_RETENTION: GroupRetention = {
  ttlMs: 30 * DAY,
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
  idleMs: 90 * DAY,
};

/** `active_at` is written at most this often by reads (a post always writes it). */
const TOUCH_EVERY_MS = DAY;
/** Groups trimmed per purge run. */
const PURGE_BATCH = 500;

export interface GroupStore {
  /** Creates a group at epoch 0 with its write key. Throws `group-exists` if the id is taken. */
  createGroup(groupId: Uint8Array, writeKey: Uint8Array, now: number): Promise<void>;
  /** What a proof for `epoch` is checked against, or null for an unknown group. */
  access(groupId: Uint8Array, epoch: number): Promise<GroupAccess | null>;
  /**
   * Appends an entry posted with `epoch`'s write key, if `epoch` is still the group's current
   * one (else `stale-epoch`); a commit moves the group to `epoch + 1` with its next write key.
   * Throws `not-found` for an unknown group.
   */
  post(groupId: Uint8Array, epoch: number, entry: NewGroupEntry, now: number): Promise<PostResult>;
  /** Entries of `epoch` after seq `after`, in order, at most `limit`. */
  read(groupId: Uint8Array, epoch: number, after: number, limit: number): Promise<GroupEntry[]>;
  /** Records an authenticated read (coarsely: at most once a day), which keeps the group from idling out. */
  touch(groupId: Uint8Array, now: number): Promise<void>;
  /** Deletes expired entries and idle groups; returns how many of each. */
  purgeExpired(now: number): Promise<{ readonly entries: number; readonly groups: number }>;
  /** How many groups exist (for metrics). */
  count(): Promise<number>;
}

export interface GroupStoreOptions {
  readonly retention?: GroupRetention;
}

export class SqlGroupStore implements GroupStore {
  readonly #database: Database;
  readonly retention: GroupRetention;

  constructor(database: Database, options: GroupStoreOptions = {}) {
    this.#database = database;
    this.retention = options.retention ?? DEFAULT_GROUP_RETENTION;
  }

  async createGroup(groupId: Uint8Array, writeKey: Uint8Array, now: number): Promise<void> {
    const id = toColumn(groupId);
    await storageOp('group-exists', () =>
      this.#database.db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('groups')
          .values({
            group_id: id,
            epoch: 0,
            last_seq: 0,
            trimmed_seq: 0,
            entry_count: 0,
            byte_count: 0,
            created_at: now,
            active_at: now,
          })
          .onConflict((oc) => oc.column('group_id').doNothing())
          .executeTakeFirst();
        if (created.numInsertedOrUpdatedRows === 0n) throw new StorageError('group-exists', 'group exists');
        await trx
          .insertInto('group_epochs')
          .values({ group_id: id, epoch: 0, write_key: toColumn(writeKey), first_seq: 1 })
          .execute();
      }),
    );
  }

  async access(groupId: Uint8Array, epoch: number): Promise<GroupAccess | null> {
    const id = toColumn(groupId);
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('groups as g')
        .where('g.group_id', '=', id)
        .select((eb) => [
          'g.epoch',
          'g.trimmed_seq',
          eb
            .selectFrom('group_epochs as o')
            .whereRef('o.group_id', '=', 'g.group_id')
            .select((e) => e.fn.min<number>('o.epoch').as('m'))
            .as('oldest'),
        ])
        .executeTakeFirst();
      if (row === undefined) return null;
      const key = await this.#database.db
        .selectFrom('group_epochs')
        .select(['write_key', 'first_seq'])
        .where('group_id', '=', id)
        .where('epoch', '=', epoch)
        .executeTakeFirst();
      return {
        epoch: Number(row.epoch),
        trimmedSeq: Number(row.trimmed_seq),
        oldestEpoch: Number(row.oldest ?? row.epoch),
        key: key === undefined ? null : { writeKey: fromColumn(key.write_key), firstSeq: Number(key.first_seq) },
      };
    });
  }

  async post(groupId: Uint8Array, epoch: number, entry: NewGroupEntry, now: number): Promise<PostResult> {
    const id = toColumn(groupId);
    const commit = entry.kind === 'commit';
    const size = entry.message.length;
    const { db, dialect } = this.#database;
    return storageOp('dependency', () =>
      retryConflicts(() =>
        db.transaction().execute(async (trx): Promise<PostResult> => {
          // The condition on the epoch is what makes one commit per epoch win (module comment).
          const bumped = await trx
            .updateTable('groups')
            .set((eb) => ({
              last_seq: eb('last_seq', '+', 1),
              epoch: commit ? eb('epoch', '+', 1) : eb.ref('epoch'),
              entry_count: eb('entry_count', '+', 1),
              byte_count: eb('byte_count', '+', size),
              active_at: now,
            }))
            .where('group_id', '=', id)
            .where('epoch', '=', epoch)
            .returning(['last_seq', 'entry_count', 'byte_count'])
            .executeTakeFirst();
          if (bumped === undefined) {
            const current = await trx
              .selectFrom('groups')
              .select('epoch')
              .where('group_id', '=', id)
              .executeTakeFirst();
            if (current === undefined) throw new StorageError('not-found', 'group not found');
            return { ok: false, reason: 'stale-epoch', epoch: Number(current.epoch) };
          }
          const seq = Number(bumped.last_seq);
          await trx
            .insertInto('group_entries')
            .values({
              group_id: id,
              seq,
              epoch,
              commit: flag(commit),
              message: toColumn(entry.message),
              next_write_key: toColumn(commit ? entry.nextWriteKey : new Uint8Array(0)),
              size,
              received_at: now,
            })
            .execute();
          if (commit) {
            await trx
              .insertInto('group_epochs')
              .values({ group_id: id, epoch: epoch + 1, write_key: toColumn(entry.nextWriteKey), first_seq: seq + 1 })
              .execute();
          }
          const r = this.retention;
          if (Number(bumped.entry_count) > r.maxEntries || Number(bumped.byte_count) > r.maxBytes) {
            await trimGroup(trx, dialect, id, r, now);
          }
          return { ok: true, seq, epoch: commit ? epoch + 1 : epoch };
        }),
      ),
    );
  }

  async read(groupId: Uint8Array, epoch: number, after: number, limit: number): Promise<GroupEntry[]> {
    return storageOp('dependency', async () => {
      const rows = await this.#database.db
        .selectFrom('group_entries')
        .select(['seq', 'epoch', 'commit', 'message', 'next_write_key', 'received_at'])
        .where('group_id', '=', toColumn(groupId))
        .where('epoch', '=', epoch)
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => {
        const commit = isSet(r.commit);
        return {
          seq: Number(r.seq),
          epoch: Number(r.epoch),
          kind: commit ? 'commit' : 'application',
          message: fromColumn(r.message),
          nextWriteKey: commit ? fromColumn(r.next_write_key) : null,
          receivedAt: Number(r.received_at),
        };
      });
    });
  }

  async touch(groupId: Uint8Array, now: number): Promise<void> {
    await storageOp('dependency', () =>
      this.#database.db
        .updateTable('groups')
        .set({ active_at: now })
        .where('group_id', '=', toColumn(groupId))
        .where('active_at', '<', now - TOUCH_EVERY_MS)
        .execute(),
    );
  }

  async purgeExpired(now: number): Promise<{ entries: number; groups: number }> {
    const { db, dialect } = this.#database;
    const r = this.retention;
    return storageOp('dependency', async () => {
      const idle = await db
        .deleteFrom('groups')
        .where('active_at', '<=', now - r.idleMs)
        .executeTakeFirst();
      const expired = await db
        .selectFrom('group_entries')
        .select('group_id')
        .distinct()
        .where('received_at', '<=', now - r.ttlMs)
        .limit(PURGE_BATCH)
        .execute();
      let entries = 0;
      for (const { group_id } of expired) {
        entries += await retryConflicts(() =>
          db.transaction().execute((trx) => trimGroup(trx, dialect, toColumn(group_id), r, now)),
        );
      }
      return { entries, groups: Number(idle.numDeletedRows) };
    });
  }

  async count(): Promise<number> {
    return storageOp('dependency', async () => {
      const { n } = await this.#database.db
        .selectFrom('groups')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(n);
    });
  }
}

/**
 * Deletes a group's expired entries and, past its size bounds, its oldest ones (down to 90% of
 * the bounds, keeping at least the newest entry); records how far deletion went and drops the
 * write keys of epochs left without entries (never the current one). Returns how many entries
 * it deleted. Runs inside the caller's transaction, with the group's row locked on PostgreSQL.
 */
async function trimGroup(
  trx: Transaction<Schema>,
  dialect: Dialect,
  id: Uint8Array,
  r: GroupRetention,
  now: number,
): Promise<number> {
  const g = await trx
    .selectFrom('groups')
    .select(['epoch', 'last_seq', 'trimmed_seq', 'entry_count', 'byte_count'])
    .where('group_id', '=', id)
    .$if(hasRowLocks(dialect), (q) => q.forNoKeyUpdate())
    .executeTakeFirst();
  if (g === undefined) return 0;
  const aged = await trx
    .selectFrom('group_entries')
    .select((eb) => eb.fn.max<number>('seq').as('seq'))
    .where('group_id', '=', id)
    .where('received_at', '<=', now - r.ttlMs)
    .executeTakeFirst();
  let cut = Number(aged?.seq ?? 0);
  if (Number(g.entry_count) > r.maxEntries || Number(g.byte_count) > r.maxBytes) {
    const keepEntries = Math.max(1, Math.floor(r.maxEntries * 0.9));
    const keepBytes = Math.floor(r.maxBytes * 0.9);
    // The newest entry whose tail (it and everything after it) exceeds what is kept: it and all
    // older ones go. Window functions: SQLite ≥ 3.25 and PostgreSQL alike.
    const { rows } = await sql<{ seq: number }>`
      select seq from (
        select seq,
          sum(size) over (order by seq desc rows between unbounded preceding and current row) as tail_bytes,
          row_number() over (order by seq desc) as tail_count
        from group_entries where group_id = ${id}
      ) t
      where tail_bytes > ${keepBytes} or tail_count > ${keepEntries}
      order by seq desc limit 1`.execute(trx);
    const bySize = rows[0] === undefined ? 0 : Math.min(Number(rows[0].seq), Number(g.last_seq) - 1);
    cut = Math.max(cut, bySize);
  }
  if (cut <= Number(g.trimmed_seq)) return 0;
  const gone = await trx
    .selectFrom('group_entries')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('size').as('bytes')])
    .where('group_id', '=', id)
    .where('seq', '<=', cut)
    .executeTakeFirstOrThrow();
  await trx.deleteFrom('group_entries').where('group_id', '=', id).where('seq', '<=', cut).execute();
  const oldest = await trx
    .selectFrom('group_entries')
    .select((eb) => eb.fn.min<number>('epoch').as('epoch'))
    .where('group_id', '=', id)
    .executeTakeFirst();
  const keepFrom = Math.min(Number(oldest?.epoch ?? g.epoch), Number(g.epoch));
  await trx.deleteFrom('group_epochs').where('group_id', '=', id).where('epoch', '<', keepFrom).execute();
  const n = Number(gone.n);
  const bytes = Number(gone.bytes ?? 0);
  await trx
    .updateTable('groups')
    .set((eb) => ({
      trimmed_seq: cut,
      entry_count: eb('entry_count', '-', n),
      byte_count: eb('byte_count', '-', bytes),
    }))
    .where('group_id', '=', id)
    .execute();
  return n;
}
