/**
 * One `parley` process at a time per profile. Two processes that both advance the same ratchet
 * (say `chat` in one terminal and `send` in another) would each commit their own next state over
 * the other's, and could encrypt two messages with the same key. So every command that changes
 * the profile holds `<profile dir>/lock` (an O_EXCL file holding its pid) while it runs. A lock
 * whose process is gone (killed, crashed) is taken over.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';

/** How long to wait for another command on the same profile before giving up. */
const WAIT_MS = 3000;
const POLL_MS = 100;

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

/** Takes the lock of the profile in `dir`; resolves with the function that releases it. */
export async function lockProfile(dir: string, profile: string): Promise<() => void> {
  const path = join(dir, 'lock');
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return () => {
        try {
          if (holder(path) === process.pid) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = holder(path);
    if (pid === null ? ageMs(path) > 1000 : pid === process.pid || !alive(pid)) {
      // Stale: its process died, or it was never finished (a crash between create and write).
      try {
        unlinkSync(path);
      } catch {
        // Someone else took it over first; try again.
      }
      continue;
    }
    if (Date.now() >= deadline && pid !== null) {
      throw new CliError(
        'profile-busy',
        `Another parley command (process ${pid}) is using profile ${profile}, e.g. a chat or receive --wait. Let it finish or stop it, then try again.`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
