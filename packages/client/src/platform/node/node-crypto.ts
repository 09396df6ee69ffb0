/**
 * {@link StoreCrypto} over node:crypto (OpenSSL): AES-256-GCM per NIST SP 800-38D and scrypt per
 * RFC 7914, the asynchronous `scrypt` so that a derivation runs on libuv's thread pool instead of
 * blocking the event loop.
 */
import { createCipheriv, createDecipheriv, randomFillSync, scrypt } from 'node:crypto';
import { ClientError } from '../../errors.ts';
import { scryptMaxmem } from '../../store/passphrase.ts';
import {
  AES_GCM_TAG_BYTES,
  checkAesGcmKeyAndNonce,
  type ScryptParams,
  type StoreCrypto,
} from '../../store/store-crypto.ts';

export const nodeStoreCrypto: StoreCrypto = {
  randomBytes(length: number): Uint8Array {
    return randomFillSync(new Uint8Array(length));
  },

  aesGcmSeal(key, nonce, plaintext, aad) {
    checkAesGcmKeyAndNonce(key, nonce);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    const tail = cipher.final(); // empty for GCM, but part of the API contract
    const out = new Uint8Array(body.length + tail.length + AES_GCM_TAG_BYTES);
    out.set(body);
    out.set(tail, body.length);
    out.set(cipher.getAuthTag(), body.length + tail.length);
    return out;
  },

  aesGcmOpen(key, nonce, sealed, aad) {
    checkAesGcmKeyAndNonce(key, nonce);
    if (sealed.length < AES_GCM_TAG_BYTES) return null;
    const split = sealed.length - AES_GCM_TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: AES_GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(split));
    const body = decipher.update(sealed.subarray(0, split));
    try {
      decipher.final(); // throws when the tag does not verify
    } catch {
      body.fill(0);
      return null;
    }
    const out = new Uint8Array(body);
    body.fill(0);
    return out;
  },

  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams, length: number): Promise<Uint8Array> {
    const { N, r, p } = params;
    return new Promise((resolve, reject) => {
      scrypt(password, salt, length, { N, r, p, maxmem: scryptMaxmem(params) }, (err, derived) => {
        if (err) {
          reject(new ClientError('internal', 'The key could not be derived from the passphrase.', { cause: err }));
          return;
        }
        const out = new Uint8Array(derived);
        derived.fill(0);
        resolve(out);
      });
    });
  },
};
