/**
 * One writer per profile in a browser: two tabs that both advanced the same ratchet would each
 * commit their own next state over the other's, and could encrypt two messages under one key. So
 * opening a profile takes the exclusive Web Lock `parley-profile:<name>` (Web Locks API,
 * `navigator.locks`) until the client closes; a second tab (or window, or worker) of the same
 * origin asking for it is refused at once (`ifAvailable`) with `profile-locked`. The browser
 * releases the lock itself when the tab holding it closes or crashes, so a lock never goes stale
 * — the reason it is not a flag in localStorage or IndexedDB.
 *
 * Web Locks exist only in secure contexts: https, or http on loopback (127.0.0.1, localhost).
 * Elsewhere a profile cannot be opened (`store-io` saying so) rather than opened unguarded.
 */
import { ClientError } from '../../errors.ts';

export const PROFILE_LOCK_PREFIX = 'parley-profile:';

/** What a tab that loses the race sees. */
export const PROFILE_LOCKED_MESSAGE = 'This profile is open in another tab or window. Close it there, then try again.';

function locks(): LockManager {
  const manager = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (manager === undefined) {
    throw new ClientError(
      'store-io',
      'This page cannot lock a profile (Web Locks need https or a loopback address), so it cannot open one safely.',
    );
  }
  return manager;
}

/**
 * Takes the profile's lock without waiting; resolves with the function that releases it (safe to
 * call twice), or rejects with `profile-locked` when another tab holds it.
 */
export function lockProfile(profile: string): Promise<() => void> {
  const manager = locks();
  return new Promise((resolve, reject) => {
    manager
      .request(`${PROFILE_LOCK_PREFIX}${profile}`, { mode: 'exclusive', ifAvailable: true }, (lock) => {
        if (lock === null) {
          reject(new ClientError('profile-locked', PROFILE_LOCKED_MESSAGE));
          return;
        }
        // The lock is held until this promise settles: that is, until release() is called.
        return new Promise<void>((release) => resolve(() => release()));
      })
      .catch((e: unknown) => reject(new ClientError('store-io', 'The profile could not be locked.', { cause: e })));
  });
}
