/**
 * One writer per profile. Two processes that both advance the same ratchet (say a chat in one
 * terminal and a send in another) would each commit their own next state over the other's, and
 * could encrypt two messages with the same key. So opening a profile for writing takes
 * `<profile dir>/lock` (an O_EXCL file holding the pid) until the client closes. A lock whose
 * process is gone (killed, crashed) is taken over. The browser will use Web Locks instead.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ClientError } from '../../errors.ts';

/** How long to wait for another process on the same profile before giving up. */
export const DEFAULT_LOCK_WAIT_MS = 3000;
const POLL_MS = 100;

/** The lock files this process holds (a file with our pid that is not here is a dead process's). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The error when another live process holds the profile; `holderPid` says which. */
export class ProfileLockedError extends ClientError {
  readonly holderPid: number;
  constructor(holderPid: number) {
    super('profile-locked', 'Another process is using this profile. Let it finish or stop it, then try again.');
    this.holderPid = holderPid;
  }
}

/**
 * Takes the lock of the profile in `dir`, waiting up to `waitMs` for another process to let go
 * (then `profile-locked`); resolves with the function that releases it.
 */
export async function lockProfileDir(dir: string, waitMs = DEFAULT_LOCK_WAIT_MS): Promise<() => void> {
  const path = join(dir, 'lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      held.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        try {
          if (holder(path) === process.pid) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ClientError('store-io', 'The profile could not be locked: check its folder and permissions.', {
          cause: e,
        });
      }
    }
    const pid = holder(path);
    const ours = pid === process.pid && held.has(path);
    if (pid === null ? ageMs(path) > 1000 : !ours && (pid === process.pid || !alive(pid))) {
      // Stale: its process died, or it was never finished (a crash between create and write).
      try {
        unlinkSync(path);
      } catch {
        // Someone else took it over first; try again.
      }
      continue;
    }
    if (Date.now() >= deadline && pid !== null) throw new ProfileLockedError(pid);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
