/**
 * The page of indexeddb-browser.test.ts, bundled for the browser by esbuild: the SDK's browser
 * entry and the RecordStore conformance cases, on `window.parley` for the test to drive with
 * `page.evaluate`. Nothing here runs by itself.
 */
import * as sdk from '../../src/platform/browser/index.ts';
import type { RecordStore } from '../../src/store/record-store.ts';
import { recordStoreCases, runRecordStoreCase } from '../record-store-cases.ts';

/** Cheap scrypt for tests; the default cost is measured on its own. */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 } as const;

/** What a test needs of either side of a linking (LinkSession, JoinSession). */
interface LinkingSide {
  code(): Promise<string>;
  confirm(same: boolean): void;
  cancel(): void;
  readonly done: Promise<unknown>;
}

let databases = 0;
const backends: Record<string, () => Promise<RecordStore>> = {
  indexeddb: () => sdk.IndexedDbRecordStore.open(`conformance-${databases++}`),
  'encrypted-indexeddb': async () =>
    sdk.EncryptedRecordStore.create(
      await sdk.IndexedDbRecordStore.open(`conformance-${databases++}`),
      'correct horse battery staple',
      sdk.browserStoreCrypto,
      { kdf: CHEAP },
    ),
};

const page = {
  sdk,
  CHEAP,
  /** Clients a test keeps open between two `evaluate` calls, by name. */
  clients: new Map<string, sdk.ParleyClient>(),
  /** Linking sessions (either side) a test drives across `evaluate` calls, by name. */
  sessions: new Map<string, LinkingSide>(),
  client(name: string): sdk.ParleyClient {
    const client = page.clients.get(name);
    if (client === undefined) throw new Error(`no client ${name} on this page`);
    return client;
  },
  /** Runs the conformance case `group > name` on a fresh store of `backend`. */
  async runCase(backend: string, id: string): Promise<void> {
    const c = recordStoreCases.find((x) => `${x.group} > ${x.name}` === id);
    const factory = backends[backend];
    if (c === undefined || factory === undefined) throw new Error(`no case ${id} on ${backend}`);
    await runRecordStoreCase(c, factory);
  },
  /**
   * Every key and value of an IndexedDB database as stored (bytes as Latin-1 text, one char per
   * byte), read with the bare IndexedDB API, for a test to search for plaintext.
   */
  async rawRecords(database: string): Promise<string[]> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(database);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const store = db.transaction('records').objectStore('records');
      const [keys, values] = await Promise.all(
        [store.getAllKeys(), store.getAll()].map(
          (r) =>
            new Promise<unknown[]>((resolve, reject) => {
              r.onsuccess = () => resolve(r.result);
              r.onerror = () => reject(r.error);
            }),
        ),
      );
      const latin1 = (b: Uint8Array) => Array.from(b, (x) => String.fromCharCode(x)).join('');
      return [...(keys ?? []).map((k) => JSON.stringify(k)), ...(values ?? []).map((v) => latin1(v as Uint8Array))];
    } finally {
      db.close();
    }
  },
  /** Whether the page wrote anything to localStorage, sessionStorage or cookies. */
  webStorageUsed(): boolean {
    return localStorage.length > 0 || sessionStorage.length > 0 || document.cookie !== '';
  },
  /** The ClientError code `promise` rejects with, or 'resolved'. */
  async codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return 'resolved';
    } catch (e) {
      return sdk.ClientError.is(e) ? e.code : `not a ClientError: ${String(e)}`;
    }
  },
};

export type StorePage = typeof page;
(globalThis as { parley?: StorePage }).parley = page;
