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
