/**
 * The in-memory challenge store (a server alone on its SQLite database): the conformance suite
 * every challenge store passes, and what only it does — forgetting the oldest challenge past its
 * bound, and nothing carried over to a new process.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChallengeStore } from '../src/storage/challenge-store.ts';
import { StorageError } from '../src/storage/errors.ts';
import { runChallengeStoreConformance } from './challenge-conformance.ts';

const made: MemoryChallengeStore[] = [];
runChallengeStoreConformance('challenge store in memory', {
  make: (options) => {
    const store = new MemoryChallengeStore(options);
    made.push(store);
    return store;
  },
  stored: async (...list) => list.filter((c) => made.some((store) => store.holds(c))).length,
});

describe('challenge store in memory, beyond the suite', () => {
  it('forgets the oldest challenge kept once its bound is kept; it is then refused like an unknown one', async () => {
    const store = new MemoryChallengeStore({ maxLive: 3 });
    const issued = [];
    for (let i = 0; i < 5; i++) issued.push((await store.issue(60_000)).challenge);
    expect(issued.map((c) => store.holds(c))).toEqual([false, false, true, true, true]);
    expect(await store.consume(issued[0] as Uint8Array)).toBe(false);
    expect(await store.consume(issued[4] as Uint8Array)).toBe(true);
    // A used challenge frees its place: issuing one more forgets none (issue 16: a flood held
    // to its quota must not push out the challenges of others).
    const fifth = (await store.issue(60_000)).challenge;
    expect([issued[2], issued[3], fifth].map((c) => store.holds(c as Uint8Array))).toEqual([true, true, true]);
    // Full again: the oldest kept goes.
    await store.issue(60_000);
    expect(store.holds(issued[2] as Uint8Array)).toBe(false);
    expect(store.holds(issued[3] as Uint8Array)).toBe(true);
    for (const maxLive of [0, -1, 1.5]) expect(() => new MemoryChallengeStore({ maxLive })).toThrow(StorageError);
  });

  it('knows nothing another store (a process before a restart) issued', async () => {
    const { challenge } = await new MemoryChallengeStore().issue(60_000);
    expect(await new MemoryChallengeStore().consume(challenge)).toBe(false);
  });
});
