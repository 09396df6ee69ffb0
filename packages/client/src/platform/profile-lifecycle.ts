/**
 * What every platform does the same way to create, open or join a profile: take the profile's
 * one-writer lock, open its raw store, put encryption at rest over it under the passphrase, start
 * the client on it — and when a step fails, undo exactly what this call did (close the store,
 * delete a profile it had just made, let go of the lock), so that the user can simply try again.
 *
 * A platform (platform/node/, platform/browser/) says where a profile lives and how it is locked
 * through a {@link ProfileBackend}: a directory with an SQLite file and a lock file in Node, an
 * IndexedDB database and a Web Lock in a browser. Checks whose wording is the platform's (a
 * missing profile, one that exists already) stay in the platform's wrappers.
 */
import { type ClientOptions, type CreateOptions, type JoinSession, ParleyClient } from '../client.ts';
import type { HistoryChoice } from '../engine/link-wire.ts';
import type { JoinOptions } from '../flows/linking-join.ts';
import { EncryptedRecordStore } from '../store/encrypted.ts';
import type { RecordStore } from '../store/record-store.ts';
import type { KdfProgress, ScryptParams, StoreCrypto } from '../store/store-crypto.ts';
import { LockedStore } from './locked-store.ts';

/** Where one profile lives on a platform, and how it is locked. */
export interface ProfileBackend {
  /** The platform's primitives for encryption at rest. */
  readonly crypto: StoreCrypto;
  /** The client's options for this profile (server APIs, push connection). */
  readonly client: ClientOptions;
  /**
   * Takes the profile's one-writer lock; resolves with the function that releases it (safe to
   * call twice). Rejects with `profile-locked` when someone else holds it.
   */
  lock(): Promise<() => void>;
  /**
   * Opens the profile's raw store (called with the lock held): to `create` a profile it makes a
   * new store, refusing with `profile-exists` when the profile exists already; to `open` one it
   * opens the existing store.
   */
  openStore(mode: 'create' | 'open'): Promise<RecordStore>;
  /** Deletes the profile's local data; called with its store closed and the lock held. */
  remove(): Promise<void>;
}

/** What joining an account takes on every platform, besides where the profile lives. */
export interface JoinAccountFields {
  /** The `parley://link/…` shown by a device of the account. */
  readonly link: string;
  /** This device's name on the account's other devices. */
  readonly deviceName: string;
  readonly history: HistoryChoice;
  /** scrypt cost of the new store (tests only). */
  readonly kdf?: ScryptParams;
  readonly pollMs?: number;
  readonly onProgress?: NonNullable<JoinOptions['onProgress']>;
}

export interface Unlock {
  /** Asked for once the lock is taken, so that a busy profile fails before anyone types. */
  readonly passphrase: () => Promise<string>;
  /** scrypt cost of a new store (tests only; default N = 2^17, r = 8, p = 1). */
  readonly kdf?: ScryptParams | undefined;
  /** Hears how much of the key derivation is done (0 to 1), where the platform can tell. */
  readonly onKdfProgress?: KdfProgress | undefined;
}

interface Unlocked {
  /** The decrypted store; closing it releases the lock. */
  readonly store: RecordStore;
  /** Closes the store, deletes the profile's data when `remove`, then releases the lock. */
  discard(remove: boolean): Promise<void>;
}

/**
 * Locks the profile and opens its encrypted store: a new one (`create`; the profile is deleted
 * again when that fails) or an existing one (`open`: `no-profile`, `wrong-passphrase`, …).
 */
async function unlock(backend: ProfileBackend, mode: 'create' | 'open', u: Unlock): Promise<Unlocked> {
  const release = await backend.lock();
  let inner: RecordStore | undefined;
  try {
    inner = await backend.openStore(mode);
    const passphrase = await u.passphrase();
    const progress = u.onKdfProgress === undefined ? {} : { onKdfProgress: u.onKdfProgress };
    const encrypted =
      mode === 'create'
        ? await EncryptedRecordStore.create(inner, passphrase, backend.crypto, {
            ...progress,
            ...(u.kdf ? { kdf: u.kdf } : {}),
          })
        : await EncryptedRecordStore.open(inner, passphrase, backend.crypto, progress);
    return {
      store: new LockedStore(encrypted, release),
      discard: async (remove) => {
        try {
          await encrypted.close().catch(() => undefined);
          if (remove) await backend.remove().catch(() => undefined);
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    try {
      if (inner !== undefined) {
        await inner.close().catch(() => undefined);
        // Only a store this call made goes again (never one that existed: profile-exists).
        if (mode === 'create') await backend.remove().catch(() => undefined);
      }
    } finally {
      release();
    }
    throw e;
  }
}

/**
 * Creates a profile: its encrypted store, then the account on the server. When the server cannot
 * be reached or refuses, the profile is deleted again so that creating it can simply be retried.
 */
export async function createProfileWith(
  backend: ProfileBackend,
  u: Unlock,
  create: CreateOptions,
): Promise<ParleyClient> {
  const { store, discard } = await unlock(backend, 'create', u);
  try {
    return await ParleyClient.create(store, backend.client, create);
  } catch (e) {
    await discard(true);
    throw e;
  }
}

/** Opens an existing profile with its passphrase (`wrong-passphrase`, `no-profile`, `profile-locked`). */
export async function openProfileWith(backend: ProfileBackend, u: Unlock): Promise<ParleyClient> {
  const { store, discard } = await unlock(backend, 'open', u);
  try {
    return await ParleyClient.open(store, backend.client);
  } catch (e) {
    await discard(false);
    throw e;
  }
}

/**
 * Joins an account as a new device (docs/client.md §4.10) in a new profile, or resumes the
 * history transfer of one a restart interrupted (`resuming`: the profile's store exists). Anything
 * that ends the linking before the grant deletes the profile again; after the grant it stays, so
 * that opening it again resumes the transfer. Only the linking options of `j` are passed on (it may be
 * a platform's whole options object, passphrase included).
 */
export async function joinAccountWith(
  backend: ProfileBackend,
  u: Unlock,
  resuming: boolean,
  j: JoinAccountFields,
): Promise<JoinSession<ParleyClient>> {
  const { store, discard } = await unlock(backend, resuming ? 'open' : 'create', u);
  const abandon = async () => {
    const granted = (await store.get('profile', 'self').catch(() => undefined)) !== undefined;
    await discard(!granted);
  };
  let session: JoinSession<ParleyClient>;
  try {
    session = await ParleyClient.join(store, backend.client, {
      link: j.link,
      deviceName: j.deviceName,
      history: j.history,
      ...(j.pollMs === undefined ? {} : { pollMs: j.pollMs }),
      ...(j.onProgress === undefined ? {} : { onProgress: j.onProgress }),
    });
  } catch (e) {
    await abandon();
    throw e;
  }
  const done = session.done.catch(async (e: unknown) => {
    await abandon();
    throw e;
  });
  done.catch(() => undefined);
  return { ...session, code: () => session.code(), done };
}
