/** Key pair types and generation. Private keys are drawn from the injected random source. */
import type { KemEncapsulation, KemKeyPair } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';

export interface X25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface Ed25519KeyPair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export type { KemKeyPair };

export function generateX25519(env: ProtocolEnv): X25519KeyPair {
  const privateKey = env.random(32);
  return { privateKey, publicKey: env.crypto.x25519PublicKey(privateKey) };
}

export function generateEd25519(env: ProtocolEnv): Ed25519KeyPair {
  const privateKey = env.random(32);
  return { privateKey, publicKey: env.crypto.ed25519PublicKey(privateKey) };
}

/**
 * An ML-KEM-768 key pair: FIPS 203 §6.1 ML-KEM.KeyGen_internal with a 64-byte seed (d ‖ z) from
 * the random source or, when that is the platform CSPRNG (see {@link encapsulateKem}), §7.1
 * ML-KEM.KeyGen with d ‖ z drawn by the backend itself (natively under Node).
 */
export function generateKem(env: ProtocolEnv): KemKeyPair {
  return env.crypto.mlKemKeygen(fromPlatform(env) ? undefined : env.random(64));
}

/** Whether the random source is the backend's own CSPRNG, which the backend may draw from itself. */
function fromPlatform(env: ProtocolEnv): boolean {
  return env.random === env.crypto.randomBytes;
}

/**
 * FIPS 203 §7.2 ML-KEM.Encaps to `publicKey`. With the platform CSPRNG as the random source
 * (`env.random` is the backend's own `randomBytes`, as in `envFor` and `defaultEnv`), the backend
 * draws m itself — natively under Node; with any other source (seeded tests, vectors), m is
 * `env.random(32)` and the result is §6.2 ML-KEM.Encaps_internal(ek, m), reproducible.
 */
export function encapsulateKem(env: ProtocolEnv, publicKey: Uint8Array): KemEncapsulation {
  return env.crypto.mlKemEncapsulate(publicKey, fromPlatform(env) ? undefined : env.random(32));
}
