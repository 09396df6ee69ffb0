/**
 * Contact addresses (after Liphium's stored actions): a long-lived, revocable address where anyone
 * can leave an encrypted contact request for its owner, who lists the requests and deletes them
 * once handled. The owner can also hand contacts tokens — stored here only as SHA-256 hashes — so
 * that the caller can tell a known contact's request from a stranger's.
 *
 * Privacy by construction: an address row holds only its random id and the owner's Ed25519 public
 * key (`ownerKey`, with which listing, deleting and managing tokens are signed). Nothing links an
 * address to an account, a device, a mailbox or another address; request bodies are opaque bytes
 * and tokens are hashes. Verifying signatures and hashing tokens is the caller's job.
 *
 * Ordering, idempotency and expiry are those of mailboxes (see `mailbox-store.ts`; the rules both
 * follow are a signed queue's, signed-queue.ts): `seq` is
 * assigned by the database and only ever increases; requests to one address are added one at a
 * time (on PostgreSQL each locks the address row until it commits, on SQLite every transaction
 * runs alone), so a reader paging with `afterSeq` never skips one that commits afterwards; a
 * request is delivered while the clock reads less than its `expiresAt` (`receivedAt + ttlMs`),
 * expired ones are invisible at once and removed by {@link ContactAddressStore.purgeExpired}.
 *
 * Revoking an address deletes it together with its requests and tokens; its id is never reused.
 *
 * @example
 * ```ts
 * const addresses = new SqlContactAddressStore(database);
 * const { addressId } = await addresses.createAddress(ownerKey);
 * await addresses.addTokens(addressId, [sha256(token)]);
 * await addresses.addRequest(addressId, body, { ttlMs: 30 * 86_400_000, maxRequests: 100 });
 * const requests = await addresses.listRequests(addressId, { limit: 100 });
 * await addresses.deleteRequests(addressId, requests.map((r) => r.seq));
 * ```
 */
import { randomBytes } from 'node:crypto';
import { fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { sha256 } from './digest.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { deleteExpired } from './expiry.ts';
import { lockAddress } from './locks.ts';
import {
  checkPage,
  checkPositive,
  checkQueueKey,
  checkSeqs,
  isQueueId,
  judgeAdd,
  MAX_QUEUE_PAGE,
  newQueueId,
  QUEUE_ID_BYTES,
} from './signed-queue.ts';

/** Contact address ids are 16 random bytes (a signed queue's). */
export const CONTACT_ADDRESS_ID_BYTES = QUEUE_ID_BYTES;

/** Token hashes are SHA-256 digests. */
export const CONTACT_TOKEN_HASH_BYTES = 32;

/** The most requests one {@link ContactAddressStore.listRequests} returns (a signed queue's page). */
export const MAX_LIST_REQUESTS_LIMIT = MAX_QUEUE_PAGE;

/** Values per batched statement: keeps bound parameters far below both backends' limits. */
const BATCH = 500;

export interface ContactAddressRecord {
  /** 16 bytes. */
  readonly addressId: Uint8Array;
  /** The owner's Ed25519 public key (32 bytes). */
  readonly ownerKey: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface AddRequestOptions {
  /** How long the request is kept, in milliseconds: a positive integer. */
  readonly ttlMs: number;
  /** The most unexpired requests the address may hold, this one included: a positive integer. */
  readonly maxRequests: number;
}

export interface AddRequestResult {
  /** The request's sequence number; within an address, higher means added later. */
  readonly seq: number;
  /** `true` if the same body was already waiting: nothing was stored, `seq` is the earlier one. */
  readonly duplicate: boolean;
}

export interface ListRequestsOptions {
  /** Only requests with a greater seq (for paging). Default 0: from the start. */
  readonly afterSeq?: number;
  /** The most requests to return, 1 to {@link MAX_LIST_REQUESTS_LIMIT}. */
  readonly limit: number;
}

export interface ContactRequest {
  readonly seq: number;
  /** The encrypted request, byte for byte as added. */
  readonly body: Uint8Array;
  /** When it was added, in milliseconds since the Unix epoch. */
  readonly receivedAt: number;
}

/**
 * Address ids are untrusted input: an id that is not 16 bytes names no address, and is treated
 * like an unknown one (`null`, `false`, `[]`, `0` or `not-found`). Other malformed arguments —
 * including token hashes that are not 32 bytes — are `usage` errors.
 */
export interface ContactAddressStore {
  /** Creates an address with a fresh random id. Throws `usage` unless `ownerKey` is 32 bytes. */
  createAddress(ownerKey: Uint8Array): Promise<{ addressId: Uint8Array }>;
  /** The address, or `null` if there is none. */
  getAddress(addressId: Uint8Array): Promise<ContactAddressRecord | null>;
  /** Deletes the address with every request and token of it. `false` if there was none. */
  revokeAddress(addressId: Uint8Array): Promise<boolean>;
  /**
   * Stores a request body (non-empty bytes) for `ttlMs`, atomically. Idempotent: a body that is
   * already waiting (same SHA-256) returns its seq with `duplicate: true` and stores nothing —
   * even when the address is full. Throws `not-found` for an unknown address and `address-full`
   * if it already holds `maxRequests` unexpired requests.
   */
  addRequest(addressId: Uint8Array, body: Uint8Array, options: AddRequestOptions): Promise<AddRequestResult>;
  /**
   * Unexpired requests with seq greater than `afterSeq`, by ascending seq, at most `limit`.
   * Listing removes nothing; `[]` for an unknown address.
   */
  listRequests(addressId: Uint8Array, options: ListRequestsOptions): Promise<ContactRequest[]>;
  /**
   * Deletes the given requests of this address (a seq of another address is ignored), returning
   * how many were deleted. Deleting twice is harmless: the second time deletes nothing.
   */
  deleteRequests(addressId: Uint8Array, seqs: readonly number[]): Promise<number>;
  /**
   * Records token hashes (32 bytes each) for the address, atomically; hashes it already has are
   * ignored. Throws `not-found` for an unknown address (even for an empty list).
   */
  addTokens(addressId: Uint8Array, tokenHashes: readonly Uint8Array[]): Promise<void>;
  /** Forgets the given token hashes of this address, returning how many there were. */
  removeTokens(addressId: Uint8Array, tokenHashes: readonly Uint8Array[]): Promise<number>;
  /** Whether the address has the token hash. */
  hasToken(addressId: Uint8Array, tokenHash: Uint8Array): Promise<boolean>;
  /** Deletes every expired request of every address, returning how many there were. */
  purgeExpired(): Promise<number>;
}

export interface ContactAddressStoreOptions {
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** The source of address ids; must return 16 bytes. Default 16 bytes from `crypto.randomBytes`. */
  readonly random?: () => Uint8Array;
}

function defaultRandom(): Uint8Array {
  return randomBytes(CONTACT_ADDRESS_ID_BYTES);
}

/** Whether `id` can name an address at all. */
const isAddressId = isQueueId;

/**
 * The token hashes, checked and without repeats, as copies: what is checked is what is stored,
 * whatever the caller does with its buffers meanwhile.
 */
function checkTokenHashes(tokenHashes: readonly Uint8Array[]): Uint8Array[] {
  if (!Array.isArray(tokenHashes)) throw new StorageError('usage', 'token hashes must be an array');
  const unique = new Map<string, Uint8Array>();
  for (const hash of tokenHashes) {
    if (!(hash instanceof Uint8Array) || hash.length !== CONTACT_TOKEN_HASH_BYTES) {
      throw new StorageError('usage', 'token hashes must be 32 bytes');
    }
    const copy = new Uint8Array(hash);
    unique.set(Buffer.from(copy).toString('hex'), copy);
  }
  return [...unique.values()];
}

function addressNotFound(): StorageError {
  return new StorageError('not-found', 'contact address not found');
}

/** {@link ContactAddressStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlContactAddressStore implements ContactAddressStore {
  readonly #database: Database;
  readonly #now: () => number;
  readonly #random: () => Uint8Array;

  constructor(database: Database, options: ContactAddressStoreOptions = {}) {
    this.#database = database;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? defaultRandom;
  }

  async createAddress(ownerKey: Uint8Array): Promise<{ addressId: Uint8Array }> {
    const key = checkQueueKey(ownerKey, 'owner key');
    const addressId = newQueueId(this.#random, 'contact address id');
    const createdAt = this.#now();
    // Two equal 16-byte random ids do not happen; if they do, the source is broken, and the
    // primary-key violation is reported as a failed dependency rather than sharing an address.
    await storageOp('dependency', () =>
      this.#database.db
        .insertInto('contact_addresses')
        .values({ address_id: toColumn(addressId), owner_key: toColumn(key), created_at: createdAt })
        .execute(),
    );
    return { addressId: new Uint8Array(addressId) };
  }

  async getAddress(addressId: Uint8Array): Promise<ContactAddressRecord | null> {
    if (!isAddressId(addressId)) return null;
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('contact_addresses')
        .select(['address_id', 'owner_key', 'created_at'])
        .where('address_id', '=', toColumn(addressId))
        .executeTakeFirst();
      if (row === undefined) return null;
      return { addressId: fromColumn(row.address_id), ownerKey: fromColumn(row.owner_key), createdAt: row.created_at };
    });
  }

  async revokeAddress(addressId: Uint8Array): Promise<boolean> {
    if (!isAddressId(addressId)) return false;
    return storageOp('dependency', async () => {
      // Requests and tokens go with it: both reference contact_addresses ON DELETE CASCADE.
      const result = await this.#database.db
        .deleteFrom('contact_addresses')
        .where('address_id', '=', toColumn(addressId))
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async addRequest(addressId: Uint8Array, body: Uint8Array, options: AddRequestOptions): Promise<AddRequestResult> {
    if (!(body instanceof Uint8Array) || body.length === 0) {
      throw new StorageError('usage', 'request body must be non-empty bytes');
    }
    checkPositive(options?.ttlMs, 'ttlMs');
    checkPositive(options?.maxRequests, 'maxRequests');
    if (!isAddressId(addressId)) throw addressNotFound();
    // A copy, so that the digest is of exactly the bytes stored.
    const stored = new Uint8Array(body);
    const digest = toColumn(sha256(stored));
    const id = toColumn(addressId);
    const now = this.#now();
    const { db, dialect } = this.#database;
    // With the lock held no other request to this address can be inserted, so a unique violation
    // cannot happen; if the database reports one anyway, it is a failure, not a duplicate.
    return storageOp('dependency', () =>
      db.transaction().execute(async (trx) => {
        // Serialises additions to this address (see the module comment): "check duplicate, count,
        // insert" is atomic, and seqs commit in order. Additions elsewhere are not blocked.
        if (!(await lockAddress(trx, dialect, id))) throw addressNotFound();

        const existing = await trx
          .selectFrom('contact_requests')
          .select(['seq', 'expires_at', 'received_at'])
          .where('address_id', '=', id)
          .where('digest', '=', digest)
          .executeTakeFirst();
        const waiting =
          existing === undefined
            ? null
            : { seq: Number(existing.seq), expiresAt: existing.expires_at, receivedAt: existing.received_at };
        // A waiting duplicate is answered before counting: the count is only needed otherwise.
        if (waiting !== null && waiting.expiresAt > now) return { seq: waiting.seq, duplicate: true };

        const { n } = await trx
          .selectFrom('contact_requests')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('address_id', '=', id)
          .where('expires_at', '>', now)
          .executeTakeFirstOrThrow();
        const verdict = judgeAdd(waiting, Number(n), options.maxRequests, now);
        if (verdict.kind === 'duplicate') return { seq: verdict.seq, duplicate: true };
        if (verdict.kind === 'full') throw new StorageError('address-full', 'contact address is full');
        // Expired and not yet purged: gone as far as anyone can tell, so this is a new request.
        if (verdict.expiredSeq !== null) {
          await trx.deleteFrom('contact_requests').where('seq', '=', verdict.expiredSeq).execute();
        }

        const { seq } = await trx
          .insertInto('contact_requests')
          .values({
            address_id: id,
            digest,
            body: toColumn(stored),
            received_at: now,
            expires_at: now + options.ttlMs,
          })
          .returning('seq')
          .executeTakeFirstOrThrow();
        return { seq: Number(seq), duplicate: false };
      }),
    );
  }

  async listRequests(addressId: Uint8Array, options: ListRequestsOptions): Promise<ContactRequest[]> {
    const { afterSeq, limit } = checkPage(options);
    if (!isAddressId(addressId)) return [];
    const now = this.#now();
    return storageOp('dependency', async () => {
      const rows = await this.#database.db
        .selectFrom('contact_requests')
        .select(['seq', 'body', 'received_at'])
        .where('address_id', '=', toColumn(addressId))
        .where('seq', '>', afterSeq)
        .where('expires_at', '>', now)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ seq: Number(row.seq), body: fromColumn(row.body), receivedAt: row.received_at }));
    });
  }

  async deleteRequests(addressId: Uint8Array, seqs: readonly number[]): Promise<number> {
    const unique = checkSeqs(seqs);
    if (!isAddressId(addressId)) return 0;
    if (unique.length === 0) return 0;
    const id = toColumn(addressId);
    return storageOp('dependency', () =>
      this.#database.db.transaction().execute(async (trx) => {
        let deleted = 0n;
        for (let i = 0; i < unique.length; i += BATCH) {
          const result = await trx
            .deleteFrom('contact_requests')
            // The address condition is what keeps one owner from deleting another's requests.
            .where('address_id', '=', id)
            .where('seq', 'in', unique.slice(i, i + BATCH))
            .executeTakeFirst();
          deleted += result.numDeletedRows;
        }
        return Number(deleted);
      }),
    );
  }

  async addTokens(addressId: Uint8Array, tokenHashes: readonly Uint8Array[]): Promise<void> {
    const hashes = checkTokenHashes(tokenHashes);
    if (!isAddressId(addressId)) throw addressNotFound();
    const id = toColumn(addressId);
    const createdAt = this.#now();
    // An address revoked between the check and the insert fails the foreign key, which is
    // reported as `not-found` too; duplicates never get that far (ON CONFLICT DO NOTHING).
    await storageOp('dependency', () =>
      this.#database.db.transaction().execute(async (trx) => {
        const address = await trx
          .selectFrom('contact_addresses')
          .select('address_id')
          .where('address_id', '=', id)
          .executeTakeFirst();
        if (address === undefined) throw addressNotFound();
        for (let i = 0; i < hashes.length; i += BATCH) {
          await trx
            .insertInto('contact_tokens')
            .values(
              hashes
                .slice(i, i + BATCH)
                .map((hash) => ({ address_id: id, token_hash: toColumn(hash), created_at: createdAt })),
            )
            .onConflict((oc) => oc.columns(['address_id', 'token_hash']).doNothing())
            .execute();
        }
      }),
    );
  }

  async removeTokens(addressId: Uint8Array, tokenHashes: readonly Uint8Array[]): Promise<number> {
    const hashes = checkTokenHashes(tokenHashes);
    if (!isAddressId(addressId) || hashes.length === 0) return 0;
    const id = toColumn(addressId);
    return storageOp('dependency', () =>
      this.#database.db.transaction().execute(async (trx) => {
        let deleted = 0n;
        for (let i = 0; i < hashes.length; i += BATCH) {
          const result = await trx
            .deleteFrom('contact_tokens')
            .where('address_id', '=', id)
            .where('token_hash', 'in', hashes.slice(i, i + BATCH).map(toColumn))
            .executeTakeFirst();
          deleted += result.numDeletedRows;
        }
        return Number(deleted);
      }),
    );
  }

  async hasToken(addressId: Uint8Array, tokenHash: Uint8Array): Promise<boolean> {
    if (!(tokenHash instanceof Uint8Array) || tokenHash.length !== CONTACT_TOKEN_HASH_BYTES) {
      throw new StorageError('usage', 'token hash must be 32 bytes');
    }
    if (!isAddressId(addressId)) return false;
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('contact_tokens')
        .select('address_id')
        .where('address_id', '=', toColumn(addressId))
        .where('token_hash', '=', toColumn(tokenHash))
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  purgeExpired(): Promise<number> {
    return deleteExpired(this.#database, 'contact_requests', this.#now());
  }
}
