/** ML-KEM-768 (FIPS 203) from @noble/post-quantum, shared by both backends. */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { KemEncapsulation, KemKeyPair } from './backend.ts';

export function mlKemKeygen(seed: Uint8Array): KemKeyPair {
  return ml_kem768.keygen(seed);
}

export function mlKemEncapsulate(publicKey: Uint8Array, randomness: Uint8Array): KemEncapsulation {
  // FIPS 203 §7.2: encapsulation key check (modulus) is performed inside encapsulate.
  const r = ml_kem768.encapsulate(publicKey, randomness);
  return { ciphertext: r.cipherText, sharedSecret: r.sharedSecret };
}

export function mlKemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ml_kem768.decapsulate(ciphertext, secretKey);
}
