/**
 * A record store that lets go of the profile's one-writer lock (a lock file in Node, a Web Lock
 * in a browser) when it is closed, so that closing the client is what frees the profile.
 */
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from '../store/record-store.ts';

export class LockedStore implements RecordStore {
  constructor(
    private readonly inner: RecordStore,
    private readonly release: () => void,
  ) {}

  get(kind: string, id: string): Promise<Uint8Array | undefined> {
    return this.inner.get(kind, id);
  }

  list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    return this.inner.list(kind, options);
  }

  commit(writes: readonly RecordWrite[]): Promise<void> {
    return this.inner.commit(writes);
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      this.release();
    }
  }
}
