/**
 * From the user's passphrase to the key that encrypts the local store: scrypt (RFC 7914), a
 * memory-hard KDF, so that guessing passphrases against a stolen profile costs each guess
 * ~128 MiB of memory and a few hundred milliseconds.
 *
 * Parameters: N = 2^17, r = 8, p = 1, 32 bytes of output, the minimum OWASP's Password Storage
 * Cheat Sheet recommends for scrypt. They are written into the store's metadata next to the
 * 16-byte random salt, so a later version can raise them for new profiles (or on a passphrase
 * change) and still open old ones.
 *
 * Passphrases are strings, normalised to NFKC before UTF-8 encoding, so that the same passphrase
 * typed on two keyboards or platforms (composed or decomposed accents, full-width forms) derives
 * the same key.
 */
import { ClientError } from '../errors.ts';
import type { KdfProgress, ScryptParams, StoreCrypto } from './store-crypto.ts';

/** The default cost: N = 2^17, r = 8, p = 1 (≈128 MiB and a few hundred ms per derivation). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
export const SCRYPT_SALT_BYTES = 16;
export const STORE_KEY_BYTES = 32;

/**
 * The bounds a store's parameters must lie in. The lower bound is far below the default only so
 * that tests can run fast; the upper bounds keep a damaged or hostile metadata record from making
 * `open` allocate gigabytes or spin for minutes.
 */
const MIN_N = 2 ** 10;
const MAX_MEMORY_BYTES = 2 ** 30;
const MAX_P = 16;

export function isValidScryptParams(params: unknown): params is ScryptParams {
  if (typeof params !== 'object' || params === null) return false;
  const { N, r, p } = params as Record<string, unknown>;
  return (
    typeof N === 'number' &&
    typeof r === 'number' &&
    typeof p === 'number' &&
    Number.isSafeInteger(N) &&
    Number.isSafeInteger(r) &&
    Number.isSafeInteger(p) &&
    N >= MIN_N &&
    (N & (N - 1)) === 0 &&
    r >= 1 &&
    p >= 1 &&
    p <= MAX_P &&
    128 * N * r <= MAX_MEMORY_BYTES
  );
}

/**
 * The memory limit to allow for one derivation. scrypt needs 128·N·r bytes for its table V plus
 * 128·r·p for B (RFC 7914 §5); node:crypto refuses anything above `maxmem` (default 32 MiB, too
 * low for N = 2^17), so we allow twice the table plus B.
 */
export function scryptMaxmem(params: ScryptParams): number {
  return 2 * 128 * params.N * params.r + 128 * params.r * params.p;
}

/** NFKC, then UTF-8. Throws `ClientError('usage')` for a non-string or empty passphrase. */
export function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string') throw new ClientError('usage', 'The passphrase must be a string.');
  const normalised = passphrase.normalize('NFKC');
  if (normalised.length === 0) throw new ClientError('usage', 'The passphrase must not be empty.');
  return new TextEncoder().encode(normalised);
}

/**
 * The 32-byte store key: scrypt(NFKC-normalised UTF-8 passphrase, salt, N, r, p) (RFC 7914).
 * The encoded passphrase is zeroed afterwards (the JS string itself cannot be).
 */
export async function deriveStoreKey(
  crypto: StoreCrypto,
  passphrase: string,
  salt: Uint8Array,
  params: ScryptParams,
  onProgress?: KdfProgress,
): Promise<Uint8Array> {
  const password = passphraseBytes(passphrase);
  try {
    if (!isValidScryptParams(params)) throw new ClientError('usage', 'The scrypt parameters are out of range.');
    if (salt.length !== SCRYPT_SALT_BYTES) throw new ClientError('usage', 'The scrypt salt must be 16 bytes.');
    return await crypto.scrypt(password, salt, params, STORE_KEY_BYTES, onProgress);
  } finally {
    password.fill(0);
  }
}
