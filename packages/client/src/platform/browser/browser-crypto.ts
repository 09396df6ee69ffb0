/**
 * {@link StoreCrypto} in a browser: AES-256-GCM (NIST SP 800-38D) from @noble/ciphers and scrypt
 * (RFC 7914) from @noble/hashes — audited, dependency-free, and the same libraries the protocol's
 * browser backend already ships, so they cost the bundle nothing new. Randomness is the
 * browser's CSPRNG (`crypto.getRandomValues`).
 *
 * WebCrypto would give AES-GCM natively, but only asynchronously, and the StoreCrypto contract is
 * synchronous for AES (one await per record would cost more than the work); it has no scrypt at
 * all. noble's `scryptAsync` yields to the browser (scheduler.yield) every few milliseconds, so a
 * derivation at the default cost keeps the page responsive while it runs (docs/client.md,
 * "Browser storage", has the measured time).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { ClientError } from '../../errors.ts';
import { scryptMaxmem } from '../../store/passphrase.ts';
import { AES_GCM_TAG_BYTES, checkAesGcmKeyAndNonce, type StoreCrypto } from '../../store/store-crypto.ts';

/** getRandomValues fills at most 65,536 bytes per call (WebCrypto §10.1.1). */
const MAX_RANDOM_CHUNK = 65_536;

function quietly(f: (x: number) => void, x: number): void {
  try {
    f(x);
  } catch {
    // the app's callback: its failure is its own
  }
}

export const browserStoreCrypto: StoreCrypto = {
  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += MAX_RANDOM_CHUNK) {
      globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + MAX_RANDOM_CHUNK)));
    }
    return out;
  },

  aesGcmSeal(key, nonce, plaintext, aad) {
    checkAesGcmKeyAndNonce(key, nonce);
    return gcm(key, nonce, aad).encrypt(plaintext);
  },

  aesGcmOpen(key, nonce, sealed, aad) {
    checkAesGcmKeyAndNonce(key, nonce);
    if (sealed.length < AES_GCM_TAG_BYTES) return null;
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch {
      return null; // the tag does not verify
    }
  },

  async scrypt(password, salt, params, length, onProgress) {
    const { N, r, p } = params;
    try {
      return await scryptAsync(password, salt, {
        N,
        r,
        p,
        dkLen: length,
        maxmem: scryptMaxmem(params),
        // A progress bar that throws must not abort the unlock.
        ...(onProgress === undefined ? {} : { onProgress: (f: number) => void quietly(onProgress, f) }),
      });
    } catch (e) {
      throw new ClientError('internal', 'The key could not be derived from the passphrase.', { cause: e });
    }
  },
};
