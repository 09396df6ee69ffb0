/**
 * A 1:1 session between two devices (docs/protocol-ratchet.md §7): PQXDH to start, the header-encrypted
 * Double Ratchet after, and in version 2 the KEM ratchet beside it (§13). A new session takes the
 * version its bundle advertises (§13.1; `encodeBundle` writes 2 by default); a saved version 1
 * session stays version 1. Pure functions: state in, state out; nothing is mutated, so a caller
 * that persists the returned session only after a successful step can never be left half-updated.
 *
 * @example
 * ```ts
 * const alice = createInitiatorSession(env, aliceId, deviceId(1), bundleOfBob);
 * const sent = encryptMessage(env, alice, utf8('hi'));        // sent.message → the network
 * const got = acceptInitialMessage(env, bobId, deviceId(1), decodeInitialMessage(sent.message), bobKeys);
 * got.plaintext; // 'hi'; got.consumed tells Bob which prekeys to delete
 * ```
 */
import type { DeviceId } from './address.ts';
import type { PreKeyBundle } from './bundle.ts';
import { equalBytes } from './bytes.ts';
import {
  canSend,
  initInitiator,
  initResponder,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
} from './double-ratchet.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { type IdentityKeyPair, type PublicIdentity, sameIdentity } from './identity.ts';
import {
  decodeInitialMessage,
  encodeInitialMessage,
  headerDigestOf,
  type InitialMessage,
  pqxdhHeaderDigest,
} from './initial-message.ts';
import { type PqxdhHeader, pqxdhInitiate, pqxdhRespond, pqxdhRespondSealed, type SharedSecrets } from './pqxdh.ts';
import type { KemPreKey, OneTimePreKey, SignedPreKey } from './prekeys.ts';
import {
  decodeSealedInitialMessage,
  encodeSealedInitialMessage,
  sealedHeaderBytes,
  sealSender,
} from './sealed-initial-message.ts';
import { LATEST_SESSION_VERSION, type SessionVersion, WireType } from './wire.ts';

export interface Session {
  /** The peer's identity, as authenticated by PQXDH. */
  readonly remoteIdentity: PublicIdentity;
  readonly remoteDevice: DeviceId;
  /** Our own device id (bound into the associated data). */
  readonly localDevice: DeviceId;
  /** AD = Encode(IK_A) ‖ u32 device_A ‖ Encode(IK_B) ‖ u32 device_B, bound into every message. */
  readonly associatedData: Uint8Array;
  /** EK_A: names the PQXDH run this session came from, on both sides. */
  readonly baseKey: Uint8Array;
  /** Initiator only: PQXDH fields attached to every message until the first reply arrives. */
  readonly pending: PqxdhHeader | null;
  /**
   * The digest of the PQXDH header this session was created from ({@link pqxdhHeaderDigest}): a
   * repeated initial message must carry exactly that header (docs/protocol-identities.md §6.1).
   * Null on the initiator's side, and in a responder's state saved before the digest was recorded
   * (§8): there only the base key, the identity and the device of a repeated header are compared.
   */
  readonly headerDigest: Uint8Array | null;
  readonly ratchet: RatchetState;
}

/**
 * Starts a session with the owner of `bundle` (PQXDH §3.3 + RatchetInitAliceHE). `knownIdentity`
 * is the identity the caller pinned for this contact, if any (see {@link pqxdhInitiate}).
 */
export interface InitiatorOptions {
  /**
   * Send sealed initial messages (docs/protocol-ratchet.md §6.5): the identity and device are
   * encrypted to the responder, so the server storing them cannot tell who wrote. Clients send
   * only sealed ones; plain ones (§6.1) remain for the vectors and peers that predate §6.5.
   */
  readonly sealed?: boolean;
}

export function createInitiatorSession(
  env: ProtocolEnv,
  ours: IdentityKeyPair,
  ourDevice: DeviceId,
  bundle: PreKeyBundle,
  knownIdentity?: PublicIdentity,
  options: InitiatorOptions = {},
): Session {
  // §13.1: the session version is the one the bundle advertises.
  const version = bundle.version ?? LATEST_SESSION_VERSION;
  const initiated = pqxdhInitiate(env, version, ours, ourDevice, bundle, knownIdentity);
  const { secrets } = initiated;
  const header: PqxdhHeader = options.sealed
    ? { ...initiated.header, sealedSender: sealSender(env, version, initiated.sealKey, initiated.header) }
    : initiated.header;
  return {
    remoteIdentity: bundle.identity,
    remoteDevice: bundle.deviceId,
    localDevice: ourDevice,
    associatedData: secrets.associatedData,
    baseKey: header.baseKey,
    pending: header,
    // The initiator keeps its whole header in `pending`; it never receives one of its own.
    headerDigest: null,
    ratchet: initInitiator(
      env,
      version,
      secrets.rootKey,
      bundle.signedPreKey.publicKey,
      secrets.headerKeyA,
      secrets.nextHeaderKeyB,
    ),
  };
}

export interface SessionEncryptResult {
  readonly session: Session;
  /** An initial message while the session is pending, a ratchet message after. */
  readonly message: Uint8Array;
}

/** Pads and encrypts one plaintext (Double Ratchet §4.5 RatchetEncryptHE). */
export function encryptMessage(env: ProtocolEnv, session: Session, plaintext: Uint8Array): SessionEncryptResult {
  const { state, message } = ratchetEncrypt(env, session.ratchet, plaintext, session.associatedData);
  const next = { ...session, ratchet: state };
  const pending = session.pending;
  if (pending === null) return { session: next, message };
  const version = state.version;
  if (pending.sealedSender !== undefined) {
    const header = { ...pending, sealedSender: pending.sealedSender };
    return {
      session: next,
      message: encodeSealedInitialMessage({ version, sealed: true, header, ratchetMessage: message }),
    };
  }
  return { session: next, message: encodeInitialMessage({ version, header: pending, ratchetMessage: message }) };
}

/** The session's wire version (docs/protocol-v2.md §13.1): 2 for sessions with the KEM ratchet. */
export function sessionVersion(session: Session): SessionVersion {
  return session.ratchet.version;
}

export interface SessionDecryptResult {
  readonly session: Session;
  readonly plaintext: Uint8Array;
}

/**
 * Decrypts a message of an established session: a ratchet message, or an initial message that
 * belongs to this session (same base key) — the initiator repeats its PQXDH fields until it hears
 * back. Any failure throws and leaves `session` untouched.
 */
export function decryptMessage(env: ProtocolEnv, session: Session, message: Uint8Array): SessionDecryptResult {
  let ratchetMessage = message;
  if (message.length > 1 && message[1] === WireType.initialMessage) {
    const { version, header, ratchetMessage: inner } = decodeInitialMessage(message);
    if (
      (version ?? 1) !== session.ratchet.version ||
      !equalBytes(header.baseKey, session.baseKey) ||
      !sameIdentity(header.initiator, session.remoteIdentity) ||
      header.initiatorDevice !== session.remoteDevice
    ) {
      throw new ProtocolError('wrong-session', 'initial message belongs to another session');
    }
    // §6.1: every field of a repeated header is bound, not only those that name the session.
    if (session.headerDigest !== null && !equalBytes(pqxdhHeaderDigest(env, header), session.headerDigest)) {
      throw new ProtocolError('wrong-session', 'initial message differs from the one that started the session');
    }
    ratchetMessage = inner;
  } else if (message.length > 1 && message[1] === WireType.sealedInitialMessage) {
    // §6.5: a repeat of the sealed header this session came from, byte for byte (its digest).
    const { version, header, ratchetMessage: inner } = decodeSealedInitialMessage(message);
    if (
      version !== session.ratchet.version ||
      !equalBytes(header.baseKey, session.baseKey) ||
      session.headerDigest === null ||
      !equalBytes(headerDigestOf(env, sealedHeaderBytes(version, header)), session.headerDigest)
    ) {
      throw new ProtocolError('wrong-session', 'initial message belongs to another session');
    }
    ratchetMessage = inner;
  }
  const { state, plaintext } = ratchetDecrypt(env, session.ratchet, ratchetMessage, session.associatedData);
  // Any authentic message from the peer proves it has the session: stop attaching PQXDH fields.
  return { session: { ...session, ratchet: state, pending: null }, plaintext };
}

/** The responder's private prekeys named by an initial message (ids must match it). */
export interface ResponderKeys {
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKey: OneTimePreKey | null;
  readonly kemPreKey: KemPreKey;
}

export interface AcceptOptions {
  /**
   * The identity the caller expects this sender to have, if any: the message must come from it
   * (`identity-mismatch` otherwise), and its certificate is not verified again.
   */
  readonly knownIdentity?: PublicIdentity;
  /**
   * Required when the KEM prekey is a last-resort key: whether this (KEM prekey id, base key)
   * pair was accepted before. A last-resort key may be used many times, so the responder must
   * refuse the same base key twice (replay; X3DH §4.2–4.3, PQXDH security considerations).
   */
  readonly isBaseKeyUsed?: (kemPreKeyId: number, baseKey: Uint8Array) => boolean;
}

/** What the caller must record atomically with the new session. */
export interface ConsumedPreKeys {
  /** Delete this one-time X25519 prekey. */
  readonly oneTimePreKeyId: number | null;
  /** Delete this one-time KEM prekey (null when a last-resort key was used). */
  readonly kemPreKeyId: number | null;
  /** Remember this base key for the last-resort KEM prekey, to refuse replays. */
  readonly lastResortBaseKey: { readonly kemPreKeyId: number; readonly baseKey: Uint8Array } | null;
}

export interface AcceptResult {
  readonly session: Session;
  readonly plaintext: Uint8Array;
  readonly consumed: ConsumedPreKeys;
}

/**
 * Bob's side: runs PQXDH from an initial message, starts the ratchet and decrypts the embedded
 * message. Nothing is returned unless the message decrypts, so the caller deletes prekeys only for
 * an authentic message.
 */
export function acceptInitialMessage(
  env: ProtocolEnv,
  ours: IdentityKeyPair,
  ourDevice: DeviceId,
  message: InitialMessage,
  keys: ResponderKeys,
  options: AcceptOptions = {},
): AcceptResult {
  const h = message.header;
  if (
    keys.signedPreKey.id !== h.signedPreKeyId ||
    keys.kemPreKey.id !== h.kemPreKeyId ||
    (keys.oneTimePreKey?.id ?? null) !== h.oneTimePreKeyId
  ) {
    throw new ProtocolError('usage', 'prekeys do not match the initial message');
  }
  if (keys.kemPreKey.lastResort) {
    if (options.isBaseKeyUsed === undefined) throw new ProtocolError('usage', 'isBaseKeyUsed is required');
    if (options.isBaseKeyUsed(h.kemPreKeyId, h.baseKey)) {
      throw new ProtocolError('replayed-initial-message', 'initial message was already accepted');
    }
  }
  const version = message.version ?? 1;
  const prekeys = {
    signedPreKey: keys.signedPreKey.keyPair,
    oneTimePreKey: keys.oneTimePreKey?.keyPair ?? null,
    kemSecretKey: keys.kemPreKey.keyPair.secretKey,
  };
  let secrets: SharedSecrets;
  let full: PqxdhHeader;
  let headerDigest: Uint8Array;
  if (message.sealed === true) {
    // §6.5: the sender is known only once the seal opens.
    const r = pqxdhRespondSealed(env, version, ours, ourDevice, prekeys, message.header, options.knownIdentity);
    secrets = r.secrets;
    full = r.header;
    headerDigest = headerDigestOf(env, sealedHeaderBytes(message.version, message.header));
  } else {
    secrets = pqxdhRespond(env, version, ours, ourDevice, prekeys, message.header, options.knownIdentity);
    full = message.header;
    headerDigest = pqxdhHeaderDigest(env, full);
  }
  const ratchet = initResponder(
    version,
    secrets.rootKey,
    keys.signedPreKey.keyPair,
    secrets.headerKeyA,
    secrets.nextHeaderKeyB,
  );
  const { state, plaintext } = ratchetDecrypt(env, ratchet, message.ratchetMessage, secrets.associatedData);
  return {
    session: {
      remoteIdentity: full.initiator,
      remoteDevice: full.initiatorDevice,
      localDevice: ourDevice,
      associatedData: secrets.associatedData,
      baseKey: h.baseKey,
      pending: null,
      headerDigest,
      ratchet: state,
    },
    plaintext,
    consumed: {
      oneTimePreKeyId: h.oneTimePreKeyId,
      kemPreKeyId: keys.kemPreKey.lastResort ? null : h.kemPreKeyId,
      lastResortBaseKey: keys.kemPreKey.lastResort ? { kemPreKeyId: h.kemPreKeyId, baseKey: h.baseKey } : null,
    },
  };
}

/** Whether this session can send now (a responder can only after it has received). */
export function sessionCanSend(session: Session): boolean {
  return canSend(session.ratchet);
}
