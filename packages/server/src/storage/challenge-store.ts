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
 *
 * A server that is the only process using its database (SQLite) keeps them in memory instead
 * ({@link MemoryChallengeStore}): in the database, issuing and using a challenge were a durable
 * commit each on the event loop, so one client asking for challenges as fast as it could
 * (~1,800 a second) took the other clients' `/health` from p50 2.8 / p99 18.7 ms to 13.8 /
 * 102.9 ms, and four such clients to 110.6 / 245.3 ms, while the table grew by a row each.
 * Nothing in a challenge needs to outlive the process: after a restart the client asks again.
 */
import { randomBytes } from 'node:crypto';
import { idKey } from '../id-key.ts';
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

/** A fresh challenge from `random` (copied), refused if it is not 32 bytes. */
function fresh(random: () => Uint8Array): Uint8Array {
  // A copy, so that neither the random source nor the caller shares memory with what is kept.
  const challenge = new Uint8Array(random());
  if (challenge.length !== CHALLENGE_BYTES) throw new StorageError('usage', 'challenge must be 32 bytes');
  return challenge;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new StorageError('usage', 'ttlMs must be a positive integer');
}

/** Untrusted input: anything that is not 32 bytes was never issued. */
function mayBeIssued(challenge: unknown): challenge is Uint8Array {
  return challenge instanceof Uint8Array && challenge.length === CHALLENGE_BYTES;
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
    checkTtl(ttlMs);
    const challenge = fresh(this.#random);
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
    if (!mayBeIssued(challenge)) return false;
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

/** The most challenges a {@link MemoryChallengeStore} keeps by default (13.6 MB of heap when all are kept). */
export const MAX_LIVE_CHALLENGES = 100_000;

export interface MemoryChallengeStoreOptions extends ChallengeStoreOptions {
  /**
   * The most challenges kept (default {@link MAX_LIVE_CHALLENGES}): when this many are kept,
   * issuing one more forgets the oldest still kept, and its proof is then refused like any
   * unknown challenge (the client asks again). A challenge used (or revoked: a WebSocket
   * connection revokes its own past its quota) frees its place, so a flood that is held to a
   * quota per connection does not push out other clients' challenges. Only a flood from many
   * connections gets there: a client uses a challenge within seconds of asking for it.
   */
  readonly maxLive?: number;
}

/**
 * {@link ChallengeStore} in this process's memory, for a server that is the only process using
 * its database (SQLite): issuing costs no write, and challenges issued before a restart are
 * refused after it. Consuming is atomic because it runs within one synchronous call.
 */
export class MemoryChallengeStore implements ChallengeStore {
  /** Expiry by challenge. */
  readonly #live = new Map<string, number>();
  /**
   * Challenges in the order issued, from `#head` on; some of them used already. Not the Map's
   * own order: finding its first entry walks over the slots of deleted ones, and deleting the
   * oldest at every issue made that walk ever longer (two-thirds of the event loop under
   * bench:flood). Compacted (used ones dropped) once it is twice `maxLive` long, which costs
   * O(1) a challenge over time.
   */
  #issued: (string | undefined)[] = [];
  #head = 0;
  readonly #maxLive: number;
  readonly #now: () => number;
  readonly #random: () => Uint8Array;

  constructor(options: MemoryChallengeStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? defaultRandom;
    const maxLive = options.maxLive ?? MAX_LIVE_CHALLENGES;
    if (!Number.isSafeInteger(maxLive) || maxLive <= 0)
      throw new StorageError('usage', 'maxLive must be a positive integer');
    this.#maxLive = maxLive;
  }

  async issue(ttlMs: number): Promise<{ challenge: Uint8Array; expiresAt: number }> {
    checkTtl(ttlMs);
    const challenge = fresh(this.#random);
    const key = idKey(challenge);
    // As in the database (its primary key): the same value twice means a broken source.
    if (this.#live.has(key)) throw new StorageError('dependency', 'challenge source repeated a value');
    const expiresAt = this.#now() + ttlMs;
    if (this.#live.size >= this.#maxLive) this.#forgetOldest();
    if (this.#issued.length >= 2 * this.#maxLive + 1024) {
      this.#issued = this.#issued.slice(this.#head).filter((k) => k !== undefined && this.#live.has(k));
      this.#head = 0;
    }
    this.#issued.push(key);
    this.#live.set(key, expiresAt);
    return { challenge: new Uint8Array(challenge), expiresAt };
  }

  /** Forgets the oldest challenge still kept. */
  #forgetOldest(): void {
    while (this.#head < this.#issued.length) {
      const key = this.#issued[this.#head];
      this.#issued[this.#head] = undefined;
      this.#head++;
      if (key !== undefined && this.#live.delete(key)) return;
    }
  }

  async consume(challenge: Uint8Array): Promise<boolean> {
    if (!mayBeIssued(challenge)) return false;
    const key = idKey(challenge);
    const expiresAt = this.#live.get(key);
    // An expired one stays until the purge, as in the database.
    if (expiresAt === undefined || expiresAt <= this.#now()) return false;
    this.#live.delete(key);
    return true;
  }

  async purgeExpired(): Promise<number> {
    const now = this.#now();
    let purged = 0;
    for (const [key, expiresAt] of this.#live) {
      if (expiresAt > now) continue;
      this.#live.delete(key);
      purged++;
    }
    return purged;
  }

  /** Whether `challenge` is kept: issued, and neither used nor purged (an expired one until its purge). */
  holds(challenge: Uint8Array): boolean {
    return mayBeIssued(challenge) && this.#live.has(idKey(challenge));
  }
}
