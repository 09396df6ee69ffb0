/**
 * Prekey bundles (docs/protocol-identities.md §4.1): what a device publishes so that others can start a
 * session with it while it is offline (PQXDH spec §3.2).
 */
import { type DeviceId, deviceId } from './address.ts';
import { Reader, Writer } from './codec.ts';
import { MLKEM768_PUBLIC_KEY_BYTES } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { checkIdentity, type PublicIdentity, readIdentity, writeIdentity } from './identity.ts';
import {
  type KemPreKeyPublic,
  type OneTimePreKeyPublic,
  type SignedPreKeyPublic,
  verifyKemPreKey,
  verifySignedPreKey,
} from './prekeys.ts';
import { LATEST_SESSION_VERSION, readSessionFrame, type SessionVersion, WireType } from './wire.ts';

export interface PreKeyBundle {
  /**
   * The highest session version the device speaks (docs/protocol-v2.md §13.1), from the bundle's
   * version byte; absent means the latest. An initiator starts a session of this version.
   */
  readonly version?: SessionVersion;
  readonly identity: PublicIdentity;
  readonly deviceId: DeviceId;
  readonly signedPreKey: SignedPreKeyPublic;
  readonly oneTimePreKey: OneTimePreKeyPublic | null;
  readonly kemPreKey: KemPreKeyPublic;
}

/**
 * Verifies every signature in a bundle (PQXDH §3.3: "Alice verifies the signatures and aborts if
 * verification fails"): the signed prekey, the KEM prekey and the identity certificate — or,
 * given the identity pinned for this contact, that the bundle carries exactly that identity
 * (`identity-mismatch` otherwise). Returns the identity to trust.
 */
export function verifyBundle(env: ProtocolEnv, b: PreKeyBundle, pinned?: PublicIdentity): PublicIdentity {
  const identity = checkIdentity(env, b.identity, pinned);
  verifySignedPreKey(env, identity.signingKey, b.signedPreKey);
  verifyKemPreKey(env, identity.signingKey, b.kemPreKey);
  return identity;
}

/**
 * @example
 * ```ts
 * const bytes = encodeBundle({ identity: publicIdentity(me), deviceId: deviceId(1),
 *   signedPreKey: signedPreKeyPublic(spk), oneTimePreKey: oneTimePreKeyPublic(otk), kemPreKey: kemPreKeyPublic(kem) });
 * const bundle = decodeBundle(bytes); verifyBundle(env, bundle); // createInitiatorSession verifies too
 * ```
 */
export function encodeBundle(b: PreKeyBundle): Uint8Array {
  const w = new Writer(1560).u8(b.version ?? LATEST_SESSION_VERSION).u8(WireType.bundle);
  writeIdentity(w, b.identity);
  w.u32(b.deviceId);
  const s = b.signedPreKey;
  w.u32(s.id).u53(s.createdAt).bytes(s.publicKey).bytes(s.signature);
  if (b.oneTimePreKey) w.u8(1).u32(b.oneTimePreKey.id).bytes(b.oneTimePreKey.publicKey);
  else w.u8(0);
  const k = b.kemPreKey;
  w.u32(k.id).bool(k.lastResort).u53(k.createdAt).bytes(k.publicKey).bytes(k.signature);
  return w.finish();
}

/** Parses a bundle. Signatures are not checked here: call {@link verifyBundle}. */
export function decodeBundle(bytes: Uint8Array): PreKeyBundle {
  const r = new Reader(bytes, 'prekey bundle');
  const version = readSessionFrame(r, WireType.bundle, 'prekey bundle');
  const identity = readIdentity(r);
  const dev = r.device();
  const signedPreKey = { id: r.u32(), createdAt: r.u53(), publicKey: r.x25519Public(), signature: r.bytes(64) };
  const oneTimePreKey = r.bool() ? { id: r.u32(), publicKey: r.x25519Public() } : null;
  const kemPreKey = {
    id: r.u32(),
    lastResort: r.bool(),
    createdAt: r.u53(),
    publicKey: r.bytes(MLKEM768_PUBLIC_KEY_BYTES),
    signature: r.bytes(64),
  };
  r.end();
  return { version, identity, deviceId: deviceId(dev), signedPreKey, oneTimePreKey, kemPreKey };
}
