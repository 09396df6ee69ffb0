/**
 * Store-and-forward mailboxes (after SimpleX's queues): a sender drops sealed envelopes into a
 * mailbox, its owner fetches them in order and acknowledges them, and whatever is neither
 * acknowledged nor fetched in time expires.
 *
 * Privacy by construction: a mailbox row holds only its random id and two Ed25519 public keys —
 * the owner's (`recipientKey`, for fetching and acknowledging) and the one senders sign
 * deliveries with (`senderKey`). Nothing links a mailbox to an account, a device or another
 * mailbox, and envelopes are opaque bytes. Verifying those signatures is the caller's job.
 *
 * Ordering: `seq` is assigned by the database (an auto-incrementing primary key, see
 * `serialPrimaryKey`) and only ever increases. Enqueues into one mailbox run one at a time — on
 * PostgreSQL each locks the mailbox row until it commits, on SQLite every transaction runs alone —
 * so within a mailbox a message with a higher seq was also committed later, and a reader paging
 * with `afterSeq` never skips one that commits afterwards.
 *
 * Expiry: a message is delivered while the clock reads less than its `expiresAt`
 * (`receivedAt + ttlMs`). Expired messages are invisible at once — to {@link MailboxStore.fetch},
 * {@link MailboxStore.count} and the `maxMessages` limit — and removed by
 * {@link MailboxStore.purgeExpired}.
 *
 * @example
 * ```ts
 * const mailboxes = new SqlMailboxStore(database);
 * const { mailboxId } = await mailboxes.createMailbox({ recipientKey, senderKey });
 * await mailboxes.enqueue(mailboxId, envelope, { ttlMs: 14 * 86_400_000, maxMessages: 1000 });
 * const messages = await mailboxes.fetch(mailboxId, { limit: 100 });
 * await mailboxes.ack(mailboxId, messages.map((m) => m.seq));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { retryConflicts, storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { deleteExpired } from './expiry.ts';
import {
  type EnqueueResult,
  MAILBOX_ID_BYTES,
  type MailboxOp,
  type MailboxOpResult,
  type MailboxQueries,
  mailboxNotFound,
  mailboxQueries,
  writeBatchInTransaction,
  writeBatchOnSqlite,
} from './mailbox-ops.ts';
import {
  checkPage,
  checkPositive,
  checkQueueKey,
  checkSeqs,
  isQueueId,
  MAX_QUEUE_PAGE,
  newQueueId,
} from './signed-queue.ts';
import { type BatchWriter, GroupCommit } from './sqlite/group-commit.ts';

export { type EnqueueResult, MAILBOX_ID_BYTES, mailboxFull } from './mailbox-ops.ts';

/** The most messages one {@link MailboxStore.fetch} returns (a signed queue's page). */
export const MAX_FETCH_LIMIT = MAX_QUEUE_PAGE;

/** The two public keys a mailbox is created with. */
export interface MailboxKeys {
  /** The owner's Ed25519 public key (32 bytes). */
  readonly recipientKey: Uint8Array;
  /** The Ed25519 public key (32 bytes) that senders sign deliveries with. */
  readonly senderKey: Uint8Array;
}

export interface MailboxRecord extends MailboxKeys {
  /** 16 bytes. */
  readonly mailboxId: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface EnqueueOptions {
  /** How long the message is kept, in milliseconds: a positive integer. */
  readonly ttlMs: number;
  /** The most unexpired messages the mailbox may hold, this one included: a positive integer. */
  readonly maxMessages: number;
}

export interface FetchOptions {
  /** Only messages with a greater seq (for paging). Default 0: from the start. */
  readonly afterSeq?: number;
  /** The most messages to return, 1 to {@link MAX_FETCH_LIMIT}. */
  readonly limit: number;
}

export interface MailboxMessage {
  readonly seq: number;
  /** The envelope, byte for byte as enqueued. */
  readonly envelope: Uint8Array;
  /** When it was enqueued, in milliseconds since the Unix epoch. */
  readonly receivedAt: number;
}

/**
 * Mailbox ids are untrusted input: an id that is not 16 bytes names no mailbox, and is treated
 * like an unknown one (`null`, `false`, `[]`, `0` or `not-found`). Other malformed arguments are
 * `usage` errors.
 */
export interface MailboxStore {
  /** Creates a mailbox with a fresh random id. Throws `usage` unless both keys are 32 bytes. */
  createMailbox(keys: MailboxKeys): Promise<{ mailboxId: Uint8Array }>;
  /** The mailbox, or `null` if there is none. */
  getMailbox(mailboxId: Uint8Array): Promise<MailboxRecord | null>;
  /** Deletes the mailbox and every message in it. `false` if there was none. */
  deleteMailbox(mailboxId: Uint8Array): Promise<boolean>;
  /**
   * Stores an envelope (non-empty bytes) for `ttlMs`, atomically. Idempotent: an envelope that is
   * already waiting (same SHA-256) returns its seq with `duplicate: true` and stores nothing —
   * even when the mailbox is full. Throws `not-found` for an unknown mailbox and `mailbox-full`
   * if it already holds `maxMessages` unexpired messages.
   */
  enqueue(mailboxId: Uint8Array, envelope: Uint8Array, options: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Unexpired messages with seq greater than `afterSeq`, by ascending seq, at most `limit`.
   * Fetching removes nothing; `[]` for an unknown mailbox.
   */
  fetch(mailboxId: Uint8Array, options: FetchOptions): Promise<MailboxMessage[]>;
  /**
   * Deletes the given messages of this mailbox (a seq of another mailbox is ignored), returning
   * how many were deleted. Acknowledging twice is harmless: the second time deletes nothing.
   */
  ack(mailboxId: Uint8Array, seqs: readonly number[]): Promise<number>;
  /** Deletes every expired message of every mailbox, returning how many there were. */
  purgeExpired(): Promise<number>;
  /** How many unexpired messages the mailbox holds, or `null` if there is no such mailbox. */
  count(mailboxId: Uint8Array): Promise<number | null>;
  /** How many unexpired messages all mailboxes hold (for metrics: it reads every message). */
  total(): Promise<number>;
}

export interface MailboxStoreOptions {
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** The source of mailbox ids; must return 16 bytes. Default 16 bytes from `crypto.randomBytes`. */
  readonly random?: () => Uint8Array;
  /** Called after each group commit of enqueues and acknowledgements (for metrics). */
  readonly onBatch?: (operations: number, seconds: number) => void;
}

function defaultRandom(): Uint8Array {
  return randomBytes(MAILBOX_ID_BYTES);
}

/** Whether `id` can name a mailbox at all. */
const isMailboxId = isQueueId;

/**
 * Where the group commits of enqueues and acknowledgements are written: the writer thread if the
 * database has one, else synchronously on SQLite's connection, else in a Kysely transaction
 * (PostgreSQL). See group-commit.ts and sqlite-writer.ts.
 *
 * On SQLite a batch holds the connection's lock until it has committed, on the writer thread
 * too: the event loop's own statements (accounts, prekeys, mailbox creation, reads) then wait
 * for a batch asynchronously, instead of meeting the writer's lock in SQLite's busy handler,
 * which sleeps on the event loop — a reconnect storm under load, each subscription then writing
 * a challenge, held it for a batch's length per write. A free lock is taken synchronously, so the next batch
 * reaches the writer thread before the last one's callers are answered; the thread's batches
 * share it, two at a time (connection-lock.ts).
 */
function batchWriter(database: Database, q: MailboxQueries): BatchWriter<MailboxOp, MailboxOpResult> {
  const { db, dialect, sqlite, writer } = database;
  if (sqlite !== null && writer !== null) {
    return { pipelined: writer.pipelined, write: (ops) => sqlite.lock.share(() => writer.write(ops)) };
  }
  if (sqlite !== null) {
    return { write: (ops) => sqlite.lock.run(async () => writeBatchOnSqlite(sqlite.connection, q, ops)) };
  }
  return {
    overlaps: true,
    // Batches of several processes (a cluster) take their mailboxes in one order (locks.ts); a
    // deadlock with anything else is broken by PostgreSQL failing one side, which runs again.
    write: (ops) =>
      retryConflicts(() => db.transaction().execute((trx) => writeBatchInTransaction(trx, dialect, q, ops))),
  };
}

/** {@link MailboxStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlMailboxStore implements MailboxStore {
  readonly #database: Database;
  readonly #commits: GroupCommit<MailboxOp, MailboxOpResult>;
  readonly #now: () => number;
  readonly #random: () => Uint8Array;

  constructor(database: Database, options: MailboxStoreOptions = {}) {
    this.#database = database;
    this.#commits = new GroupCommit(batchWriter(database, mailboxQueries(database.db)), {
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? defaultRandom;
  }

  async createMailbox(keys: MailboxKeys): Promise<{ mailboxId: Uint8Array }> {
    const recipientKey = checkQueueKey(keys?.recipientKey, 'recipient key');
    const senderKey = checkQueueKey(keys?.senderKey, 'sender key');
    const mailboxId = newQueueId(this.#random, 'mailbox id');
    const createdAt = this.#now();
    // Two equal 16-byte random ids do not happen; if they do, the source is broken, and the
    // primary-key violation is reported as a failed dependency rather than sharing a mailbox.
    await storageOp('dependency', () =>
      this.#database.db
        .insertInto('mailboxes')
        .values({
          mailbox_id: toColumn(mailboxId),
          recipient_key: toColumn(recipientKey),
          sender_key: toColumn(senderKey),
          created_at: createdAt,
        })
        .execute(),
    );
    return { mailboxId: new Uint8Array(mailboxId) };
  }

  async getMailbox(mailboxId: Uint8Array): Promise<MailboxRecord | null> {
    if (!isMailboxId(mailboxId)) return null;
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('mailboxes')
        .select(['mailbox_id', 'recipient_key', 'sender_key', 'created_at'])
        .where('mailbox_id', '=', toColumn(mailboxId))
        .executeTakeFirst();
      if (row === undefined) return null;
      return {
        mailboxId: fromColumn(row.mailbox_id),
        recipientKey: fromColumn(row.recipient_key),
        senderKey: fromColumn(row.sender_key),
        createdAt: row.created_at,
      };
    });
  }

  async deleteMailbox(mailboxId: Uint8Array): Promise<boolean> {
    if (!isMailboxId(mailboxId)) return false;
    return storageOp('dependency', async () => {
      // Its messages go with it: mailbox_messages references mailboxes ON DELETE CASCADE.
      const result = await this.#database.db
        .deleteFrom('mailboxes')
        .where('mailbox_id', '=', toColumn(mailboxId))
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  /**
   * Group commit (see {@link GroupCommit}): concurrent enqueues and acknowledgements are written
   * together, in one transaction per batch, so one fsync covers many messages. Each call still
   * resolves only after the transaction holding its message has committed — the durability
   * promise is unchanged — and gets its own result or its own error (an unknown or full mailbox
   * fails that message only). A database failure fails every operation of the batch, none of
   * which is stored.
   */
  enqueue(mailboxId: Uint8Array, envelope: Uint8Array, options: EnqueueOptions): Promise<EnqueueResult> {
    if (!(envelope instanceof Uint8Array) || envelope.length === 0) {
      return Promise.reject(new StorageError('usage', 'envelope must be non-empty bytes'));
    }
    try {
      checkPositive(options?.ttlMs, 'ttlMs');
      checkPositive(options?.maxMessages, 'maxMessages');
    } catch (e) {
      return Promise.reject(e);
    }
    if (!isMailboxId(mailboxId)) return Promise.reject(mailboxNotFound());
    // Copies, so that what is stored (and hashed, where the write runs) is the bytes given now,
    // whatever the caller does with its buffers meanwhile (Buffer.from copies a small one into
    // Node's shared pool rather than a buffer of its own: one allocation less a message).
    const op: MailboxOp = {
      kind: 'enqueue',
      id: Buffer.from(mailboxId),
      envelope: Buffer.from(envelope),
      now: this.#now(),
      ttlMs: options.ttlMs,
      maxMessages: options.maxMessages,
    };
    return this.#commits.run(op) as Promise<EnqueueResult>;
  }

  async fetch(mailboxId: Uint8Array, options: FetchOptions): Promise<MailboxMessage[]> {
    const { afterSeq, limit } = checkPage(options);
    if (!isMailboxId(mailboxId)) return [];
    const now = this.#now();
    return storageOp('dependency', async () => {
      const rows = await this.#database.db
        .selectFrom('mailbox_messages')
        .select(['seq', 'envelope', 'received_at'])
        .where('mailbox_id', '=', toColumn(mailboxId))
        .where('seq', '>', afterSeq)
        .where('expires_at', '>', now)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        seq: Number(row.seq),
        envelope: fromColumn(row.envelope),
        receivedAt: row.received_at,
      }));
    });
  }

  ack(mailboxId: Uint8Array, seqs: readonly number[]): Promise<number> {
    // Not async, as enqueue: the hot path keeps no frame of its own alive during the group commit.
    let unique: readonly number[];
    try {
      unique = checkSeqs(seqs);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!isMailboxId(mailboxId)) return Promise.resolve(0);
    if (unique.length === 0) return Promise.resolve(0);
    // Group-committed with enqueues: acknowledged deliveries are deleted durably before this
    // resolves, at the cost of one fsync per batch rather than one per acknowledgement.
    return this.#commits.run({ kind: 'ack', id: Buffer.from(mailboxId), seqs: unique }) as Promise<number>;
  }

  async purgeExpired(): Promise<number> {
    const now = this.#now();
    // Digests of acknowledged messages go when the message would have expired (mailbox-ops.ts).
    await deleteExpired(this.#database, 'mailbox_acked', now);
    return deleteExpired(this.#database, 'mailbox_messages', now);
  }

  async total(): Promise<number> {
    const now = this.#now();
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('mailbox_messages')
        .where('expires_at', '>', now)
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    });
  }

  async count(mailboxId: Uint8Array): Promise<number | null> {
    if (!isMailboxId(mailboxId)) return null;
    const now = this.#now();
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('mailboxes as m')
        .where('m.mailbox_id', '=', toColumn(mailboxId))
        .select((eb) =>
          eb
            .selectFrom('mailbox_messages as q')
            .whereRef('q.mailbox_id', '=', 'm.mailbox_id')
            .where('q.expires_at', '>', now)
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('n'),
        )
        .executeTakeFirst();
      return row === undefined ? null : Number(row.n);
    });
  }
}
