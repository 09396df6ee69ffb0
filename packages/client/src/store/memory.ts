/**
 * A {@link RecordStore} in memory, for tests and throw-away profiles. It behaves exactly like the
 * disk backends (one conformance suite runs over all of them) except that nothing survives
 * `close` or the process.
 *
 * Values are copied on the way in and on the way out, so a caller that reuses or zeroes its
 * buffers never changes what is stored, and cannot change the store through a buffer it read.
 * Each kind keeps its ids in a sorted array (JS string order, i.e. UTF-16 code units), so `list`
 * is a binary search and a slice.
 *
 * @example
 * ```ts
 * const store = new MemoryRecordStore();
 * await store.commit([{ kind: 'contact', id: 'k3j9', value: bytes }]);
 * const contacts = await store.list('contact', { limit: 50 });
 * ```
 */
import { checkId, checkKind, checkListOptions, checkWrites, closedError } from './names.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from './record-store.ts';

interface Kind {
  /** Ascending, no duplicates. */
  readonly ids: string[];
  readonly values: Map<string, Uint8Array>;
}

/** The index of the first id in `ids` that is not less than `id` (ids ascending). */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryRecordStore implements RecordStore {
  readonly #kinds = new Map<string, Kind>();
  #closed = false;

  async get(kind: string, id: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    checkKind(kind);
    checkId(id);
    const value = this.#kinds.get(kind)?.values.get(id);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    this.#checkOpen();
    checkKind(kind);
    const { after, limit, reverse } = checkListOptions(options);
    const k = this.#kinds.get(kind);
    if (k === undefined || limit === 0) return [];
    let ids: string[];
    if (!reverse) {
      // First id strictly greater than `after`.
      let start = after === undefined ? 0 : lowerBound(k.ids, after);
      if (after !== undefined && k.ids[start] === after) start++;
      ids = k.ids.slice(start, limit === undefined ? undefined : start + limit);
    } else {
      // Last id strictly less than `after`, walking down.
      const end = after === undefined ? k.ids.length : lowerBound(k.ids, after);
      const start = limit === undefined ? 0 : Math.max(0, end - limit);
      ids = k.ids.slice(start, end).reverse();
    }
    return ids.map((id) => ({ id, value: new Uint8Array(k.values.get(id) as Uint8Array) }));
  }

  async commit(writes: readonly RecordWrite[]): Promise<void> {
    this.#checkOpen();
    checkWrites(writes);
    // Copy every value before touching the map: nothing below can throw, so the batch applies whole.
    const copies = writes.map((w) => ({ kind: w.kind, id: w.id, value: w.value && new Uint8Array(w.value) }));
    for (const { kind, id, value } of copies) {
      let k = this.#kinds.get(kind);
      if (value === null) {
        if (k === undefined || !k.values.delete(id)) continue;
        k.ids.splice(lowerBound(k.ids, id), 1);
        if (k.ids.length === 0) this.#kinds.delete(kind);
        continue;
      }
      if (k === undefined) {
        k = { ids: [], values: new Map() };
        this.#kinds.set(kind, k);
      }
      if (!k.values.has(id)) k.ids.splice(lowerBound(k.ids, id), 0, id);
      k.values.set(id, value);
    }
  }

  /** Drops every record. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#kinds.clear();
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }
}
