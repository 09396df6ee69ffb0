/**
 * Contact requests left at a contact address (docs/client.md §3, §4.2): the requester signs the
 * request body with its identity key; the owner accepts the PQXDH initial message that carries
 * it, checks the signature against the identity PQXDH authenticated and that the request names
 * its own address, and keeps it as a pending request. Pure: the driver loads the prekeys the
 * initial message names and commits the request with the writes that consume them.
 */
import {
  concatBytes,
  encodeIdentity,
  encodeSession,
  equalBytes,
  type InitialMessage,
  type ProtocolEnv,
  utf8,
} from '@parley/protocol';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { acceptNewSession, type ResponderKeySet } from './conversation.ts';
import type { NewId } from './id-sequence.ts';
import { decodeRequestBody, encodeRequestBody, mailboxOf, type OutgoingPayload } from './payload.ts';
import { type OwnMailbox, type ProfileRecord, peerMailboxOf, type RequestRecord } from './records.ts';

const REQUEST_LABEL = utf8('Parley contact request v1');

/** The signed `request` payload asking the owner of `addressId` to reach us at `myMailbox`. */
export function requestPayload(
  env: ProtocolEnv,
  profile: ProfileRecord,
  addressId: Uint8Array,
  message: string,
  myMailbox: OwnMailbox,
): OutgoingPayload {
  const body = encodeRequestBody({
    addressId,
    name: profile.displayName,
    message,
    mailbox: peerMailboxOf(profile.server, myMailbox),
  });
  const signature = env.crypto.ed25519Sign(profile.identity.signing.privateKey, concatBytes(REQUEST_LABEL, body));
  return { t: 'request', body, signature };
}

export interface OpenedRequest {
  readonly record: RequestRecord;
  /** Consumes the prekeys the initial message used: commit with the record. */
  readonly writes: RecordWrite[];
}

/**
 * Opens a request left at our address `addressId`; throws `bad-message` unless it is an
 * authentic request for this address.
 *
 * @example
 * ```ts
 * const initial = tryInitialMessage(bytes); // null: not a request
 * const { record, writes } = openRequest(env, profile, address.id, initial, keys, receivedAt, newId);
 * ```
 */
export function openRequest(
  env: ProtocolEnv,
  profile: ProfileRecord,
  addressId: Uint8Array,
  initial: InitialMessage,
  keys: ResponderKeySet,
  receivedAt: number,
  newId: NewId,
): OpenedRequest {
  const bad = () => new ClientError('bad-message', 'A contact request could not be read.');
  const accepted = acceptNewSession(env, profile, initial, keys);
  const p = accepted.payload;
  if (p.t !== 'request') throw bad();
  const body = new TextEncoder().encode(p.body);
  const signer = accepted.session.remoteIdentity.signingKey;
  if (!env.crypto.ed25519Verify(signer, concatBytes(REQUEST_LABEL, body), p.signature)) throw bad();
  const inner = decodeRequestBody(p.body);
  // A request names the address it was made for, so it cannot be replayed to another one.
  if (!equalBytes(inner.addressId, addressId)) throw bad();
  return {
    record: {
      v: 2,
      id: newId(),
      name: inner.name || 'someone',
      message: inner.message,
      receivedAt,
      identity: encodeIdentity(accepted.session.remoteIdentity),
      device: accepted.session.remoteDevice,
      theirMailbox: mailboxOf(inner.mailbox),
      session: encodeSession(accepted.session),
    },
    writes: accepted.writes,
  };
}
