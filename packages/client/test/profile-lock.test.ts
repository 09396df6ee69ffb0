/**
 * One writer per profile, in the SDK (platform/node/profile-lock.ts): a profile another process
 * has open cannot be opened again until that process closes it or dies.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useInProcessServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { createProfile, openProfile, ProfileLockedError, removeProfile } from '../src/platform/node/index.ts';

const server = useInProcessServer();
const CHILD = new URL('./profile-lock-child.ts', import.meta.url).pathname;
const passphrase = 'correct horse';
const kdf = { N: 2 ** 10, r: 8, p: 1 };
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'parley-lock-'));
  await (
    await createProfile({ home, profile: 'alice', passphrase, server: server.url, displayName: 'Alice', kdf })
  ).close();
}, 60_000);

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Starts a process that opens the profile; resolves once it printed its first line. */
async function child(): Promise<{
  process: ChildProcessWithoutNullStreams;
  first: string;
  next: () => Promise<string>;
}> {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, home, 'alice']);
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buffered = '';
  p.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = () => {
    const l = lines.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise<string>((r) => waiters.push(r));
  };
  return { process: p, first: await next(), next };
}

const exited = (p: ChildProcessWithoutNullStreams) =>
  new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

describe('one writer per profile', () => {
  it('refuses a second open from another process with profile-locked, until the first closes', async () => {
    const first = await child();
    expect(first.first).toBe('open');
    try {
      const e = await openProfile({ home, profile: 'alice', passphrase, lockWaitMs: 200 }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ProfileLockedError);
      expect(ClientError.is(e, 'profile-locked')).toBe(true);
      expect((e as ProfileLockedError).holderPid).toBe(first.process.pid);
      expect((e as Error).message).not.toMatch(/alice|\d{3,}/); // no profile name, no pid in the message

      // The other way round: a second process while this one has it.
      first.process.stdin.write('close\n');
      expect(await first.next()).toBe('closed');
      await exited(first.process);
      const mine = await openProfile({ home, profile: 'alice', passphrase });
      const second = await child();
      expect(second.first).toBe('profile-locked');
      await exited(second.process);
      await mine.close();
    } finally {
      first.process.kill();
    }
  }, 60_000);

  it('takes over the lock of a process that died holding it', async () => {
    const holder = await child();
    expect(holder.first).toBe('open');
    holder.process.kill('SIGKILL');
    await exited(holder.process);
    const client = await openProfile({ home, profile: 'alice', passphrase, lockWaitMs: 200 });
    await client.close();
  }, 60_000);

  it('lets a reader that asks for no lock open it meanwhile, and refuses to remove it', async () => {
    const holder = await child();
    expect(holder.first).toBe('open');
    try {
      const reader = await openProfile({ home, profile: 'alice', passphrase, lock: false });
      expect(reader.profile.displayName).toBe('Alice');
      await reader.close();
      await expect(removeProfile({ home, profile: 'alice', lockWaitMs: 200 })).rejects.toMatchObject({
        code: 'profile-locked',
      });
    } finally {
      holder.process.stdin.write('close\n');
      await exited(holder.process);
    }
  }, 60_000);
});
