/**
 * PQXDH key agreement (Signal, "The PQXDH Key Agreement Protocol", revision 3), with ML-KEM-768
 * as PQKEM (docs/protocol-identities.md §5 explains the choice over Kyber-1024) and Parley's identity
 * (an Ed25519 key certifying an X25519 key, identity.ts) in place of XEdDSA.
 *
 * Parameters (PQXDH §2.1): info "Parley_CURVE25519_SHA-256_ML-KEM-768", curve X25519,
 * hash SHA-256, pqkem ML-KEM-768, EncodeEC = the 32-byte RFC 7748 encoding,
 * EncodeKEM = the 1184-byte FIPS 203 encapsulation key.
 */

import type { DeviceId } from './address.ts';
import { type PreKeyBundle, verifyBundle } from './bundle.ts';
import { concatBytes } from './bytes.ts';
import { Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { checkIdentity, type IdentityKeyPair, type PublicIdentity, publicIdentity } from './identity.ts';
import { encapsulateKem, generateX25519, type X25519KeyPair } from './keys.ts';
import { openSender, type SealedPqxdhHeader, sealKey } from './sealed-initial-message.ts';
import type { SessionVersion } from './wire.ts';

const INFO = new TextEncoder().encode('Parley_CURVE25519_SHA-256_ML-KEM-768');
/** Version 2 sessions (docs/protocol-v2.md §13.6) use their own info string, so no key is shared across versions. */
const INFO_V2 = new TextEncoder().encode('Parley_v2_CURVE25519_SHA-256_ML-KEM-768');
/** PQXDH §2.2: F is 32 0xFF bytes for X25519, prepended to the KDF input for domain separation. */
const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);

/** What both sides share after PQXDH: the Double Ratchet's SK and initial header keys. */
export interface SharedSecrets {
  /** SK, the Double Ratchet's initial root key. */
  readonly rootKey: Uint8Array;
  /** shared_hka: the initiator's first sending header key (Double Ratchet §4.4). */
  readonly headerKeyA: Uint8Array;
  /** shared_nhkb: the responder's first next-sending header key. */
  readonly nextHeaderKeyB: Uint8Array;
  /**
   * AD = Encode(IK_A) ‖ u32 device_A ‖ Encode(IK_B) ‖ u32 device_B (PQXDH §3.3 allows appending
   * identifying information), bound into every message's AEAD: a server that relabels either
   * device makes the first message fail to decrypt.
   */
  readonly associatedData: Uint8Array;
}

/** The PQXDH fields of an initial message (PQXDH §3.3 "Alice then sends Bob an initial message"). */
export interface PqxdhHeader {
  readonly initiator: PublicIdentity;
  readonly initiatorDevice: DeviceId;
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | null;
  readonly kemPreKeyId: number;
  readonly kemCiphertext: Uint8Array;
  /**
   * The initiator's pending header of a sealed session only (docs/protocol-ratchet.md §6.5): the
   * sealed sender its messages carry instead of the identity and device in clear.
   */
  readonly sealedSender?: Uint8Array;
}

/**
 * PQXDH §2.2 KDF: HKDF-SHA256 with F ‖ KM as input, a zero salt and the info string. We take
 * 96 bytes: SK (32) and the two shared header keys the header-encrypted ratchet needs (32 + 32).
 */
function kdf(env: ProtocolEnv, version: SessionVersion, km: Uint8Array[], ad: Uint8Array): SharedSecrets {
  const out = env.crypto.hkdfSha256(concatBytes(F, ...km), ZERO_SALT, version === 1 ? INFO : INFO_V2, 96);
  return {
    rootKey: out.slice(0, 32),
    headerKeyA: out.slice(32, 64),
    nextHeaderKeyB: out.slice(64, 96),
    associatedData: ad,
  };
}

function associatedData(a: PublicIdentity, deviceA: DeviceId, b: PublicIdentity, deviceB: DeviceId): Uint8Array {
  return new Writer(136)
    .bytes(a.signingKey)
    .bytes(a.agreementKey)
    .u32(deviceA)
    .bytes(b.signingKey)
    .bytes(b.agreementKey)
    .u32(deviceB)
    .finish();
}

export interface InitiatorResult {
  readonly secrets: SharedSecrets;
  readonly header: PqxdhHeader;
  /** K_seal (docs/protocol-ratchet.md §6.5), for a sealed initial message. */
  readonly sealKey: Uint8Array;
}

/**
 * Alice's side (PQXDH §3.3). Verifies the bundle's prekey signatures; the identity certificate
 * is verified too unless `knownIdentity` is given — an identity the caller pinned earlier (from
 * an invitation, already verified). A bundle whose identity differs from it is refused.
 */
export function pqxdhInitiate(
  env: ProtocolEnv,
  version: SessionVersion,
  ours: IdentityKeyPair,
  ourDevice: DeviceId,
  bundle: PreKeyBundle,
  knownIdentity?: PublicIdentity,
): InitiatorResult {
  const peer = verifyBundle(env, bundle, knownIdentity);

  const ek: X25519KeyPair = generateX25519(env);
  const { ciphertext, sharedSecret } = encapsulateKem(env, bundle.kemPreKey.publicKey);
  const c = env.crypto;
  const spk = bundle.signedPreKey.publicKey;
  const km = [
    c.x25519(ours.agreement.privateKey, spk), // DH1 = DH(IK_A, SPK_B)
    c.x25519(ek.privateKey, peer.agreementKey), // DH2 = DH(EK_A, IK_B)
    c.x25519(ek.privateKey, spk), // DH3 = DH(EK_A, SPK_B)
  ];
  if (bundle.oneTimePreKey) km.push(c.x25519(ek.privateKey, bundle.oneTimePreKey.publicKey)); // DH4
  km.push(sharedSecret); // SS
  const me = publicIdentity(ours);
  return {
    secrets: kdf(env, version, km, associatedData(me, ourDevice, peer, bundle.deviceId)),
    sealKey: sealKey(env, km[1] as Uint8Array, km[2] as Uint8Array, sharedSecret),
    header: {
      initiator: me,
      initiatorDevice: ourDevice,
      baseKey: ek.publicKey,
      signedPreKeyId: bundle.signedPreKey.id,
      oneTimePreKeyId: bundle.oneTimePreKey ? bundle.oneTimePreKey.id : null,
      kemPreKeyId: bundle.kemPreKey.id,
      kemCiphertext: ciphertext,
    },
  };
}

/** The responder's private prekeys named by an initial message, looked up by the caller. */
export interface ResponderPreKeys {
  readonly signedPreKey: X25519KeyPair;
  readonly oneTimePreKey: X25519KeyPair | null;
  readonly kemSecretKey: Uint8Array;
}

/**
 * Bob's side (PQXDH §3.4): recomputes the DH values and decapsulates. With `knownIdentity` the
 * initiator must be that identity (`identity-mismatch` otherwise); without, its certificate is
 * verified.
 */
export function pqxdhRespond(
  env: ProtocolEnv,
  version: SessionVersion,
  ours: IdentityKeyPair,
  ourDevice: DeviceId,
  keys: ResponderPreKeys,
  header: PqxdhHeader,
  knownIdentity?: PublicIdentity,
): SharedSecrets {
  checkIdentity(env, header.initiator, knownIdentity);
  if ((header.oneTimePreKeyId === null) !== (keys.oneTimePreKey === null)) {
    throw new ProtocolError('usage', 'one-time prekey presence does not match the message');
  }
  const c = env.crypto;
  const km = [
    c.x25519(keys.signedPreKey.privateKey, header.initiator.agreementKey), // DH1
    c.x25519(ours.agreement.privateKey, header.baseKey), // DH2
    c.x25519(keys.signedPreKey.privateKey, header.baseKey), // DH3
  ];
  if (keys.oneTimePreKey) km.push(c.x25519(keys.oneTimePreKey.privateKey, header.baseKey)); // DH4
  km.push(c.mlKemDecapsulate(header.kemCiphertext, keys.kemSecretKey)); // SS
  return kdf(
    env,
    version,
    km,
    associatedData(header.initiator, header.initiatorDevice, publicIdentity(ours), ourDevice),
  );
}

export interface SealedResponderResult {
  readonly secrets: SharedSecrets;
  /** The whole header, with the initiator's identity and device from the sealed sender. */
  readonly header: PqxdhHeader;
}

/**
 * Bob's side for a sealed initial message (docs/protocol-ratchet.md §6.5): DH2, DH3 and SS first,
 * which give K_seal and so the initiator's identity and device, then PQXDH as {@link pqxdhRespond}.
 */
export function pqxdhRespondSealed(
  env: ProtocolEnv,
  version: SessionVersion,
  ours: IdentityKeyPair,
  ourDevice: DeviceId,
  keys: ResponderPreKeys,
  sealed: SealedPqxdhHeader,
  knownIdentity?: PublicIdentity,
): SealedResponderResult {
  if ((sealed.oneTimePreKeyId === null) !== (keys.oneTimePreKey === null)) {
    throw new ProtocolError('usage', 'one-time prekey presence does not match the message');
  }
  const c = env.crypto;
  const dh2 = c.x25519(ours.agreement.privateKey, sealed.baseKey);
  const dh3 = c.x25519(keys.signedPreKey.privateKey, sealed.baseKey);
  const ss = c.mlKemDecapsulate(sealed.kemCiphertext, keys.kemSecretKey);
  const header = openSender(env, version, sealKey(env, dh2, dh3, ss), sealed);
  checkIdentity(env, header.initiator, knownIdentity);
  const km = [c.x25519(keys.signedPreKey.privateKey, header.initiator.agreementKey), dh2, dh3]; // DH1, DH2, DH3
  if (keys.oneTimePreKey) km.push(c.x25519(keys.oneTimePreKey.privateKey, sealed.baseKey)); // DH4
  km.push(ss);
  const ad = associatedData(header.initiator, header.initiatorDevice, publicIdentity(ours), ourDevice);
  return { secrets: kdf(env, version, km, ad), header };
}
