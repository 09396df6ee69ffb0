/**
 * Per-device prekeys (docs/protocol-identities.md §3.2; PQXDH spec §2.5 / §3.2). Signatures use the account
 * identity's Ed25519 key over a labelled encoding that binds the key's id, kind and timestamp:
 *
 *   SPK signature = Sign(IK, "Parley signed prekey v1" ‖ u32 id ‖ u64 createdAt ‖ publicKey)
 *   PQPK signature = Sign(IK, "Parley kem prekey v1" ‖ u32 id ‖ u8 lastResort ‖ u64 createdAt ‖ publicKey)
 */

import { utf8 } from './bytes.ts';
import { Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import type { IdentityKeyPair } from './identity.ts';
import { generateKem, generateX25519, type KemKeyPair, type X25519KeyPair } from './keys.ts';

const SPK_LABEL = utf8('Parley signed prekey v1');
const KEM_LABEL = utf8('Parley kem prekey v1');

export interface SignedPreKey {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}

export interface OneTimePreKey {
  readonly id: number;
  readonly keyPair: X25519KeyPair;
}

export interface KemPreKey {
  readonly id: number;
  readonly keyPair: KemKeyPair;
  /** A last-resort key is reused until replaced; a one-time key is deleted after one use. */
  readonly lastResort: boolean;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}

/** Public halves as published in bundles. */
export interface SignedPreKeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}
export interface OneTimePreKeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
}
export interface KemPreKeyPublic {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly lastResort: boolean;
  readonly createdAt: number;
  readonly signature: Uint8Array;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new ProtocolError('usage', 'prekey id must be a u32');
}

export function signedPreKeyMessage(id: number, createdAt: number, publicKey: Uint8Array): Uint8Array {
  return new Writer(96).bytes(SPK_LABEL).u32(id).u53(createdAt).bytes(publicKey).finish();
}

export function kemPreKeyMessage(
  id: number,
  lastResort: boolean,
  createdAt: number,
  publicKey: Uint8Array,
): Uint8Array {
  return new Writer(1240).bytes(KEM_LABEL).u32(id).bool(lastResort).u53(createdAt).bytes(publicKey).finish();
}

/**
 * @example
 * ```ts
 * const spk = generateSignedPreKey(env, me, 1);
 * const otks = generateOneTimePreKeys(env, 100, 50);
 * const kem = generateKemPreKey(env, me, 1, true); // last-resort ML-KEM-768 prekey
 * ```
 */
export function generateSignedPreKey(env: ProtocolEnv, identity: IdentityKeyPair, id: number): SignedPreKey {
  checkId(id);
  const keyPair = generateX25519(env);
  const createdAt = env.now();
  const signature = env.crypto.ed25519Sign(
    identity.signing.privateKey,
    signedPreKeyMessage(id, createdAt, keyPair.publicKey),
  );
  return { id, keyPair, createdAt, signature };
}

export function generateOneTimePreKeys(env: ProtocolEnv, firstId: number, count: number): OneTimePreKey[] {
  if (!Number.isInteger(count) || count < 0) throw new ProtocolError('usage', 'count must be a non-negative integer');
  checkId(firstId);
  if (count > 0) checkId(firstId + count - 1);
  const out: OneTimePreKey[] = [];
  for (let i = 0; i < count; i++) out.push({ id: firstId + i, keyPair: generateX25519(env) });
  return out;
}

export function generateKemPreKey(
  env: ProtocolEnv,
  identity: IdentityKeyPair,
  id: number,
  lastResort: boolean,
): KemPreKey {
  checkId(id);
  const keyPair = generateKem(env);
  const createdAt = env.now();
  const signature = env.crypto.ed25519Sign(
    identity.signing.privateKey,
    kemPreKeyMessage(id, lastResort, createdAt, keyPair.publicKey),
  );
  return { id, keyPair, lastResort, createdAt, signature };
}

export function signedPreKeyPublic(k: SignedPreKey): SignedPreKeyPublic {
  return { id: k.id, publicKey: k.keyPair.publicKey, createdAt: k.createdAt, signature: k.signature };
}

export function oneTimePreKeyPublic(k: OneTimePreKey): OneTimePreKeyPublic {
  return { id: k.id, publicKey: k.keyPair.publicKey };
}

export function kemPreKeyPublic(k: KemPreKey): KemPreKeyPublic {
  return {
    id: k.id,
    publicKey: k.keyPair.publicKey,
    lastResort: k.lastResort,
    createdAt: k.createdAt,
    signature: k.signature,
  };
}

export function verifySignedPreKey(env: ProtocolEnv, signingKey: Uint8Array, k: SignedPreKeyPublic): void {
  if (!env.crypto.ed25519Verify(signingKey, signedPreKeyMessage(k.id, k.createdAt, k.publicKey), k.signature)) {
    throw new ProtocolError('bad-signature', 'signed prekey signature does not verify');
  }
}

export function verifyKemPreKey(env: ProtocolEnv, signingKey: Uint8Array, k: KemPreKeyPublic): void {
  const msg = kemPreKeyMessage(k.id, k.lastResort, k.createdAt, k.publicKey);
  if (!env.crypto.ed25519Verify(signingKey, msg, k.signature)) {
    throw new ProtocolError('bad-signature', 'KEM prekey signature does not verify');
  }
}
