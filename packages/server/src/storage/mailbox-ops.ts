/**
 * The two mailbox writes that run for every message — storing a delivery and deleting
 * acknowledged ones — as data ({@link MailboxOp}), so that a group commit can carry them to
 * wherever its transaction runs: a Kysely transaction (PostgreSQL), SQLite's connection on the
 * event loop, or SQLite's connection on a writer thread (sqlite-writer.ts). Each runs the same
 * compiled statements and the same rules ({@link judgeEnqueue}) in every place; see
 * mailbox-store.ts for what they promise.
 *
 * An acknowledgement keeps the digest of each message it deletes (`mailbox_acked`) until the
 * message would have expired, and an enqueue looks there too: the same envelope delivered again
 * after its owner acknowledged it is answered as a duplicate (its original seq), not stored and
 * not pushed (issue 16). Answering alike, rather than refusing, tells a sender nothing about
 * whether the owner has read it. The cost is one more row written per acknowledged message.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { idKey } from '../id-key.ts';
import { toColumn } from './column-values.ts';
import { type Dialect, hasRowLocks } from './dialect.ts';
import { sha256 } from './digest.ts';
import { StorageError } from './errors.ts';
import { lockMailbox, lockMailboxesInOrder } from './locks.ts';
import { PreparedQuery } from './prepared-query.ts';
import type { Schema } from './schema.ts';
import { judgeAdd, QUEUE_ID_BYTES } from './signed-queue.ts';
import { applyEach, applyEachAsync, type Outcome } from './sqlite/group-commit.ts';

/** Mailbox ids are 16 random bytes (a signed queue's, signed-queue.ts). */
export const MAILBOX_ID_BYTES = QUEUE_ID_BYTES;

/** An enqueue's refusal: no such mailbox (or an id that cannot name one). */
export function mailboxNotFound(): StorageError {
  return new StorageError('not-found', 'mailbox not found');
}

/** An enqueue's refusal: the mailbox holds its bound of unexpired messages. */
export function mailboxFull(): StorageError {
  return new StorageError('mailbox-full', 'mailbox is full');
}

/** Seqs per DELETE in an acknowledgement on PostgreSQL: far below its bound-parameter limit. */
const BATCH_SEQS = 500;

/** What an enqueue returns (mailbox-store.ts). */
export interface EnqueueResult {
  /** The message's sequence number; within a mailbox, higher means enqueued later. */
  readonly seq: number;
  /** `true` if the same envelope was already waiting: nothing was stored, `seq` is the earlier one. */
  readonly duplicate: boolean;
  /** When the (earlier, for a duplicate) message was stored, ms since the Unix epoch. */
  readonly receivedAt: number;
}

/**
 * One write, with every value it needs (ids as column values, `now` from the store's clock). An
 * enqueue carries no digest: it is taken where the write runs (`digestOf`), on the writer thread
 * when there is one, so that the event loop does not hash every envelope.
 */
export type MailboxOp =
  | {
      readonly kind: 'enqueue';
      readonly id: Uint8Array;
      readonly envelope: Uint8Array;
      readonly now: number;
      readonly ttlMs: number;
      readonly maxMessages: number;
    }
  | { readonly kind: 'ack'; readonly id: Uint8Array; readonly seqs: readonly number[] };

type EnqueueOp = MailboxOp & { kind: 'enqueue' };

/** An enqueue's result, or how many messages an acknowledgement deleted. */
export type MailboxOpResult = EnqueueResult | number;

/** The queries every delivery and acknowledgement runs, compiled once (see prepared-query.ts). */
export function mailboxQueries(db: Kysely<Schema>) {
  return {
    /**
     * mailbox, digest, now, bound → the mailbox (no row: unknown), a waiting message with this
     * digest, and `n`: the stored count (migration 0002) while it is under the bound, else the
     * exact unexpired count, which reads every waiting message and so is taken only there.
     */
    state: new PreparedQuery(db, (q, $) =>
      q
        .selectFrom('mailboxes as m')
        .leftJoin('mailbox_messages as d', (join) =>
          join.onRef('d.mailbox_id', '=', 'm.mailbox_id').on('d.digest', '=', $(1)),
        )
        .leftJoin('mailbox_acked as a', (join) =>
          join.onRef('a.mailbox_id', '=', 'm.mailbox_id').on('a.digest', '=', $(4)),
        )
        .select(['d.seq', 'd.expires_at', 'd.received_at'])
        .select(['a.seq as acked_seq', 'a.received_at as acked_received_at', 'a.expires_at as acked_expires_at'])
        .select((eb) =>
          eb
            .case()
            .when('m.message_count', '<', $(3))
            .then(eb.ref('m.message_count'))
            .else(
              eb
                .selectFrom('mailbox_messages as c')
                .whereRef('c.mailbox_id', '=', 'm.mailbox_id')
                .where('c.expires_at', '>', $(2))
                .select((e) => e.fn.countAll<number>().as('n')),
            )
            .end()
            .as('n'),
        )
        .where('m.mailbox_id', '=', $(0)),
    ),
    /** mailbox, digest, envelope, received at, expires at → seq */
    insert: new PreparedQuery(db, (q, $) =>
      q
        .insertInto('mailbox_messages')
        .values({ mailbox_id: $(0), digest: $(1), envelope: $(2), received_at: $(3), expires_at: $(4) })
        .returning('seq'),
    ),
    /** The same insert without `RETURNING`, for SQLite: `seq` is the rowid (see `insertOn`). */
    insertRow: new PreparedQuery(db, (q, $) =>
      q
        .insertInto('mailbox_messages')
        .values({ mailbox_id: $(0), digest: $(1), envelope: $(2), received_at: $(3), expires_at: $(4) }),
    ),
    /** mailbox, digest → a waiting message with this digest (`state` without the count) */
    waiting: new PreparedQuery(db, (q, $) =>
      q
        .selectFrom('mailbox_messages')
        .select(['seq', 'expires_at', 'received_at'])
        .where('mailbox_id', '=', $(0))
        .where('digest', '=', $(1)),
    ),
    /** seq: an expired message, before a new copy of it is stored */
    deleteSeq: new PreparedQuery(db, (q, $) => q.deleteFrom('mailbox_messages').where('seq', '=', $(0))),
    /** mailbox, seq: keeps the digest of the message an ackOne with the same values deletes */
    keepAcked: new PreparedQuery(db, (q, $) =>
      q
        .insertInto('mailbox_acked')
        .columns(['mailbox_id', 'digest', 'seq', 'received_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('mailbox_messages')
            .select(['mailbox_id', 'digest', 'seq', 'received_at', 'expires_at'])
            .where('mailbox_id', '=', $(0))
            .where('seq', '=', $(1)),
        )
        // An expired, unpurged digest of the same envelope gives way to this one.
        .onConflict((oc) =>
          oc.columns(['mailbox_id', 'digest']).doUpdateSet((eb) => ({
            seq: eb.ref('excluded.seq'),
            received_at: eb.ref('excluded.received_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        ),
    ),
    /** mailbox, seq */
    ackOne: new PreparedQuery(db, (q, $) =>
      // The mailbox condition is what keeps one owner from deleting another's messages.
      q.deleteFrom('mailbox_messages').where('mailbox_id', '=', $(0)).where('seq', '=', $(1)),
    ),
  };
}

export type MailboxQueries = ReturnType<typeof mailboxQueries>;

/** What the state query found for an enqueue (see `mailboxQueries`); no row: no such mailbox. */
interface EnqueueState {
  readonly seq: number | null;
  readonly expires_at: number | null;
  readonly received_at: number | null;
  readonly n: number | null;
  /** An acknowledged message with this digest (absent where only the waiting copy is read). */
  readonly acked_seq?: number | null;
  readonly acked_received_at?: number | null;
  readonly acked_expires_at?: number | null;
}

/**
 * The mailboxes one batch has found full. At its bound the state query counts a mailbox's
 * unexpired messages one by one (~0.8 ms of the writer at 10,000, docs/benchmarks.md), and every
 * sender into a full mailbox would pay that again in the same batch (300 concurrent sends into
 * one: ~220 ms, `npm run bench:mailbox`). A later enqueue into one of them only looks for a
 * waiting copy of its envelope — still answered as a duplicate — and is refused otherwise; an
 * acknowledgement into the mailbox in between forgets it, and the next enqueue counts again.
 * Each enqueue brings its own bound: one found full at a bound is full at any lower one, and an
 * enqueue with a higher bound counts again. (Messages that expire during the batch's
 * milliseconds are not noticed: those senders retry.)
 */
class FullInBatch {
  /** By mailbox: the highest bound it was found holding at least as many messages as. */
  readonly #atLeast = new Map<string, number>();

  has(id: Uint8Array, maxMessages: number): boolean {
    if (this.#atLeast.size === 0) return false;
    const known = this.#atLeast.get(idKey(id));
    return known !== undefined && maxMessages <= known;
  }

  add(id: Uint8Array, maxMessages: number): void {
    const key = idKey(id);
    this.#atLeast.set(key, Math.max(maxMessages, this.#atLeast.get(key) ?? 0));
  }

  delete(id: Uint8Array): void {
    if (this.#atLeast.size > 0) this.#atLeast.delete(idKey(id));
  }
}

/** The state of a mailbox this batch found full: a waiting copy of the envelope, if any, and a full count. */
function stateWhenFull(waiting: Omit<EnqueueState, 'n'> | undefined, maxMessages: number): EnqueueState {
  return { seq: null, expires_at: null, received_at: null, ...waiting, n: maxMessages };
}

type Verdict =
  | { readonly kind: 'duplicate'; readonly result: EnqueueResult }
  /** Store it, after deleting `expiredSeq` (an expired, unpurged copy of the same envelope) if set. */
  | { readonly kind: 'insert'; readonly expiredSeq: number | null };

/**
 * The existence, duplicate and capacity rules of {@link MailboxStore.enqueue} (a signed queue's:
 * signed-queue.ts `judgeAdd`), decided from the state query alone, before anything is written (a
 * refusal must not leave writes behind).
 */
function judgeEnqueue(state: EnqueueState | undefined, op: EnqueueOp, full: FullInBatch): Verdict {
  const { now, maxMessages } = op;
  if (state === undefined) throw mailboxNotFound();
  const waiting =
    state.seq !== null && state.expires_at !== null && state.received_at !== null
      ? { seq: Number(state.seq), expiresAt: state.expires_at, receivedAt: state.received_at }
      : null;
  // Acknowledged and still within its retention: a copy, answered as the original was.
  if (waiting === null && state.acked_seq != null && state.acked_expires_at != null && state.acked_expires_at > now) {
    const result = { seq: Number(state.acked_seq), duplicate: true, receivedAt: Number(state.acked_received_at) };
    return { kind: 'duplicate', result };
  }
  const verdict = judgeAdd(waiting, Number(state.n), maxMessages, now);
  if (verdict.kind === 'duplicate') {
    return { kind: 'duplicate', result: { seq: verdict.seq, duplicate: true, receivedAt: verdict.receivedAt } };
  }
  if (verdict.kind === 'full') {
    full.add(op.id, maxMessages);
    throw mailboxFull();
  }
  return verdict;
}

function inserted(row: { seq: number } | undefined, now: number): EnqueueResult {
  if (row === undefined) throw new StorageError('dependency', 'insert returned no seq');
  return { seq: Number(row.seq), duplicate: false, receivedAt: now };
}

/** Runs `op` inside a Kysely transaction. Throws a {@link StorageError} to refuse it alone. */
async function applyInTransaction(
  trx: Transaction<Schema>,
  dialect: Dialect,
  q: MailboxQueries,
  op: MailboxOp,
  full: FullInBatch,
): Promise<MailboxOpResult> {
  if (op.kind === 'ack') {
    full.delete(op.id);
    if (op.seqs.length === 1) {
      await q.keepAcked.execute(trx, [op.id, op.seqs[0]]);
      return Number((await q.ackOne.execute(trx, [op.id, op.seqs[0]])).numAffectedRows ?? 0n);
    }
    let deleted = 0n;
    for (let i = 0; i < op.seqs.length; i += BATCH_SEQS) {
      const seqs = op.seqs.slice(i, i + BATCH_SEQS);
      await trx
        .insertInto('mailbox_acked')
        .columns(['mailbox_id', 'digest', 'seq', 'received_at', 'expires_at'])
        .expression((eb) =>
          eb
            .selectFrom('mailbox_messages')
            .select(['mailbox_id', 'digest', 'seq', 'received_at', 'expires_at'])
            .where('mailbox_id', '=', op.id)
            .where('seq', 'in', seqs),
        )
        .onConflict((oc) =>
          oc.columns(['mailbox_id', 'digest']).doUpdateSet((eb) => ({
            seq: eb.ref('excluded.seq'),
            received_at: eb.ref('excluded.received_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute();
      const result = await trx
        .deleteFrom('mailbox_messages')
        // The mailbox condition is what keeps one owner from deleting another's messages.
        .where('mailbox_id', '=', op.id)
        .where('seq', 'in', seqs)
        .executeTakeFirst();
      deleted += result.numDeletedRows;
    }
    return Number(deleted);
  }
  const { id, now } = op;
  const digest = digestOf(op);
  // Serialises enqueues into this mailbox (see mailbox-store.ts): "check duplicate, count,
  // insert" is atomic, and seqs commit in order. Inserts elsewhere are not blocked. The lock is
  // its own statement so that the query below, a new statement, reads what the previous holder
  // committed. SQLite needs no lock: its transactions run one at a time.
  if (hasRowLocks(dialect) && !(await lockMailbox(trx, dialect, id))) {
    throw mailboxNotFound();
  }
  const state = full.has(id, op.maxMessages)
    ? stateWhenFull((await q.waiting.execute(trx, [id, digest])).rows[0], op.maxMessages)
    : (await q.state.execute(trx, [id, digest, now, op.maxMessages, digest])).rows[0];
  const verdict = judgeEnqueue(state, op, full);
  if (verdict.kind === 'duplicate') return verdict.result;
  if (verdict.expiredSeq !== null) await q.deleteSeq.execute(trx, [verdict.expiredSeq]);
  return inserted((await q.insert.execute(trx, insertValues(op, digest))).rows[0], now);
}

/** {@link applyInTransaction} on SQLite's connection, synchronously: the same statements. */
function applyOnSqlite(
  sqlite: BetterSqlite3.Database,
  q: MailboxQueries,
  op: MailboxOp,
  full: FullInBatch,
): MailboxOpResult {
  if (op.kind === 'ack') {
    full.delete(op.id);
    // One statement per seq: synchronously that costs less than building an `in (…)` list.
    let deleted = 0;
    for (const seq of op.seqs) {
      q.keepAcked.runOn(sqlite, [op.id, seq]);
      deleted += q.ackOne.runOn(sqlite, [op.id, seq]);
    }
    return deleted;
  }
  const digest = digestOf(op);
  const state = full.has(op.id, op.maxMessages)
    ? stateWhenFull(q.waiting.getOn(sqlite, [op.id, digest]), op.maxMessages)
    : q.state.getOn(sqlite, [op.id, digest, op.now, op.maxMessages, digest]);
  const verdict = judgeEnqueue(state, op, full);
  if (verdict.kind === 'duplicate') return verdict.result;
  if (verdict.expiredSeq !== null) q.deleteSeq.runOn(sqlite, [verdict.expiredSeq]);
  // `seq` is an `integer primary key`, the rowid (dialect.ts `serialPrimaryKey`).
  return { seq: q.insertRow.insertOn(sqlite, insertValues(op, digest)), duplicate: false, receivedAt: op.now };
}

/**
 * A whole batch on SQLite's connection in one transaction, rolled back if it throws; the
 * caller must hold the connection (no other transaction open on it).
 */
export function writeBatchOnSqlite(
  sqlite: BetterSqlite3.Database,
  q: MailboxQueries,
  ops: readonly MailboxOp[],
): Outcome<MailboxOpResult>[] {
  // IMMEDIATE: the write lock from the start, so no other connection's writer can make this
  // transaction fail halfway (a deferred one would upgrade after its first read).
  const full = new FullInBatch();
  return sqlite.transaction(() => applyEach(ops, (op) => applyOnSqlite(sqlite, q, op, full))).immediate();
}

/** A whole batch in a Kysely transaction the caller opened (PostgreSQL), one operation at a time. */
export function writeBatchInTransaction(
  trx: Transaction<Schema>,
  dialect: Dialect,
  q: MailboxQueries,
  ops: readonly MailboxOp[],
): Promise<Outcome<MailboxOpResult>[]> {
  const full = new FullInBatch();
  // A lone enqueue locks its one mailbox itself; anything more, acknowledgements included, takes
  // every mailbox of the batch first, in one order (locks.ts).
  const lone = ops.length === 1 && ops[0]?.kind === 'enqueue';
  return (lone ? Promise.resolve() : lockMailboxesInOrder(trx, dialect, distinctMailboxes(ops))).then(() =>
    applyEachAsync(ops, (op) => applyInTransaction(trx, dialect, q, op, full)),
  );
}

/** The mailboxes a batch writes to, each once. */
function distinctMailboxes(ops: readonly MailboxOp[]): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (const op of ops) {
    const key = idKey(op.id);
    if (!seen.has(key)) seen.set(key, op.id);
  }
  return [...seen.values()];
}

/** The envelope's SHA-256, which makes a resent envelope a duplicate (mailbox-store.ts). */
function digestOf(op: EnqueueOp): Uint8Array {
  return toColumn(sha256(op.envelope));
}

function insertValues(op: EnqueueOp, digest: Uint8Array): unknown[] {
  return [op.id, digest, op.envelope, op.now, op.now + op.ttlMs];
}
