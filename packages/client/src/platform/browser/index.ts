/**
 * Browser wiring of the SDK (`@parley/client/browser`): profiles in IndexedDB, each an encrypted
 * record store opened with a passphrase, talking to servers over fetch and the browser's
 * WebSocket, one tab at a time per profile (a Web Lock). The protocol's crypto is @noble's here
 * (the `browser` export condition of @parley/protocol), and so is the store's (browser-crypto.ts).
 *
 *   IndexedDB `parley-profiles`        names and creation times of the profiles (profile-registry.ts), unencrypted
 *   IndexedDB `parley-profile-<name>`  the profile's records, encrypted (store/encrypted.ts over indexeddb.ts)
 *   Web Lock `parley-profile:<name>`   held by the tab that has the profile open (profile-lock.ts)
 *
 * Nothing goes to localStorage or sessionStorage. docs/client.md "Browser storage" says what is
 * and is not encrypted and what the key derivation costs here.
 */
// First, before any module that builds a zod schema is evaluated (zod-jitless.ts says why).
import './zod-jitless.ts';
import type { ProtocolEnv } from '@parley/protocol';
import type { ClientOptions, CreateOptions, JoinSession, ParleyClient } from '../../client.ts';
import { ClientError } from '../../errors.ts';
import type { WebSocketConstructor } from '../../net/websocket-like.ts';
import type { ScryptParams } from '../../store/store-crypto.ts';
import {
  createProfileWith,
  type JoinAccountFields,
  joinAccountWith,
  openProfileWith,
  type ProfileBackend,
} from '../profile-lifecycle.ts';
import { checkProfileName } from '../profile-name.ts';
import { serverConnections } from '../server-connections.ts';
import { browserStoreCrypto } from './browser-crypto.ts';
import { deleteIndexedDb, IndexedDbRecordStore } from './indexeddb.ts';
import { lockProfile } from './profile-lock.ts';
import { type BrowserProfileInfo, isRegistered, register, registeredProfiles, unregister } from './profile-registry.ts';

export * from '../../index.ts';
export { checkProfileName } from '../profile-name.ts';
export { browserStoreCrypto } from './browser-crypto.ts';
export { IDB_SCHEMA_VERSION, IndexedDbRecordStore } from './indexeddb.ts';
export { PROFILE_LOCK_PREFIX } from './profile-lock.ts';
export { type BrowserProfileInfo, REGISTRY_DB } from './profile-registry.ts';

/** The IndexedDB database of a profile. */
export const profileDatabaseName = (profile: string): string => `parley-profile-${checkProfileName(profile)}`;

export interface BrowserProfileOptions {
  readonly profile: string;
  readonly passphrase: string;
  readonly env?: ProtocolEnv;
}

/** The profiles of this browser (names and creation times: nothing secret), by name. */
export function listProfiles(): Promise<BrowserProfileInfo[]> {
  return registeredProfiles();
}

/** Client options in a browser: `ServerApi` (fetch) per server URL and `MailboxSocket` over the browser's WebSocket. */
export function browserClientOptions(profile: string, env?: ProtocolEnv): ClientOptions {
  const WebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined) throw new ClientError('usage', 'This environment has no WebSocket.');
  return serverConnections(profile, env, WebSocket);
}

/** Where a profile lives in a browser: its database, its registry entry and its Web Lock. */
function browserBackend(profile: string, env: ProtocolEnv | undefined): ProfileBackend {
  const database = profileDatabaseName(profile);
  return {
    crypto: browserStoreCrypto,
    client: browserClientOptions(profile, env),
    lock: () => lockProfile(profile),
    openStore: async (mode) => {
      if (mode === 'create') {
        if (await isRegistered(profile)) throw profileExists();
        await deleteIndexedDb(database); // not listed, so nobody's profile (the list was cleared)
        await register(profile, Date.now());
      }
      return IndexedDbRecordStore.open(database);
    },
    remove: () => removeProfileData(profile),
  };
}

async function removeProfileData(profile: string): Promise<void> {
  await deleteIndexedDb(profileDatabaseName(profile));
  await unregister(profile);
}

const profileExists = () => new ClientError('profile-exists', 'A profile of that name already exists in this browser.');

const unlockOf = (o: { readonly passphrase: string; readonly kdf?: ScryptParams | undefined }) => ({
  passphrase: async () => o.passphrase,
  kdf: o.kdf,
});

/**
 * Creates a profile: its encrypted database, then the account on `server`. When the server cannot
 * be reached or refuses, the profile is deleted again so that creating it can simply be retried.
 * `kdf` is for tests only (a cheaper scrypt than the default N = 2^17).
 */
export async function createProfile(
  options: BrowserProfileOptions & CreateOptions & { readonly kdf?: ScryptParams },
): Promise<ParleyClient> {
  checkProfileName(options.profile);
  if (await isRegistered(options.profile)) throw profileExists();
  return createProfileWith(browserBackend(options.profile, options.env), unlockOf(options), {
    server: options.server,
    displayName: options.displayName,
    ...(options.registrationKey === undefined ? {} : { registrationKey: options.registrationKey }),
  });
}

/**
 * Opens a profile of this browser with its passphrase: `wrong-passphrase`, `no-profile`, or
 * `profile-locked` when another tab has it open. One scrypt derivation (see docs/client.md).
 */
export async function openProfile(options: BrowserProfileOptions): Promise<ParleyClient> {
  checkProfileName(options.profile);
  if (!(await isRegistered(options.profile))) {
    throw new ClientError('no-profile', 'There is no profile of that name in this browser.');
  }
  return openProfileWith(browserBackend(options.profile, options.env), unlockOf(options));
}

/**
 * Deletes a profile's local data (its database and its entry in the list) — not its account on
 * the server: `ParleyClient.deleteAccount` does that. `profile-locked` while a tab has it open.
 */
export async function deleteProfile(profile: string): Promise<void> {
  checkProfileName(profile);
  const release = await lockProfile(profile);
  try {
    await removeProfileData(profile);
  } finally {
    release();
  }
}

export interface BrowserJoinOptions extends BrowserProfileOptions, JoinAccountFields {}

/**
 * Links this browser as a new device of an account (docs/client.md §4.10) in a new profile; the
 * session's `done` resolves with the open client once the history arrived. Anything that ends the
 * linking before the grant deletes the profile again. On a profile whose history transfer a
 * reload interrupted (same name, same passphrase), it resumes the transfer.
 */
export async function joinAccount(options: BrowserJoinOptions): Promise<JoinSession<ParleyClient>> {
  checkProfileName(options.profile);
  const resuming = await isRegistered(options.profile);
  return joinAccountWith(browserBackend(options.profile, options.env), unlockOf(options), resuming, options);
}
