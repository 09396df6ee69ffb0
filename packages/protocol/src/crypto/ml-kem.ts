/**
 * ML-KEM-768 (FIPS 203) from @noble/post-quantum, with typed errors: the noble backend's, and
 * the Node backend's for encapsulation with caller-chosen randomness (ml-kem-node.ts).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ProtocolError } from '../errors.ts';
import type { KemEncapsulation, KemKeyPair } from './backend.ts';

/** FIPS 203 §6.1 KeyGen_internal from seed = d ‖ z, or §7.1 KeyGen with d, z from the CSPRNG. */
export function mlKemKeygen(seed?: Uint8Array): KemKeyPair {
  return ml_kem768.keygen(seed);
}

/** FIPS 203 §6.2 Encaps_internal with the given m, or §7.2 Encaps with m from the CSPRNG. */
export function mlKemEncapsulate(publicKey: Uint8Array, randomness?: Uint8Array): KemEncapsulation {
  // FIPS 203 §7.2: noble performs the encapsulation key checks (length, modulus) and throws.
  let r: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    r = ml_kem768.encapsulate(publicKey, randomness);
  } catch (cause) {
    throw new ProtocolError('decode', 'invalid ML-KEM public key', { cause });
  }
  return { ciphertext: r.cipherText, sharedSecret: r.sharedSecret };
}

export function mlKemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  // Lengths are fixed by our decoders; a wrong-length secret key is a caller bug.
  try {
    return ml_kem768.decapsulate(ciphertext, secretKey);
  } catch (cause) {
    throw new ProtocolError('usage', 'invalid ML-KEM ciphertext or secret key length', { cause });
  }
}
