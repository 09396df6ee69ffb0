/**
 * A read-through cache of mailbox records in front of a MailboxStore. Every delivery looks its
 * mailbox up for the sender key; from the database that key is a new array each time, so the
 * crypto backend's parsed-key cache (keyed by the array) never hit and each delivery paid for a
 * strict key check and import again. Cached records keep the same arrays. Safe across processes:
 * a cached record can only outlive its mailbox in another process, and enqueue re-checks that the
 * mailbox exists inside its transaction; in a cluster a deletion is also announced on the bus
 * (`onDeleted`), and the other processes {@link CachedMailboxStore.forget} the record at once.
 *
 * It also remembers, for `fullHoldMs` (1 s), the mailboxes it saw refused as full, and refuses
 * further enqueues into them (`mailbox-full`) without asking the store: at its bound the store
 * counts a mailbox's unexpired messages one by one (~0.8 ms of the writer thread at 10,000,
 * docs/benchmarks.md) — once per group commit that sends into it (mailbox-ops.ts FullInBatch) —
 * and a sender who keeps sending into a full mailbox would otherwise buy that for every group
 * commit it joins. An acknowledgement or deletion through this store frees the
 * mailbox at once (one in another process, after at most `fullHoldMs`). Meanwhile an envelope
 * already stored is refused as well, instead of answered as a duplicate: the sender retries
 * later (HTTP 429, "retry later"), and is answered then.
 */
import { idKey } from '../id-key.ts';
import { RecentMap } from '../recent-map.ts';
import {
  type EnqueueOptions,
  type EnqueueResult,
  type FetchOptions,
  type MailboxKeys,
  type MailboxMessage,
  type MailboxRecord,
  type MailboxStore,
  mailboxFull,
  StorageError,
} from '../storage/index.ts';

export interface MailboxCacheOptions {
  /** How long a mailbox refused as full is refused without asking the store (default 1 s). */
  readonly fullHoldMs?: number;
  /** The clock for that (default `Date.now`). */
  readonly now?: () => number;
  /**
   * Called after this store deleted a mailbox: a cluster tells its other processes to
   * {@link CachedMailboxStore.forget} it (docs/server.md "A cluster").
   */
  readonly onDeleted?: (mailboxId: Uint8Array) => void;
}

export class CachedMailboxStore implements MailboxStore {
  readonly #inner: MailboxStore;
  /** Recently used mailboxes' records (recent-map.ts). */
  readonly #records: RecentMap<MailboxRecord>;
  /** Mailboxes refused as full, by key: until when they are refused from memory. */
  readonly #fullUntil: RecentMap<number>;
  readonly #fullHoldMs: number;
  readonly #now: () => number;
  readonly #onDeleted: ((mailboxId: Uint8Array) => void) | undefined;

  constructor(inner: MailboxStore, maxRecords = 100_000, options: MailboxCacheOptions = {}) {
    this.#inner = inner;
    this.#records = new RecentMap(maxRecords);
    this.#fullUntil = new RecentMap(maxRecords);
    this.#fullHoldMs = options.fullHoldMs ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#onDeleted = options.onDeleted;
  }

  /** Drops what is cached about the mailbox (another process deleted it). */
  forget(mailboxId: Uint8Array): void {
    this.#records.delete(idKey(mailboxId));
    this.#fullUntil.delete(idKey(mailboxId));
  }

  async getMailbox(mailboxId: Uint8Array): Promise<MailboxRecord | null> {
    const key = idKey(mailboxId);
    const hit = this.#records.get(key);
    if (hit !== undefined) return hit;
    const record = await this.#inner.getMailbox(mailboxId);
    if (record !== null) this.#records.set(key, record);
    return record;
  }

  async deleteMailbox(mailboxId: Uint8Array): Promise<boolean> {
    this.#records.delete(idKey(mailboxId));
    this.#fullUntil.delete(idKey(mailboxId));
    const deleted = await this.#inner.deleteMailbox(mailboxId);
    if (deleted) this.#onDeleted?.(mailboxId);
    return deleted;
  }

  createMailbox(keys: MailboxKeys): Promise<{ mailboxId: Uint8Array }> {
    return this.#inner.createMailbox(keys);
  }

  enqueue(mailboxId: Uint8Array, envelope: Uint8Array, options: EnqueueOptions): Promise<EnqueueResult> {
    // Empty but for full mailboxes: the common case costs one size check.
    if (this.#fullUntil.size > 0) {
      const key = idKey(mailboxId);
      const until = this.#fullUntil.get(key);
      if (until !== undefined && until > this.#now()) return Promise.reject(mailboxFull());
      if (until !== undefined) this.#fullUntil.delete(key);
    }
    return this.#inner.enqueue(mailboxId, envelope, options).catch((e: unknown) => {
      if (StorageError.is(e, 'mailbox-full')) this.#refusedAsFull(idKey(mailboxId));
      throw e;
    });
  }

  fetch(mailboxId: Uint8Array, options: FetchOptions): Promise<MailboxMessage[]> {
    return this.#inner.fetch(mailboxId, options);
  }

  ack(mailboxId: Uint8Array, seqs: readonly number[]): Promise<number> {
    if (this.#fullUntil.size > 0) this.#fullUntil.delete(idKey(mailboxId));
    return this.#inner.ack(mailboxId, seqs);
  }

  purgeExpired(): Promise<number> {
    return this.#inner.purgeExpired();
  }

  count(mailboxId: Uint8Array): Promise<number | null> {
    return this.#inner.count(mailboxId);
  }

  total(): Promise<number> {
    return this.#inner.total();
  }

  #refusedAsFull(key: string): void {
    this.#fullUntil.set(key, this.#now() + this.#fullHoldMs);
  }
}
