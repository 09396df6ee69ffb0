/**
 * The pure part of a conversation: sealing payloads into envelopes and opening envelopes that
 * arrived on our mailboxes, over records in and records out (no I/O). The driver (client.ts)
 * loads what an envelope needs first — the prekeys an initial message names — and commits what
 * comes out in one batch, so protocol state and history change together or not at all.
 */
import {
  acceptInitialMessage,
  compareBytes,
  decodeAnyInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeIdentity,
  encodeSession,
  encryptMessage,
  equalBytes,
  type InitialMessage,
  isInitialMessageFrame,
  type KemPreKey,
  type OneTimePreKey,
  type ProtocolEnv,
  ProtocolError,
  type Session,
  type SignedPreKey,
} from '@parley/protocol';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { decodePayload, encodePayload, type OutgoingPayload, type Payload } from './payload.ts';
import { type DeviceRecord, del, keyId, type Peer, type ProfileRecord, put } from './records.ts';

/** How many replaced sessions stay available for decrypting late messages. */
export const MAX_PREVIOUS_SESSIONS = 3;

/** Plain (protocol §6.1) or sealed (§6.5): clients send only sealed ones, and read both. */
export function isInitialMessage(envelope: Uint8Array): boolean {
  return isInitialMessageFrame(envelope);
}

/** Decodes an initial message, or null when the bytes are not one (or are malformed). */
export function tryInitialMessage(envelope: Uint8Array): InitialMessage | null {
  if (!isInitialMessage(envelope)) return null;
  try {
    return decodeAnyInitialMessage(envelope);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}

/** The private prekeys an initial message names, as loaded by the driver. */
export interface ResponderKeySet {
  readonly signed: SignedPreKey | undefined;
  readonly oneTime: OneTimePreKey | null | undefined;
  readonly kem: KemPreKey | undefined;
  readonly baseKeyUsed: boolean;
}

export interface Accepted {
  readonly session: Session;
  readonly payload: Payload;
  /** Deletes the used one-time prekeys / records a last-resort base key: commit with the session. */
  readonly writes: RecordWrite[];
}

/** Bob's side of PQXDH for a message that starts a new session; throws `bad-message` when it fails. */
export function acceptNewSession(
  env: ProtocolEnv,
  profile: ProfileRecord,
  message: InitialMessage,
  keys: ResponderKeySet,
): Accepted {
  const { signed, oneTime, kem } = keys;
  if (signed === undefined || kem === undefined || oneTime === undefined) {
    throw new ClientError('bad-message', 'A message names keys this device does not have (any more).');
  }
  try {
    const r = acceptInitialMessage(
      env,
      profile.identity,
      deviceId(profile.device),
      message,
      { signedPreKey: signed, oneTimePreKey: oneTime, kemPreKey: kem },
      { isBaseKeyUsed: () => keys.baseKeyUsed },
    );
    const writes: RecordWrite[] = [];
    if (r.consumed.oneTimePreKeyId !== null) writes.push(del('otpk', keyId(r.consumed.oneTimePreKeyId)));
    if (r.consumed.kemPreKeyId !== null) writes.push(del('kempk', keyId(r.consumed.kemPreKeyId)));
    if (r.consumed.lastResortBaseKey !== null) {
      const { kemPreKeyId, baseKey } = r.consumed.lastResortBaseKey;
      writes.push(put('lrused', lastResortKey(kemPreKeyId, baseKey), 1));
    }
    return { session: r.session, payload: decodePayload(r.plaintext), writes };
  } catch (e) {
    if (e instanceof ProtocolError)
      throw new ClientError('bad-message', 'A message could not be decrypted.', { cause: e });
    throw e;
  }
}

export function lastResortKey(kemPreKeyId: number, baseKey: Uint8Array): string {
  return `${keyId(kemPreKeyId)}.${Array.from(baseKey, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export type Opened =
  /** Decrypted with a session we had. */
  | { readonly kind: 'message'; readonly peer: Peer; readonly payload: Payload }
  /** The peer started a new session (reset, reinstall, or both sides at once). */
  | {
      readonly kind: 'new-session';
      readonly peer: Peer;
      readonly payload: Payload;
      readonly writes: RecordWrite[];
      readonly identityChanged: boolean;
      /** The session the peer started, alone (`peer` has it installed among the device's). */
      readonly accepted: Session;
    }
  /** Already decrypted once (a redelivery or replay): nothing to do. */
  | { readonly kind: 'duplicate' }
  /** Authentic or not, no session of ours opens it. */
  | { readonly kind: 'undecryptable' };

/** The device's sessions, current first; none while an intro is pending (an empty session). */
function sessionsOf(d: DeviceRecord): Session[] {
  return [d.session, ...d.previousSessions].filter((s) => s.length > 0).map(decodeSession);
}

function withSessions(d: DeviceRecord, current: Session, others: readonly Session[]): DeviceRecord {
  return {
    ...d,
    session: encodeSession(current),
    previousSessions: others.slice(0, MAX_PREVIOUS_SESSIONS).map(encodeSession),
  };
}

/** Whether an initial message continues one of our sessions with a device (the initiator repeats its header). */
export function continuesSession(d: DeviceRecord, m: InitialMessage): boolean {
  return sessionsOf(d).some((s) => equalBytes(s.baseKey, m.header.baseKey));
}

/**
 * Opens an envelope that arrived on the mailbox of a contact's device. `keys` is needed only for
 * an initial message that starts a new session (see {@link continuesSession}); pass null otherwise.
 */
export function openFromPeer(
  env: ProtocolEnv,
  profile: ProfileRecord,
  peer: Peer,
  envelope: Uint8Array,
  keys: ResponderKeySet | null,
): Opened {
  const sessions = sessionsOf(peer.device);
  const initial = tryInitialMessage(envelope);
  if (initial !== null && !continuesSession(peer.device, initial)) {
    if (keys === null) return { kind: 'undecryptable' };
    let accepted: Accepted;
    try {
      accepted = acceptNewSession(env, profile, initial, keys);
    } catch (e) {
      if (ClientError.is(e, 'bad-message') && ProtocolError.is(e.cause, 'replayed-initial-message')) {
        return { kind: 'duplicate' };
      }
      if (ClientError.is(e, 'bad-message')) return { kind: 'undecryptable' };
      throw e;
    }
    return adoptSession(peer, sessions, accepted);
  }
  let duplicate = false;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i] as Session;
    try {
      const { session, plaintext } = decryptMessage(env, s, envelope);
      const next = sessions.slice();
      next[i] = session;
      const [current, ...others] = next as [Session, ...Session[]];
      const device = withSessions(peer.device, current, others);
      return { kind: 'message', peer: { ...peer, device }, payload: decodePayload(plaintext) };
    } catch (e) {
      if (ClientError.is(e, 'bad-message')) return { kind: 'undecryptable' };
      if (!(e instanceof ProtocolError)) throw e;
      if (e.code === 'duplicate-message') duplicate = true;
    }
  }
  return duplicate ? { kind: 'duplicate' } : { kind: 'undecryptable' };
}

/**
 * Installs a session the peer started. With the same identity it replaces ours — unless we also
 * started one that the peer has not answered yet (both sides at once): then both sides keep the
 * session with the smaller base key and keep the other for decryption only, so they converge
 * without another round trip. A different identity is installed but flagged for the user.
 */
function adoptSession(peer: Peer, sessions: Session[], accepted: Accepted): Opened {
  const { contact } = peer;
  const theirs = accepted.session;
  const ours = sessions[0];
  const identity = encodeIdentity(theirs.remoteIdentity);
  const identityChanged = !equalBytes(identity, contact.identity);
  let current = theirs;
  let others = sessions;
  if (
    !identityChanged &&
    ours !== undefined &&
    ours.pending !== null &&
    compareBytes(ours.baseKey, theirs.baseKey) < 0
  ) {
    current = ours;
    others = [theirs, ...sessions.slice(1)];
  }
  const next: Peer = {
    contact: {
      ...contact,
      identity,
      replacedIdentity: identityChanged ? (contact.replacedIdentity ?? contact.identity) : contact.replacedIdentity,
    },
    device: { ...withSessions(peer.device, current, others), device: theirs.remoteDevice },
  };
  return {
    kind: 'new-session',
    peer: next,
    payload: accepted.payload,
    writes: accepted.writes,
    identityChanged,
    accepted: theirs,
  };
}

/** Encrypts a payload with the device's current session. */
export function seal(
  env: ProtocolEnv,
  device: DeviceRecord,
  payload: OutgoingPayload,
): { device: DeviceRecord; envelope: Uint8Array } {
  const { session, message } = encryptMessage(env, decodeSession(device.session), encodePayload(payload));
  return { device: { ...device, session: encodeSession(session) }, envelope: message };
}

/** Makes `session` the one we send with, keeping the old ones for late messages. */
export function replaceSession(device: DeviceRecord, session: Session): DeviceRecord {
  return withSessions(device, session, sessionsOf(device));
}
