/**
 * Test data for the storage suites: random identities, device credentials and prekeys of the right
 * sizes. Storage never checks signatures or certificates, so random bytes stand in for real keys.
 * And the suites' one assertion helper, {@link expectStorageError}.
 */
import { randomBytes } from 'node:crypto';
import {
  type AccountId,
  accountIdOf,
  type DeviceId,
  type KemPreKeyPublic,
  type OneTimePreKeyPublic,
  type PublicIdentity,
  type SignedPreKeyPublic,
} from '@parley/protocol';
import { expect } from 'vitest';
import type { DeviceCredentials } from '../src/storage/device-store.ts';
import { StorageError, type StorageErrorCode } from '../src/storage/errors.ts';

export const T0 = 1_700_000_000_000;

/** Asserts that `promise` rejects with a {@link StorageError} of this code, and returns it. */
export async function expectStorageError(promise: Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(StorageError.is(error), `expected StorageError ${code}, got ${String(error)}`).toBe(true);
  expect((error as StorageError).code).toBe(code);
  return error as StorageError;
}

/** FIPS 203 ML-KEM-768 encapsulation key size. */
const KEM_PUBLIC_KEY_BYTES = 1184;

/** An encoded device certificate: frame header, device id, creation time, device key, signature. */
const DEVICE_CERTIFICATE_BYTES = 2 + 4 + 8 + 32 + 64;

export function bytes(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}

export function randomIdentity(): { identity: PublicIdentity; account: AccountId } {
  const identity = { signingKey: bytes(32), agreementKey: bytes(32), certificate: bytes(64) };
  return { identity, account: accountIdOf(identity) };
}

export function deviceCredentials(): DeviceCredentials {
  return { deviceKey: bytes(32), certificate: bytes(DEVICE_CERTIFICATE_BYTES) };
}

/** What `createAccount` takes as the first device: its id and fresh random credentials. */
export function firstDevice(device: DeviceId): { deviceId: DeviceId } & DeviceCredentials {
  return { deviceId: device, ...deviceCredentials() };
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

/** A mailbox's two Ed25519 public keys. */
export function mailboxKeys(): { recipientKey: Uint8Array; senderKey: Uint8Array } {
  return { recipientKey: bytes(32), senderKey: bytes(32) };
}

/** A contact address owner's Ed25519 public key. */
export function ownerKey(): Uint8Array {
  return bytes(32);
}
