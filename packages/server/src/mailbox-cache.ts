/**
 * A read-through cache of mailbox records in front of a MailboxStore. Every delivery looks its
 * mailbox up for the sender key; from the database that key is a new array each time, so the
 * crypto backend's parsed-key cache (keyed by the array) never hit and each delivery paid for a
 * strict key check and import again. Cached records keep the same arrays. Safe across processes:
 * a cached record can only outlive its mailbox in another process, and enqueue re-checks that the
 * mailbox exists inside its transaction.
 */
import { idKey } from './id-key.ts';
import type {
  EnqueueOptions,
  EnqueueResult,
  FetchOptions,
  MailboxKeys,
  MailboxMessage,
  MailboxRecord,
  MailboxStore,
} from './storage/index.ts';

export class CachedMailboxStore implements MailboxStore {
  readonly #inner: MailboxStore;
  readonly #records = new Map<string, MailboxRecord>();
  readonly #max: number;

  constructor(inner: MailboxStore, maxRecords = 100_000) {
    this.#inner = inner;
    this.#max = maxRecords;
  }

  async getMailbox(mailboxId: Uint8Array): Promise<MailboxRecord | null> {
    const key = idKey(mailboxId);
    const hit = this.#records.get(key);
    if (hit !== undefined) {
      this.#records.delete(key); // re-inserted: Map order is recency order
      this.#records.set(key, hit);
      return hit;
    }
    const record = await this.#inner.getMailbox(mailboxId);
    if (record !== null) {
      this.#records.set(key, record);
      if (this.#records.size > this.#max) {
        const oldest = this.#records.keys().next().value;
        if (oldest !== undefined) this.#records.delete(oldest);
      }
    }
    return record;
  }

  async deleteMailbox(mailboxId: Uint8Array): Promise<boolean> {
    this.#records.delete(idKey(mailboxId));
    return this.#inner.deleteMailbox(mailboxId);
  }

  createMailbox(keys: MailboxKeys): Promise<{ mailboxId: Uint8Array }> {
    return this.#inner.createMailbox(keys);
  }

  enqueue(mailboxId: Uint8Array, envelope: Uint8Array, options: EnqueueOptions): Promise<EnqueueResult> {
    return this.#inner.enqueue(mailboxId, envelope, options);
  }

  fetch(mailboxId: Uint8Array, options: FetchOptions): Promise<MailboxMessage[]> {
    return this.#inner.fetch(mailboxId, options);
  }

  ack(mailboxId: Uint8Array, seqs: readonly number[]): Promise<number> {
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
}
