/** Key pair types and generation. Private keys are drawn from the injected random source. */
import type { KemKeyPair } from './crypto/backend.ts';
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

/** FIPS 203 §6.1 ML-KEM.KeyGen_internal with a 64-byte seed (d ‖ z) from the random source. */
export function generateKem(env: ProtocolEnv): KemKeyPair {
  return env.crypto.mlKemKeygen(env.random(64));
}
