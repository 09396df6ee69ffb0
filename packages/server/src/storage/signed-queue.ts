/**
 * What a mailbox's messages and a contact address's requests have in common: both are a signed
 * queue — a row named by 16 random bytes and owned through a 32-byte Ed25519 public key, holding
 * opaque items that anyone with the right may add and the owner pages through by `seq` and
 * deletes. One set of rules for both stores (mailbox-store.ts with mailbox-ops.ts, and
 * contact-address-store.ts), so that they cannot drift:
 *
 * - an id that is not 16 bytes names no queue (treated as an unknown one, never a `usage` error);
 * - keys are 32 bytes, and are copied when checked, so what is checked is what is stored;
 * - a page is `afterSeq` ≥ 0 (default 0) and a `limit` from 1 to {@link MAX_QUEUE_PAGE};
 * - seqs to delete are non-negative integers, each deleted once;
 * - adding an item (same SHA-256 as one waiting) is idempotent: {@link judgeAdd} decides between
 *   a duplicate, a refusal (the queue is full) and an insert, before anything is written.
 *
 * The SQL stays with each store: the mailbox's runs as prepared statements in group commits (on
 * SQLite's writer thread), the address's in one Kysely transaction per request.
 */
import { MAX_PAGE_LIMIT } from '@parley/protocol';
import { StorageError } from './errors.ts';

/** Queue ids (mailbox ids, contact address ids) are 16 random bytes. */
export const QUEUE_ID_BYTES = 16;

/** Owner and sender keys are Ed25519 public keys. */
export const QUEUE_KEY_BYTES = 32;

/** The most items one page (a mailbox fetch, a request listing) returns: the wire contract's limit. */
export const MAX_QUEUE_PAGE = MAX_PAGE_LIMIT;

/** Whether `id` can name a queue at all. */
export function isQueueId(id: unknown): id is Uint8Array {
  return id instanceof Uint8Array && id.length === QUEUE_ID_BYTES;
}

/** A copy of a 32-byte key, or `usage` naming it (`name` is a fixed word, never the value). */
export function checkQueueKey(key: unknown, name: string): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== QUEUE_KEY_BYTES) {
    throw new StorageError('usage', `${name} must be 32 bytes`);
  }
  return new Uint8Array(key);
}

/** A copy of a fresh id from the store's random source, which must give 16 bytes. */
export function newQueueId(random: () => Uint8Array, name: string): Uint8Array {
  const id = new Uint8Array(random());
  if (id.length !== QUEUE_ID_BYTES) throw new StorageError('usage', `${name} must be 16 bytes`);
  return id;
}

export function checkPositive(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new StorageError('usage', `${name} must be a positive integer`);
}

/** A page's bounds, checked: `afterSeq` (default 0) and `limit`. */
export function checkPage(options: { readonly afterSeq?: number; readonly limit: number } | undefined): {
  afterSeq: number;
  limit: number;
} {
  const afterSeq = options?.afterSeq ?? 0;
  const limit = options?.limit as number;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new StorageError('usage', 'afterSeq must be a non-negative integer');
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUEUE_PAGE) {
    throw new StorageError('usage', `limit must be an integer from 1 to ${MAX_QUEUE_PAGE}`);
  }
  return { afterSeq, limit };
}

/** The seqs to delete, checked, each once (one seq is returned as given: the common case). */
export function checkSeqs(seqs: readonly number[]): readonly number[] {
  if (!Array.isArray(seqs) || !seqs.every((s) => Number.isSafeInteger(s) && s >= 0)) {
    throw new StorageError('usage', 'seqs must be non-negative integers');
  }
  return seqs.length === 1 ? seqs : [...new Set(seqs)];
}

/** A waiting item with the same digest as the one being added. */
export interface WaitingCopy {
  readonly seq: number;
  readonly expiresAt: number;
  readonly receivedAt: number;
}

export type AddVerdict =
  /** The same item is waiting: store nothing, answer with its seq. */
  | { readonly kind: 'duplicate'; readonly seq: number; readonly receivedAt: number }
  /** The queue holds its bound of unexpired items: refuse it. */
  | { readonly kind: 'full' }
  /** Store it, after deleting `expiredSeq` (an expired, unpurged copy of the same item) if set. */
  | { readonly kind: 'insert'; readonly expiredSeq: number | null };

const FULL: AddVerdict = { kind: 'full' };
const INSERT: AddVerdict = { kind: 'insert', expiredSeq: null };

/**
 * The duplicate, expiry and capacity rules of adding an item, decided from what the store read
 * before writing anything (a refusal must leave no write behind): a waiting unexpired copy is a
 * duplicate (even when the queue is full); an expired, unpurged one is gone as far as anyone can
 * tell, so the item is new; a queue that holds `max` unexpired items (`count`, which leaves
 * expired ones out) is full. It allocates nothing on the common path (it runs for every message).
 */
export function judgeAdd(waiting: WaitingCopy | null, count: number, max: number, now: number): AddVerdict {
  let expiredSeq: number | null = null;
  if (waiting !== null) {
    if (waiting.expiresAt > now) return { kind: 'duplicate', seq: waiting.seq, receivedAt: waiting.receivedAt };
    expiredSeq = waiting.seq;
  }
  if (count >= max) return FULL;
  return expiredSeq === null ? INSERT : { kind: 'insert', expiredSeq };
}
