/**
 * Browser (and reference) backend: the audited @noble libraries, pure JavaScript.
 * Selected by the `browser` export condition; usable anywhere.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ProtocolError } from '../errors.ts';
import type { CryptoBackend } from './backend.ts';
import { isStrictEd25519Key } from './ed25519-strict-key.ts';
import { mlKemDecapsulate, mlKemEncapsulate, mlKemKeygen } from './ml-kem.ts';

function isZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

export const nobleBackend: CryptoBackend = {
  name: 'noble',
  randomBytes: (n) => randomBytes(n),
  publicRandomBytes: (n) => randomBytes(n),
  x25519PublicKey: (priv) => x25519.getPublicKey(priv),
  x25519(priv, pub) {
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(priv, pub);
    } catch (cause) {
      throw new ProtocolError('decode', 'invalid X25519 public key', { cause });
    }
    if (isZero(out)) throw new ProtocolError('decode', 'invalid X25519 public key');
    return out;
  },
  ed25519PublicKey: (priv) => ed25519.getPublicKey(priv),
  ed25519Sign: (priv, msg) => ed25519.sign(msg, priv),
  ed25519Verify(pub, msg, sig) {
    if (pub.length !== 32 || sig.length !== 64) return false;
    try {
      // docs/protocol.md §1.1 and §1.4 note 2: canonical, torsion-free A and R. zip215: false makes noble decode
      // strictly (canonical y < p, no x = 0 with the sign bit set) and check S < L and A not of
      // small order; it then checks the cofactored equation [8]SB = [8]R + [8]kA (RFC 8032
      // §5.1.7), which with torsion-free A and R holds exactly when SB = R + kA, the equation
      // OpenSSL checks. Without the torsion checks a small or mixed-order R, or a mixed-order A,
      // passes here and fails there ("Taming the many EdDSAs", cases 1, 4, 5).
      if (!isStrictEd25519Key(pub) || !ed25519.Point.fromBytes(sig.subarray(0, 32), false).isTorsionFree())
        return false;
      return ed25519.verify(sig, msg, pub, { zip215: false });
    } catch {
      return false;
    }
  },
  aesGcmSeal: (key, nonce, pt, aad) => gcm(key, nonce, aad).encrypt(pt),
  aesGcmOpen(key, nonce, sealed, aad) {
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch {
      return null;
    }
  },
  hmacSha512: (key, data) => hmac(sha512, key, data),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  sha512: (data) => sha512(data),
  sha256: (data) => sha256(data),
  mlKemKeygen,
  mlKemEncapsulate,
  mlKemDecapsulate,
};

export default nobleBackend;
