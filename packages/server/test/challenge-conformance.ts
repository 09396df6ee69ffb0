/**
 * The challenge store's conformance suite: what every {@link ChallengeStore} must do, run against
 * the database's (storage-conformance.ts, on SQLite and PostgreSQL) and the in-memory one
 * (challenge-store.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChallengeStore, ChallengeStoreOptions } from '../src/storage/challenge-store.ts';
import { bytes, expectStorageError, T0 } from './storage-fixtures.ts';

export interface ChallengeBackend {
  /** A store over the backend's one storage, with these options. */
  make(options: ChallengeStoreOptions): ChallengeStore;
  /** How many of these challenges the backend keeps (issued, and neither used nor purged). */
  stored(...list: Uint8Array[]): Promise<number>;
}

export function runChallengeStoreConformance(name: string, backend: ChallengeBackend): void {
  describe(name, () => {
    let clock = T0;
    let challenges: ChallengeStore;
    const { make, stored } = backend;
    beforeAll(() => {
      challenges = make({ now: () => clock });
    });

    it('issues fresh 32-byte challenges that expire after their time to live', async () => {
      clock = T0;
      const first = await challenges.issue(60_000);
      const second = await challenges.issue(1);
      expect(first.challenge).toBeInstanceOf(Uint8Array);
      expect(first.challenge).toHaveLength(32);
      expect(first.expiresAt).toBe(T0 + 60_000);
      expect(second.expiresAt).toBe(T0 + 1);
      expect(second.challenge).not.toEqual(first.challenge);
      expect(await stored(first.challenge, second.challenge)).toBe(2);
      // The default clock is the real one.
      const before = Date.now();
      const real = await make({}).issue(1000);
      expect(real.expiresAt).toBeGreaterThanOrEqual(before + 1000);
      expect(real.expiresAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('accepts a challenge exactly once, and nothing it did not issue', async () => {
      clock = T0;
      const { challenge } = await challenges.issue(60_000);
      const altered = new Uint8Array(challenge);
      altered[31] = (altered[31] ?? 0) ^ 1;
      expect(await challenges.consume(altered)).toBe(false);
      expect(await challenges.consume(bytes(32))).toBe(false);
      for (const n of [0, 31, 33]) expect(await challenges.consume(bytes(n))).toBe(false);
      expect(await challenges.consume(new Uint8Array([...challenge, 0]).subarray(0, 32))).toBe(true);
      expect(await challenges.consume(challenge)).toBe(false);
      expect(await stored(challenge)).toBe(0);
    });

    it('refuses a challenge from the moment it expires, keeping it for the purge', async () => {
      clock = T0;
      const early = await challenges.issue(1000);
      const onTime = await challenges.issue(1000);
      clock = T0 + 999;
      expect(await challenges.consume(onTime.challenge)).toBe(true);
      clock = T0 + 1000;
      expect(await challenges.consume(early.challenge)).toBe(false);
      clock = T0 + 5000;
      expect(await challenges.consume(early.challenge)).toBe(false);
      expect(await stored(early.challenge)).toBe(1);
      // A clock that goes back does not revive a challenge once consumed.
      clock = T0;
      expect(await challenges.consume(onTime.challenge)).toBe(false);
    });

    it('takes challenges from the injected source, and refuses a bad source or time to live', async () => {
      clock = T0;
      const fixed = bytes(32);
      const seeded = make({ now: () => clock, random: () => fixed });
      const issued = await seeded.issue(1000);
      expect(issued.challenge).toEqual(fixed);
      expect(issued.challenge).not.toBe(fixed);
      // The same value twice means a broken source: refused, never handed out a second time.
      await expectStorageError(seeded.issue(1000), 'dependency');
      expect(await seeded.consume(fixed)).toBe(true);

      const short = make({ random: () => bytes(16) });
      await expectStorageError(short.issue(1000), 'usage');
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectStorageError(challenges.issue(ttl), 'usage');
      }
    });

    it('purges expired challenges, and only those', async () => {
      // Far beyond every other test's challenges (including ones on the real clock): purge those first.
      const later = 4_000_000_000_000;
      clock = later;
      await challenges.purgeExpired();
      expect(await challenges.purgeExpired()).toBe(0);

      const short = await Promise.all(Array.from({ length: 3 }, () => challenges.issue(1000)));
      const long = await Promise.all(Array.from({ length: 2 }, () => challenges.issue(60_000)));
      clock = later + 999;
      expect(await challenges.purgeExpired()).toBe(0);
      clock = later + 1000;
      expect(await challenges.purgeExpired()).toBe(3);
      expect(await challenges.purgeExpired()).toBe(0);
      expect(await stored(...short.map((c) => c.challenge))).toBe(0);
      expect(await stored(...long.map((c) => c.challenge))).toBe(2);
      for (const { challenge } of long) expect(await challenges.consume(challenge)).toBe(true);
      for (const { challenge } of short) expect(await challenges.consume(challenge)).toBe(false);
    });

    // Races are timing-dependent, so the scenario runs for several rounds.
    it.each([1, 2, 3, 4, 5])('lets exactly one of concurrent consumers use a challenge (round %i)', async () => {
      clock = T0;
      const one = await challenges.issue(60_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => challenges.consume(one.challenge)));
      expect(results.filter((r) => r)).toHaveLength(1);

      const several = await Promise.all(Array.from({ length: 5 }, () => challenges.issue(60_000)));
      const attempts = several.flatMap(({ challenge }, i) => Array.from({ length: 10 }, () => ({ i, challenge })));
      const outcomes = await Promise.all(
        attempts.map(async ({ i, challenge }) => ({ i, ok: await challenges.consume(challenge) })),
      );
      const winners = outcomes.filter((o) => o.ok).map((o) => o.i);
      expect(winners.sort()).toEqual([0, 1, 2, 3, 4]);
      expect(await stored(one.challenge, ...several.map((c) => c.challenge))).toBe(0);
    });
  });
}
