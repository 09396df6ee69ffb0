/**
 * The RecordStore conformance suite (record-store-cases.ts) as vitest tests, one per case.
 *
 * Usage, from a backend's test file:
 *
 * ```ts
 * describeRecordStore('MemoryRecordStore', async () => new MemoryRecordStore());
 * ```
 *
 * The factory returns a fresh, empty store for each test; the suite closes it afterwards (so
 * `close` must be safe to call twice). indexeddb-browser.test.ts runs the same cases in Chromium.
 */
import { describe, it } from 'vitest';
import type { RecordStore } from '../src/store/record-store.ts';
import { recordStoreCases, runRecordStoreCase } from './record-store-cases.ts';

export { expectClientError, text } from './record-store-cases.ts';

export type RecordStoreFactory = () => Promise<RecordStore>;

export function describeRecordStore(name: string, factory: RecordStoreFactory): void {
  describe(`${name}: RecordStore conformance`, () => {
    for (const group of new Set(recordStoreCases.map((c) => c.group))) {
      describe(group, () => {
        for (const c of recordStoreCases.filter((x) => x.group === group)) {
          it(c.name, () => runRecordStoreCase(c, factory));
        }
      });
    }
  });
}
