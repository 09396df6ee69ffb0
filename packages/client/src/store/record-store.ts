/**
 * The one narrow storage interface of the client: records of bytes named by (kind, id), read one
 * at a time or listed in id order, written in atomic batches. Every backend (in-memory, SQLite in
 * Node, IndexedDB in the browser later) implements exactly this and passes one conformance suite
 * (`test/record-store-conformance.ts`). Typed repositories (contacts, messages, …) and encryption
 * at rest are layers above it, so no backend ever sees plaintext it would have to protect.
 *
 * Writes are batched rather than done inside an open transaction so that a backend like
 * IndexedDB (whose transactions end at the first idle tick) can implement it, and so that the
 * engine can compute a whole state change first and commit it once: protocol state and message
 * history land together or not at all.
 */

/** Put `value` under (kind, id), or delete the record when `value` is null. */
export interface RecordWrite {
  readonly kind: string;
  readonly id: string;
  readonly value: Uint8Array | null;
}

export interface StoredRecord {
  readonly id: string;
  readonly value: Uint8Array;
}

export interface ListOptions {
  /** Only ids strictly greater than this (in the store's order: UTF-16 code unit order). */
  readonly after?: string;
  /** At most this many records (default: all). */
  readonly limit?: number;
  /** Newest first: ids in descending order (`after` then means "strictly less than"). */
  readonly reverse?: boolean;
}

export interface RecordStore {
  get(kind: string, id: string): Promise<Uint8Array | undefined>;
  /** Records of one kind in ascending id order (descending with `reverse`). */
  list(kind: string, options?: ListOptions): Promise<StoredRecord[]>;
  /**
   * Applies every write or none (atomic), in order (a later write to the same record wins), and
   * resolves only once the batch is durable (for a disk backend: fsynced).
   */
  commit(writes: readonly RecordWrite[]): Promise<void>;
  close(): Promise<void>;
}
