/**
 * Which profiles this browser holds: the small IndexedDB database `parley-profiles` (an
 * {@link IndexedDbRecordStore}, kind `profile`, id = the profile's name, value = its creation
 * time in milliseconds as ASCII digits). Unencrypted by necessity — the list is shown before any
 * passphrase is typed — so it holds names and creation times and nothing else.
 *
 * A profile is listed from the moment its database is first opened for creation until it is
 * deleted, like a profile directory in Node: one whose creation a closed tab interrupted is still
 * listed, and opening it says `no-profile`, so the user can delete it. Entries of one name are
 * only written by the tab holding that profile's Web Lock (profile-lock.ts).
 */
import { ClientError } from '../../errors.ts';
import { IndexedDbRecordStore } from './indexeddb.ts';

export const REGISTRY_DB = 'parley-profiles';
const KIND = 'profile';

export interface BrowserProfileInfo {
  readonly name: string;
  /** When it was created here, ms since the epoch. */
  readonly createdAt: number;
}

const DIGITS = /^[0-9]{1,16}$/;

function decodeCreatedAt(bytes: Uint8Array): number {
  const text = new TextDecoder().decode(bytes);
  if (!DIGITS.test(text)) {
    throw new ClientError('store-corrupt', 'The list of profiles in this browser is damaged.');
  }
  return Number(text);
}

async function withRegistry<T>(use: (registry: IndexedDbRecordStore) => Promise<T>): Promise<T> {
  const registry = await IndexedDbRecordStore.open(REGISTRY_DB);
  try {
    return await use(registry);
  } finally {
    await registry.close();
  }
}

/** The profiles of this browser, by name. */
export function registeredProfiles(): Promise<BrowserProfileInfo[]> {
  return withRegistry(async (registry) =>
    (await registry.list(KIND)).map((r) => ({ name: r.id, createdAt: decodeCreatedAt(r.value) })),
  );
}

export function isRegistered(name: string): Promise<boolean> {
  return withRegistry(async (registry) => (await registry.get(KIND, name)) !== undefined);
}

/** Lists `name` (created now) unless it is listed already. */
export function register(name: string, now: number): Promise<void> {
  return withRegistry(async (registry) => {
    if ((await registry.get(KIND, name)) !== undefined) return;
    await registry.commit([{ kind: KIND, id: name, value: new TextEncoder().encode(String(Math.floor(now))) }]);
  });
}

export function unregister(name: string): Promise<void> {
  return withRegistry((registry) => registry.commit([{ kind: KIND, id: name, value: null }]));
}
