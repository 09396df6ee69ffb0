/**
 * Mailbox signatures (docs/protocol-identities.md §3.6). A mailbox carries two public keys and nothing that
 * names its owner: the *recipient key*, with which its owner proves the right to read, acknowledge
 * and delete, and the *sender key*, with which senders sign deliveries. The server checks both
 * signatures but learns no identity from either (sealed sender: the key is per mailbox, and is
 * shared only with the contacts the owner gives the mailbox to).
 *
 *   delivery = Ed25519-Sign(senderKey,    "Parley deliver v1" ‖ mailboxId (16) ‖ envelope)
 *   access   = Ed25519-Sign(recipientKey, "Parley mailbox v2" ‖ challenge (32) ‖ mailboxId (16) ‖ operation)
 *   sending  = Ed25519-Sign(senderKey,    "Parley sending v2" ‖ challenge (32) ‖ mailboxId (16) ‖ operation)
 *
 * Each proof signs the one operation it authorises (operation.ts, §3.5.1): an HTTP request's
 * method, target and body digest, or a WebSocket frame's type, so that a proof made to read
 * cannot be spent to acknowledge, delete or subscribe.
 *
 * A sending proof answers a server challenge in an `authorize` frame on one WebSocket
 * connection: it authorises every delivery into that mailbox over that connection until it
 * closes, so a sender that keeps a connection open signs once instead of once per envelope
 * (§3.6, docs/server.md "WebSocket").
 *
 * A contact address (§3.7) is owned the same way, under its own label so that a proof for one
 * kind of object can never serve for the other:
 *
 *   ownership = Ed25519-Sign(ownerKey, "Parley address v2" ‖ challenge (32) ‖ addressId (16) ‖ operation)
 */
import { utf8 } from './bytes.ts';
import { Writer } from './codec.ts';
import { CHALLENGE_BYTES } from './device-certificate.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import type { Operation } from './operation.ts';

export const MAILBOX_ID_BYTES = 16;
const DELIVER_LABEL = utf8('Parley deliver v1');
const ACCESS_LABEL = utf8('Parley mailbox v2');
const ADDRESS_LABEL = utf8('Parley address v2');
const SENDING_LABEL = utf8('Parley sending v2');

function deliveryMessage(mailboxId: Uint8Array, envelope: Uint8Array): Uint8Array {
  if (mailboxId.length !== MAILBOX_ID_BYTES) throw new ProtocolError('decode', 'malformed mailbox id');
  return new Writer(DELIVER_LABEL.length + MAILBOX_ID_BYTES + envelope.length)
    .bytes(DELIVER_LABEL)
    .bytes(mailboxId)
    .bytes(envelope)
    .finish();
}

function accessMessage(label: Uint8Array, id: Uint8Array, challenge: Uint8Array, operation: Operation): Uint8Array {
  if (id.length !== MAILBOX_ID_BYTES) throw new ProtocolError('decode', 'malformed mailbox or address id');
  if (challenge.length !== CHALLENGE_BYTES) throw new ProtocolError('decode', 'malformed challenge');
  return new Writer(65 + operation.length).bytes(label).bytes(challenge).bytes(id).bytes(operation).finish();
}

/** A sender signs an envelope for one mailbox with that mailbox's sender private key. */
export function signDelivery(
  env: ProtocolEnv,
  senderPrivateKey: Uint8Array,
  mailboxId: Uint8Array,
  envelope: Uint8Array,
): Uint8Array {
  return env.crypto.ed25519Sign(senderPrivateKey, deliveryMessage(mailboxId, envelope));
}

export function checkDelivery(
  env: ProtocolEnv,
  senderKey: Uint8Array,
  mailboxId: Uint8Array,
  envelope: Uint8Array,
  signature: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(senderKey, deliveryMessage(mailboxId, envelope), signature);
}

/** The owner answers a server challenge for one operation on one mailbox with its recipient private key. */
export function proveMailboxAccess(
  env: ProtocolEnv,
  recipientPrivateKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
): Uint8Array {
  return env.crypto.ed25519Sign(recipientPrivateKey, accessMessage(ACCESS_LABEL, mailboxId, challenge, operation));
}

export function checkMailboxAccess(
  env: ProtocolEnv,
  recipientKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(recipientKey, accessMessage(ACCESS_LABEL, mailboxId, challenge, operation), proof);
}

/**
 * A sender answers a server challenge for one mailbox with that mailbox's sender private key,
 * authorising its deliveries over the connection the challenge was issued on.
 */
export function proveSendingRight(
  env: ProtocolEnv,
  senderPrivateKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
): Uint8Array {
  return env.crypto.ed25519Sign(senderPrivateKey, accessMessage(SENDING_LABEL, mailboxId, challenge, operation));
}

export function checkSendingRight(
  env: ProtocolEnv,
  senderKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(senderKey, accessMessage(SENDING_LABEL, mailboxId, challenge, operation), proof);
}

/** The owner of a contact address answers a server challenge with the address's owner key. */
export function proveAddressOwnership(
  env: ProtocolEnv,
  ownerPrivateKey: Uint8Array,
  addressId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
): Uint8Array {
  return env.crypto.ed25519Sign(ownerPrivateKey, accessMessage(ADDRESS_LABEL, addressId, challenge, operation));
}

export function checkAddressOwnership(
  env: ProtocolEnv,
  ownerKey: Uint8Array,
  addressId: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(ownerKey, accessMessage(ADDRESS_LABEL, addressId, challenge, operation), proof);
}
