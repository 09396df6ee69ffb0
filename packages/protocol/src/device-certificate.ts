/**
 * Device certificates and authentication proofs (docs/protocol-identities.md §3.4, §3.5).
 *
 * Each device has its own Ed25519 *device key*. The account's identity signing key certifies it:
 *
 *   signature = Ed25519-Sign(IK, "Parley device v1" ‖ u32 deviceId ‖ u64 createdAt ‖ deviceKey)
 *
 * so a server (or a peer) can check that a device was added by the account's owner: no ghost
 * devices. A device proves it holds its key by signing a fresh, single-use server challenge and
 * the one operation the proof authorises (operation.ts, §3.5.1):
 *
 *   proof = Ed25519-Sign(deviceKey, "Parley auth v2" ‖ u8 purpose ‖ challenge (32)
 *                                   ‖ accountSigningKey (32) ‖ u32 deviceId ‖ operation)
 *
 * The purpose byte keeps a proof made to register from being used to log in, and vice versa; the
 * operation keeps a proof made for one request (method, target, body) from serving another. No
 * bearer secret is involved: a proof is useless once its challenge is consumed.
 */
import { type DeviceId, deviceId } from './address.ts';
import { utf8 } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import type { IdentityKeyPair, PublicIdentity } from './identity.ts';
import type { Operation } from './operation.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

const DEVICE_LABEL = utf8('Parley device v1');
const AUTH_LABEL = utf8('Parley auth v2');
export const CHALLENGE_BYTES = 32;
export const DEVICE_CERTIFICATE_BYTES = 2 + 4 + 8 + 32 + 64;

export interface DeviceCertificate {
  readonly deviceId: DeviceId;
  readonly createdAt: number;
  /** The device's Ed25519 public key. */
  readonly deviceKey: Uint8Array;
  /** By the account identity's signing key. */
  readonly signature: Uint8Array;
}

/** What a device proves possession of its key for. */
export const AuthPurpose = { register: 1, connect: 2 } as const;
export type AuthPurpose = (typeof AuthPurpose)[keyof typeof AuthPurpose];

function certifiedMessage(device: number, createdAt: number, deviceKey: Uint8Array): Uint8Array {
  return new Writer(64).bytes(DEVICE_LABEL).u32(device).u53(createdAt).bytes(deviceKey).finish();
}

/**
 * The account owner certifies a device key.
 *
 * @example
 * ```ts
 * const deviceKeys = generateEd25519(env);
 * const cert = certifyDevice(env, me, deviceId(2), deviceKeys.publicKey);
 * ```
 */
export function certifyDevice(
  env: ProtocolEnv,
  identity: IdentityKeyPair,
  device: DeviceId,
  deviceKey: Uint8Array,
): DeviceCertificate {
  if (deviceKey.length !== 32) throw new ProtocolError('usage', 'device key must be 32 bytes');
  const createdAt = env.now();
  const signature = env.crypto.ed25519Sign(identity.signing.privateKey, certifiedMessage(device, createdAt, deviceKey));
  return { deviceId: device, createdAt, deviceKey, signature };
}

/** Throws `bad-signature` unless `identity` certified this device key. */
export function verifyDeviceCertificate(env: ProtocolEnv, identity: PublicIdentity, cert: DeviceCertificate): void {
  const msg = certifiedMessage(cert.deviceId, cert.createdAt, cert.deviceKey);
  if (!env.crypto.ed25519Verify(identity.signingKey, msg, cert.signature)) {
    throw new ProtocolError('bad-signature', 'device certificate does not verify');
  }
}

export function encodeDeviceCertificate(cert: DeviceCertificate): Uint8Array {
  return new Writer(DEVICE_CERTIFICATE_BYTES)
    .u8(WIRE_VERSION)
    .u8(WireType.deviceCertificate)
    .u32(cert.deviceId)
    .u53(cert.createdAt)
    .bytes(cert.deviceKey)
    .bytes(cert.signature)
    .finish();
}

/** Parses a device certificate; the signature is checked by {@link verifyDeviceCertificate}. */
export function decodeDeviceCertificate(bytes: Uint8Array): DeviceCertificate {
  const r = new Reader(bytes, 'device certificate');
  readFrame(r, WireType.deviceCertificate, 'device certificate');
  const device = deviceId(r.device());
  const cert = { deviceId: device, createdAt: r.u53(), deviceKey: r.bytes(32), signature: r.bytes(64) };
  r.end();
  return cert;
}

function authMessage(
  purpose: AuthPurpose,
  challenge: Uint8Array,
  account: Uint8Array,
  device: DeviceId,
  operation: Operation,
): Uint8Array {
  if (challenge.length !== CHALLENGE_BYTES) throw new ProtocolError('decode', 'malformed challenge');
  return new Writer(96 + operation.length)
    .bytes(AUTH_LABEL)
    .u8(purpose)
    .bytes(challenge)
    .bytes(account)
    .u32(device)
    .bytes(operation)
    .finish();
}

/**
 * The device signs a server challenge and the operation it authorises with its device private
 * key: `REGISTRATION_OPERATION` for purpose `register`, the request's `httpOperation` for
 * `connect` (§3.5.1).
 */
export function proveDevice(
  env: ProtocolEnv,
  devicePrivateKey: Uint8Array,
  purpose: AuthPurpose,
  challenge: Uint8Array,
  accountSigningKey: Uint8Array,
  device: DeviceId,
  operation: Operation,
): Uint8Array {
  return env.crypto.ed25519Sign(
    devicePrivateKey,
    authMessage(purpose, challenge, accountSigningKey, device, operation),
  );
}

/**
 * Whether `proof` is the device key's signature over this challenge, account, device, purpose
 * and operation.
 */
export function checkDeviceProof(
  env: ProtocolEnv,
  deviceKey: Uint8Array,
  purpose: AuthPurpose,
  challenge: Uint8Array,
  accountSigningKey: Uint8Array,
  device: DeviceId,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(
    deviceKey,
    authMessage(purpose, challenge, accountSigningKey, device, operation),
    proof,
  );
}
