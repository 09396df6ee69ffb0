/**
 * A {@link RecordStore} in one IndexedDB database, the browser client's store — written directly
 * against the IndexedDB API: the store needs four operations (get, a key-range listing, one
 * transaction per batch, close), each a few lines over IDBRequest, so a wrapper library would add
 * bytes and a dependency without removing any code worth removing.
 *
 * Layout: database `<name>` version {@link IDB_SCHEMA_VERSION}, one object store `records` with
 * out-of-line array keys `[kind, id]` and the value's bytes (a Uint8Array) as the value. Array
 * keys sort element by element and strings by UTF-16 code units (IndexedDB §2.8 "key"), so the
 * records of one kind are one contiguous key range in id order — the same order as
 * {@link MemoryRecordStore} — and `list` is a key range walked forwards or backwards.
 *
 * Durability: each `commit` is one `readwrite` transaction with `durability: 'strict'` and
 * resolves on its `complete` event, i.e. once the browser reports the batch flushed to disk;
 * IndexedDB transactions are atomic, so a batch lands whole or not at all.
 *
 * Bytes are copied in (an exact copy, so a view into a larger buffer stores only its own bytes —
 * structured cloning a view would store its whole backing buffer) and out (every read is a fresh
 * deserialisation). Values are whatever the caller gives: wrap this store in an
 * `EncryptedRecordStore` for encryption at rest.
 *
 * Errors: a database of a newer schema, or one without our object store, is `store-corrupt`;
 * anything the browser refuses (storage disabled, quota exceeded, an aborted transaction) is
 * `store-io`.
 */
import { ClientError } from '../../errors.ts';
import { checkId, checkKind, checkListOptions, checkWrites, closedError } from '../../store/names.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from '../../store/record-store.ts';

/** The schema this code writes; a database of a higher version is refused. */
export const IDB_SCHEMA_VERSION = 1;
const RECORDS = 'records';

const IO_ERROR = 'The browser refused to read or write the local store (storage full, blocked or disabled).';

function ioError(cause: unknown): ClientError {
  return new ClientError('store-io', IO_ERROR, { cause });
}

/** The result of one request, rejected with `store-io` when it fails. */
function requested<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(request.error));
  });
}

/** The IndexedDB factory of this page, or `store-io` when the browser has none (storage disabled). */
export function indexedDbFactory(): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory === undefined) {
    throw new ClientError('store-io', 'This browser offers no IndexedDB here, so nothing can be stored.');
  }
  return factory;
}

export class IndexedDbRecordStore implements RecordStore {
  readonly #db: IDBDatabase;
  #closed = false;

  private constructor(db: IDBDatabase) {
    this.#db = db;
    // Another page deletes or upgrades this database: let it, rather than block it forever.
    db.onversionchange = () => {
      this.#closed = true;
      db.close();
    };
  }

  /** Opens the database `name`, creating it (with its object store) when missing. */
  static async open(name: string): Promise<IndexedDbRecordStore> {
    const request = indexedDbFactory().open(name, IDB_SCHEMA_VERSION);
    request.onupgradeneeded = (event) => {
      if (event.oldVersion === 0) request.result.createObjectStore(RECORDS);
    };
    let db: IDBDatabase;
    try {
      db = await requested(request);
    } catch (e) {
      const cause = (e as ClientError).cause;
      if (cause instanceof DOMException && cause.name === 'VersionError') {
        throw new ClientError(
          'store-corrupt',
          'The local store was written by a newer version of Parley. Update Parley and try again.',
          { cause },
        );
      }
      throw e;
    }
    if (!db.objectStoreNames.contains(RECORDS)) {
      db.close();
      throw new ClientError('store-corrupt', 'This browser database is not a Parley store.');
    }
    return new IndexedDbRecordStore(db);
  }

  async get(kind: string, id: string): Promise<Uint8Array | undefined> {
    checkKind(kind);
    checkId(id);
    const value = await requested(this.#records('readonly').get([kind, id]));
    return value === undefined ? undefined : (value as Uint8Array);
  }

  async list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    checkKind(kind);
    const { after, limit, reverse } = checkListOptions(options);
    if (limit === 0 || (reverse && after === '')) return []; // nothing is below ''
    // Every id of `kind` lies in [kind, ''] … [kind, []]: ids are non-empty strings and an array
    // key sorts above every string.
    const range = reverse
      ? IDBKeyRange.bound([kind, ''], [kind, after ?? []], false, after !== undefined)
      : IDBKeyRange.bound([kind, after ?? ''], [kind, []], after !== undefined, true);
    const records = this.#records('readonly');
    if (!reverse) {
      // One snapshot: both requests run in the same transaction.
      const [keys, values] = await Promise.all([
        requested(records.getAllKeys(range, limit)),
        requested(records.getAll(range, limit)),
      ]);
      return keys.map((key, i) => ({ id: (key as [string, string])[1], value: values[i] as Uint8Array }));
    }
    const out: StoredRecord[] = [];
    const cursor = records.openCursor(range, 'prev');
    await new Promise<void>((resolve, reject) => {
      cursor.onerror = () => reject(ioError(cursor.error));
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (c === null) return resolve();
        out.push({ id: (c.primaryKey as [string, string])[1], value: c.value as Uint8Array });
        if (limit !== undefined && out.length >= limit) return resolve();
        c.continue();
      };
    });
    return out;
  }

  async commit(writes: readonly RecordWrite[]): Promise<void> {
    if (this.#closed) throw closedError();
    checkWrites(writes);
    if (writes.length === 0) return;
    const copies = writes.map((w) => ({ key: [w.kind, w.id], value: w.value === null ? null : w.value.slice() }));
    const tx = this.#transaction('readwrite');
    const records = tx.objectStore(RECORDS);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(ioError(tx.error));
      tx.onabort = () => reject(ioError(tx.error));
    });
    try {
      for (const { key, value } of copies) {
        if (value === null) records.delete(key);
        else records.put(value, key);
      }
    } catch (e) {
      tx.abort();
      done.catch(() => undefined);
      throw ioError(e);
    }
    await done;
  }

  /** Closes the connection once its transactions are done. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #transaction(mode: IDBTransactionMode): IDBTransaction {
    if (this.#closed) throw closedError();
    try {
      return this.#db.transaction(RECORDS, mode, { durability: 'strict' });
    } catch (e) {
      throw ioError(e);
    }
  }

  #records(mode: IDBTransactionMode): IDBObjectStore {
    return this.#transaction(mode).objectStore(RECORDS);
  }
}

/** Deletes the database `name` (a missing one is no error); waits while other pages hold it open. */
export async function deleteIndexedDb(name: string): Promise<void> {
  await requested(indexedDbFactory().deleteDatabase(name));
}
