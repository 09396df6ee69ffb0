/**
 * Test data for the storage suites: random identities and prekeys of the right sizes. Storage
 * never checks signatures, so random bytes stand in for real keys.
 */
import { randomBytes } from 'node:crypto';
import {
  type AccountId,
  accountIdOf,
  type KemPreKeyPublic,
  type OneTimePreKeyPublic,
  type PublicIdentity,
  type SignedPreKeyPublic,
} from '@parley/protocol';

export const T0 = 1_700_000_000_000;

/** FIPS 203 ML-KEM-768 encapsulation key size. */
const KEM_PUBLIC_KEY_BYTES = 1184;

export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export function randomIdentity(): { identity: PublicIdentity; account: AccountId } {
  const identity = { signingKey: bytes(32), agreementKey: bytes(32), certificate: bytes(64) };
  return { identity, account: accountIdOf(identity) };
}

export function signedPreKey(id: number, createdAt = T0): SignedPreKeyPublic {
  return { id, publicKey: bytes(32), createdAt, signature: bytes(64) };
}

export function oneTimePreKeys(firstId: number, count: number): OneTimePreKeyPublic[] {
  return Array.from({ length: count }, (_, i) => ({ id: firstId + i, publicKey: bytes(32) }));
}

export function kemPreKey(id: number, lastResort: boolean, createdAt = T0): KemPreKeyPublic {
  return { id, publicKey: bytes(KEM_PUBLIC_KEY_BYTES), lastResort, createdAt, signature: bytes(64) };
}

export function kemPreKeys(firstId: number, count: number): KemPreKeyPublic[] {
  return Array.from({ length: count }, (_, i) => kemPreKey(firstId + i, false));
}
