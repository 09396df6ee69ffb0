/**
 * Encryption at rest: a {@link RecordStore} that seals every value before it reaches the store it
 * wraps (SQLite on disk, IndexedDB later), so a copied profile directory reveals no message,
 * contact or key without the passphrase.
 *
 * - Key: scrypt (RFC 7914) of the passphrase with a random 16-byte salt (passphrase.ts), 32 bytes.
 * - Values: AES-256-GCM (NIST SP 800-38D) under that key with a fresh random 12-byte nonce per
 *   write, stored as nonce ‖ ciphertext ‖ tag. Random 96-bit nonces keep the collision risk within
 *   SP 800-38D §8.3 for up to 2^32 writes per key — far more than a profile makes.
 * - Associated data: "parley-store-v1" ‖ kind ‖ 0x00 ‖ id (kinds contain no NUL, names.ts), so a
 *   value moved or copied to another record, or another kind, fails to open (`store-corrupt`).
 * - Metadata: the record (`meta`, `kdf`) holds, unencrypted, the format version, salt, scrypt
 *   parameters and a key check (the AEAD of a fixed string under the key), so `open` tells a
 *   wrong passphrase from damaged data. The kind `meta` is reserved: callers cannot read or write it.
 *
 * Not hidden: kinds, ids, the number of records and each value's length (plus 28 bytes). Callers
 * therefore use random (or otherwise meaningless) ids, never names, addresses or message text.
 * Nor does it stop rollback: someone with write access to the files can put back an older copy of
 * a whole record or of the whole store.
 *
 * @example
 * ```ts
 * const disk = await SqliteRecordStore.open(join(dir, 'store.sqlite'));
 * const store = await EncryptedRecordStore.open(disk, passphrase, nodeStoreCrypto);
 * await store.commit([{ kind: 'contact', id: randomId(), value: encodeContact(contact) }]);
 * await store.close(); // closes `disk` too
 * ```
 */
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from '@parley/protocol';
import { z } from 'zod';
import { ClientError } from '../errors.ts';
import { checkId, checkKind, checkWrites, closedError } from './names.ts';
import {
  DEFAULT_SCRYPT_PARAMS,
  deriveStoreKey,
  isValidScryptParams,
  passphraseBytes,
  SCRYPT_SALT_BYTES,
} from './passphrase.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from './record-store.ts';
import {
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type KdfProgress,
  type ScryptParams,
  type StoreCrypto,
} from './store-crypto.ts';

/** The kind and id of the metadata record; the kind is reserved. */
export const META_KIND = 'meta';
export const META_ID = 'kdf';
/** The format version this code writes and reads. */
export const ENCRYPTED_STORE_VERSION = 1;
/** What sealing adds to a value: nonce and tag. */
export const SEALED_OVERHEAD = AES_GCM_NONCE_BYTES + AES_GCM_TAG_BYTES;

const AAD_PREFIX = utf8('parley-store-v1');
const KEY_CHECK = utf8('parley-store-v1 key check');

export interface EncryptedStoreOptions {
  /**
   * scrypt cost for a new store. Tests only: anything below {@link DEFAULT_SCRYPT_PARAMS} makes a
   * stolen profile cheaper to brute-force. Default N = 2^17, r = 8, p = 1.
   */
  readonly kdf?: ScryptParams;
  /** Hears how much of the key derivation is done (0 to 1), where the platform can tell. */
  readonly onKdfProgress?: KdfProgress;
}

const WRONG_PASSPHRASE =
  'The passphrase does not open this profile. Check it and try again (PARLEY_PASSPHRASE or the prompt).';
const CORRUPT_RECORD = 'A record of the local store does not decrypt: the store is damaged or was modified.';
const CORRUPT_META = 'The local store is damaged: its key metadata cannot be read.';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${2 * bytes}}$`));

const metaSchema = z.strictObject({
  format: z.literal('parley-store'),
  version: z.literal(ENCRYPTED_STORE_VERSION),
  kdf: z.literal('scrypt'),
  N: z.number(),
  r: z.number(),
  p: z.number(),
  salt: hex(SCRYPT_SALT_BYTES),
  check: hex(AES_GCM_NONCE_BYTES + KEY_CHECK.length + AES_GCM_TAG_BYTES),
});

interface Meta {
  readonly params: ScryptParams;
  readonly salt: Uint8Array;
  /** nonce ‖ AES-256-GCM(key, KEY_CHECK) under the metadata record's associated data. */
  readonly check: Uint8Array;
}

export class EncryptedRecordStore implements RecordStore {
  readonly #inner: RecordStore;
  readonly #crypto: StoreCrypto;
  readonly #key: Uint8Array;
  #closed = false;

  private constructor(inner: RecordStore, crypto: StoreCrypto, key: Uint8Array) {
    this.#inner = inner;
    this.#crypto = crypto;
    this.#key = key;
  }

  /**
   * Sets up encryption on `inner`, which must not hold a profile yet (`usage` otherwise): derives
   * a key from `passphrase` with a new salt and writes the metadata record. Not safe against a
   * concurrent `create` on the same store: the caller (profile creation) serialises them. On
   * failure `inner` stays open; the caller closes it.
   */
  static async create(
    inner: RecordStore,
    passphrase: string,
    crypto: StoreCrypto,
    options: EncryptedStoreOptions = {},
  ): Promise<EncryptedRecordStore> {
    passphraseBytes(passphrase).fill(0); // refuse a bad passphrase before any I/O
    const params = options.kdf ?? DEFAULT_SCRYPT_PARAMS;
    if (!isValidScryptParams(params)) throw new ClientError('usage', 'The scrypt parameters are out of range.');
    if ((await inner.get(META_KIND, META_ID)) !== undefined) {
      throw new ClientError('usage', 'This store already holds a profile: open it instead of creating it.');
    }
    const salt = crypto.randomBytes(SCRYPT_SALT_BYTES);
    const key = await deriveStoreKey(crypto, passphrase, salt, params, options.onKdfProgress);
    try {
      const check = seal(crypto, key, KEY_CHECK, META_KIND, META_ID);
      await inner.commit([{ kind: META_KIND, id: META_ID, value: encodeMeta({ params, salt, check }) }]);
    } catch (e) {
      key.fill(0);
      throw e;
    }
    return new EncryptedRecordStore(inner, crypto, key);
  }

  /**
   * Opens the encrypted profile in `inner`. Throws `ClientError`: `no-profile` when `inner` has no
   * metadata, `wrong-passphrase` when the key check fails, `store-corrupt` when the metadata is
   * malformed or of a newer version, `usage` for an empty passphrase. On failure `inner` stays
   * open; the caller closes it. Takes one scrypt derivation (a few hundred ms at the default cost).
   */
  static async open(
    inner: RecordStore,
    passphrase: string,
    crypto: StoreCrypto,
    options: Pick<EncryptedStoreOptions, 'onKdfProgress'> = {},
  ): Promise<EncryptedRecordStore> {
    passphraseBytes(passphrase).fill(0);
    const raw = await inner.get(META_KIND, META_ID);
    if (raw === undefined) {
      throw new ClientError('no-profile', 'There is no profile in this store yet. Create one first.');
    }
    const meta = decodeMeta(raw);
    const key = await deriveStoreKey(crypto, passphrase, meta.salt, meta.params, options.onKdfProgress);
    const check = open(crypto, key, meta.check, META_KIND, META_ID);
    if (check === null || !equalBytes(check, KEY_CHECK)) {
      key.fill(0);
      // A check that authenticates yet differs could only have been written with the key itself.
      if (check === null) throw new ClientError('wrong-passphrase', WRONG_PASSPHRASE);
      throw new ClientError('store-corrupt', CORRUPT_META);
    }
    return new EncryptedRecordStore(inner, crypto, key);
  }

  async get(kind: string, id: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    checkUserKind(kind);
    checkId(id);
    const sealed = await this.#inner.get(kind, id);
    this.#checkOpen();
    return sealed === undefined ? undefined : this.#open(sealed, kind, id);
  }

  async list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    this.#checkOpen();
    checkUserKind(kind);
    const records = await this.#inner.list(kind, options);
    this.#checkOpen();
    return records.map((r) => ({ id: r.id, value: this.#open(r.value, kind, r.id) }));
  }

  async commit(writes: readonly RecordWrite[]): Promise<void> {
    this.#checkOpen();
    checkWrites(writes);
    for (const w of writes) checkUserKind(w.kind);
    const sealed = writes.map((w) => ({
      kind: w.kind,
      id: w.id,
      value: w.value && seal(this.#crypto, this.#key, w.value, w.kind, w.id),
    }));
    await this.#inner.commit(sealed);
  }

  /** Forgets the key (zeroes it) and closes the wrapped store. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#key.fill(0);
    await this.#inner.close();
  }

  #open(sealed: Uint8Array, kind: string, id: string): Uint8Array {
    const plaintext = open(this.#crypto, this.#key, sealed, kind, id);
    if (plaintext === null) throw new ClientError('store-corrupt', CORRUPT_RECORD);
    return plaintext;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function checkUserKind(kind: string): void {
  checkKind(kind);
  if (kind === META_KIND) throw new ClientError('usage', 'The record kind "meta" is reserved for the store itself.');
}

/** "parley-store-v1" ‖ kind ‖ 0x00 ‖ id: binds a sealed value to its record. */
function associatedData(kind: string, id: string): Uint8Array {
  return concatBytes(AAD_PREFIX, utf8(kind), new Uint8Array(1), utf8(id));
}

/** nonce ‖ AES-256-GCM(key, nonce, plaintext, AD(kind, id)) with a fresh random nonce (SP 800-38D §8.2.2). */
function seal(crypto: StoreCrypto, key: Uint8Array, plaintext: Uint8Array, kind: string, id: string): Uint8Array {
  const nonce = crypto.randomBytes(AES_GCM_NONCE_BYTES);
  return concatBytes(nonce, crypto.aesGcmSeal(key, nonce, plaintext, associatedData(kind, id)));
}

/** The plaintext of a sealed value, or `null` when it is malformed or does not authenticate. */
function open(crypto: StoreCrypto, key: Uint8Array, sealed: Uint8Array, kind: string, id: string): Uint8Array | null {
  if (sealed.length < SEALED_OVERHEAD) return null;
  const nonce = sealed.subarray(0, AES_GCM_NONCE_BYTES);
  return crypto.aesGcmOpen(key, nonce, sealed.subarray(AES_GCM_NONCE_BYTES), associatedData(kind, id));
}

function encodeMeta(meta: Meta): Uint8Array {
  const { N, r, p } = meta.params;
  return utf8(
    JSON.stringify({
      format: 'parley-store',
      version: ENCRYPTED_STORE_VERSION,
      kdf: 'scrypt',
      N,
      r,
      p,
      salt: toHex(meta.salt),
      check: toHex(meta.check),
    }),
  );
}

function decodeMeta(raw: Uint8Array): Meta {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (e) {
    throw new ClientError('store-corrupt', CORRUPT_META, { cause: e });
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > ENCRYPTED_STORE_VERSION) {
    throw new ClientError(
      'store-corrupt',
      'The local store was written by a newer version of Parley. Update Parley and try again.',
    );
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) throw new ClientError('store-corrupt', CORRUPT_META);
  const { N, r, p, salt, check } = parsed.data;
  const params = { N, r, p };
  if (!isValidScryptParams(params)) throw new ClientError('store-corrupt', CORRUPT_META);
  return { params, salt: fromHex(salt), check: fromHex(check) };
}
