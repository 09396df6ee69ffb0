/**
 * Authentication challenges: random nonces the server issues and a device signs to prove that it
 * holds its device key. A challenge is good for one answer and for a limited time, so a captured
 * proof cannot be replayed.
 *
 * Consuming is a single statement,
 *
 *   DELETE FROM auth_challenges WHERE challenge = ? AND expires_at > now RETURNING challenge
 *
 * so exactly one of any number of concurrent consumers gets the row. On PostgreSQL a second
 * DELETE of the same row waits for the first to commit, then finds the row gone; on SQLite the
 * statements run one after another on the single connection. Expired challenges are never
 * accepted; {@link ChallengeStore.purgeExpired} removes them.
 */
import { randomBytes } from 'node:crypto';
import { toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { deleteExpired } from './expiry.ts';

/** Challenges are 32 random bytes. */
const CHALLENGE_BYTES = 32;

export interface ChallengeStore {
  /**
   * Issues a fresh challenge, valid for `ttlMs` milliseconds (a positive integer; `usage`
   * otherwise): it is accepted while the clock reads less than `expiresAt`.
   */
  issue(ttlMs: number): Promise<{ challenge: Uint8Array; expiresAt: number }>;
  /**
   * Uses up the challenge: `true` exactly once for an issued challenge that has not expired, even
   * under concurrent calls; `false` for one that is unknown, already used or expired.
   */
  consume(challenge: Uint8Array): Promise<boolean>;
  /** Deletes every expired challenge, returning how many there were. */
  purgeExpired(): Promise<number>;
}

export interface ChallengeStoreOptions {
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** The source of challenges; must return 32 bytes. Default 32 bytes from `crypto.randomBytes`. */
  readonly random?: () => Uint8Array;
}

function defaultRandom(): Uint8Array {
  return randomBytes(CHALLENGE_BYTES);
}

/** {@link ChallengeStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlChallengeStore implements ChallengeStore {
  readonly #database: Database;
  readonly #now: () => number;
  readonly #random: () => Uint8Array;

  constructor(database: Database, options: ChallengeStoreOptions = {}) {
    this.#database = database;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? defaultRandom;
  }

  async issue(ttlMs: number): Promise<{ challenge: Uint8Array; expiresAt: number }> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new StorageError('usage', 'ttlMs must be a positive integer');
    // A copy, so that neither the random source nor the caller shares memory with the stored row.
    const challenge = new Uint8Array(this.#random());
    if (challenge.length !== CHALLENGE_BYTES) throw new StorageError('usage', 'challenge must be 32 bytes');
    const expiresAt = this.#now() + ttlMs;
    // Two equal 32-byte random values do not happen; if they do, the source is broken, and the
    // primary-key violation is reported as a failed dependency rather than handed out twice.
    await storageOp('dependency', () =>
      this.#database.db
        .insertInto('auth_challenges')
        .values({ challenge: toColumn(challenge), expires_at: expiresAt })
        .execute(),
    );
    return { challenge: new Uint8Array(challenge), expiresAt };
  }

  async consume(challenge: Uint8Array): Promise<boolean> {
    // Untrusted input: anything that is not 32 bytes was never issued.
    if (!(challenge instanceof Uint8Array) || challenge.length !== CHALLENGE_BYTES) return false;
    const now = this.#now();
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .deleteFrom('auth_challenges')
        .where('challenge', '=', toColumn(challenge))
        .where('expires_at', '>', now)
        .returning('challenge')
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  purgeExpired(): Promise<number> {
    return deleteExpired(this.#database, 'auth_challenges', this.#now());
  }
}
