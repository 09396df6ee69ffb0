/**
 * Device lists (docs/protocol-devices.md §14.1). An account's identity signs the list of its
 * devices, with a version that only grows, so a peer learns which devices to encrypt to from the
 * account itself rather than from the server, and a server cannot add a device or bring back a
 * removed one:
 *
 *   body      = u8 version (0x01) ‖ u8 type (0x08) ‖ account signing key (32)
 *               ‖ u64 listVersion (≥ 1) ‖ u64 issuedAt (ms) ‖ u8 count (1..32)
 *               ‖ count × device certificate (110 B, §3.4), strictly ascending device id
 *   signature = Ed25519-Sign(IK_sig, "Parley device list v1" ‖ body)
 *   encoding  = body ‖ signature (64)
 *
 * Rollback rule (§14.1.3): a holder of list L accepts L' only if L'.version > L.version; the same
 * version is accepted only as the very same bytes (Ed25519 signing is deterministic and strict
 * verification refuses a second encoding, so the bytes of a version are unique unless the owner
 * signed two different lists under it: a fork, refused as `conflict`).
 */
import type { DeviceId } from './address.ts';
import { concatBytes, equalBytes, utf8 } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import {
  DEVICE_CERTIFICATE_BYTES,
  type DeviceCertificate,
  decodeDeviceCertificate,
  encodeDeviceCertificate,
  verifyDeviceCertificate,
} from './device-certificate.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { type IdentityKeyPair, type PublicIdentity, publicIdentity } from './identity.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

const DEVICE_LIST_LABEL = utf8('Parley device list v1');
/** Most devices one list may name (the u8 count's bound; servers allow fewer, docs/server.md). */
export const MAX_DEVICE_LIST_DEVICES = 32;
const HEADER_BYTES = 2 + 32 + 8 + 8 + 1;
const SIGNATURE_BYTES = 64;

export interface DeviceList {
  /** The account's identity signing key. */
  readonly account: Uint8Array;
  /** ≥ 1; a newer list of the same account has a greater version. */
  readonly version: number;
  /** When the owner signed it (ms since the epoch; informative, not ordered). */
  readonly issuedAt: number;
  /** Strictly ascending device id, 1..32 of them, each certified by the account. */
  readonly devices: readonly DeviceCertificate[];
}

/** The encoded length of a list of `count` devices. */
export function deviceListBytes(count: number): number {
  return HEADER_BYTES + count * DEVICE_CERTIFICATE_BYTES + SIGNATURE_BYTES;
}

function encodeBody(account: Uint8Array, version: number, issuedAt: number, devices: readonly DeviceCertificate[]) {
  const w = new Writer(deviceListBytes(devices.length))
    .u8(WIRE_VERSION)
    .u8(WireType.deviceList)
    .bytes(account)
    .u53(version)
    .u53(issuedAt)
    .u8(devices.length);
  for (const d of devices) w.bytes(encodeDeviceCertificate(d));
  return w.finish();
}

function ascending(devices: readonly DeviceCertificate[]): boolean {
  for (let i = 1; i < devices.length; i++) {
    if ((devices[i] as DeviceCertificate).deviceId <= (devices[i - 1] as DeviceCertificate).deviceId) return false;
  }
  return true;
}

/**
 * The account owner signs a new version of its device list. The certificates must be the
 * identity's own, in strictly ascending device id (the caller sorts), 1..32 of them.
 *
 * @example
 * ```ts
 * const list = signDeviceList(env, me, { version: 2, issuedAt: env.now(), devices: [cert1, cert2] });
 * ```
 */
export function signDeviceList(
  env: ProtocolEnv,
  identity: IdentityKeyPair,
  list: { readonly version: number; readonly issuedAt: number; readonly devices: readonly DeviceCertificate[] },
): Uint8Array {
  const { version, issuedAt, devices } = list;
  if (!Number.isSafeInteger(version) || version < 1) throw new ProtocolError('usage', 'list version must be ≥ 1');
  if (devices.length < 1 || devices.length > MAX_DEVICE_LIST_DEVICES) {
    throw new ProtocolError('usage', 'a device list names 1 to 32 devices');
  }
  if (!ascending(devices)) throw new ProtocolError('usage', 'devices must be in strictly ascending id');
  const id = publicIdentity(identity);
  for (const d of devices) {
    try {
      verifyDeviceCertificate(env, id, d);
    } catch (e) {
      throw new ProtocolError('usage', 'a device certificate is not this identity’s', { cause: e });
    }
  }
  const body = encodeBody(identity.signing.publicKey, version, issuedAt, devices);
  const signature = env.crypto.ed25519Sign(identity.signing.privateKey, concatBytes(DEVICE_LIST_LABEL, body));
  return concatBytes(body, signature);
}

/**
 * Parses a device list without checking any signature: for reading a list already accepted by
 * {@link openDeviceList} (e.g. a stored one). `decode` on anything that is not exactly a list.
 */
export function decodeDeviceList(bytes: Uint8Array): DeviceList & { readonly signature: Uint8Array } {
  const r = new Reader(bytes, 'device list');
  readFrame(r, WireType.deviceList, 'device list');
  const account = r.bytes(32);
  const version = r.u53();
  const issuedAt = r.u53();
  const count = r.u8();
  if (version < 1 || count < 1 || count > MAX_DEVICE_LIST_DEVICES) r.fail();
  if (r.remaining !== count * DEVICE_CERTIFICATE_BYTES + SIGNATURE_BYTES) r.fail();
  const devices: DeviceCertificate[] = [];
  for (let i = 0; i < count; i++) devices.push(decodeDeviceCertificate(r.bytes(DEVICE_CERTIFICATE_BYTES)));
  if (!ascending(devices)) r.fail();
  const signature = r.bytes(SIGNATURE_BYTES);
  r.end();
  return { account, version, issuedAt, devices, signature };
}

/**
 * Decodes a device list and verifies it against the account's (pinned) identity: the list's
 * account key must be `identity`'s signing key (`identity-mismatch`), the list signature and every
 * device certificate must verify under it (`bad-signature`). `decode` for malformed bytes,
 * `unsupported-version` for a future version byte.
 */
export function openDeviceList(env: ProtocolEnv, bytes: Uint8Array, identity: PublicIdentity): DeviceList {
  const list = decodeDeviceList(bytes);
  if (!equalBytes(list.account, identity.signingKey)) {
    throw new ProtocolError('identity-mismatch', 'device list is for another account');
  }
  const body = bytes.subarray(0, bytes.length - SIGNATURE_BYTES);
  if (!env.crypto.ed25519Verify(identity.signingKey, concatBytes(DEVICE_LIST_LABEL, body), list.signature)) {
    throw new ProtocolError('bad-signature', 'device list signature does not verify');
  }
  for (const d of list.devices) verifyDeviceCertificate(env, identity, d);
  return { account: list.account, version: list.version, issuedAt: list.issuedAt, devices: list.devices };
}

/** The device ids a list names, ascending. */
export function deviceListIds(list: DeviceList): DeviceId[] {
  return list.devices.map((d) => d.deviceId);
}

export type DeviceListOrder = 'newer' | 'same' | 'older' | 'conflict';

/**
 * The rollback rule (§14.1.3) between the list we hold (`known`, null if none) and one just
 * received (`next`); both must have been accepted by {@link openDeviceList} for the same account
 * (this only parses them). `newer`: accept `next`; `same`: nothing changes; `older`: a rollback,
 * refuse; `conflict`: the same version with other bytes (a fork by the account's owner, or a
 * replaced stored list), refuse and warn.
 */
export function compareDeviceLists(known: Uint8Array | null, next: Uint8Array): DeviceListOrder {
  const n = decodeDeviceList(next);
  if (known === null) return 'newer';
  const k = decodeDeviceList(known);
  if (!equalBytes(k.account, n.account)) throw new ProtocolError('usage', 'device lists of two accounts');
  if (n.version > k.version) return 'newer';
  if (n.version < k.version) return 'older';
  return equalBytes(known, next) ? 'same' : 'conflict';
}
