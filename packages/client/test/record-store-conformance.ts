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

/**
 * The model case (40 property runs) takes 2–4 s alone and went past vitest's default 5 s on the
 * shared 2-core machine with Chromium busy beside it; a slow machine is no failure of a store.
 */
const CASE_TIMEOUT_MS = 30_000;

export function describeRecordStore(name: string, factory: RecordStoreFactory): void {
  describe(`${name}: RecordStore conformance`, () => {
    for (const group of new Set(recordStoreCases.map((c) => c.group))) {
      describe(group, () => {
        for (const c of recordStoreCases.filter((x) => x.group === group)) {
          it(c.name, () => runRecordStoreCase(c, factory), CASE_TIMEOUT_MS);
        }
      });
    }
  });
}
