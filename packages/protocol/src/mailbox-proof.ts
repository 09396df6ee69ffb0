/**
 * Mailbox signatures (docs/protocol-identities.md §3.6). A mailbox carries two public keys and nothing that
 * names its owner: the *recipient key*, with which its owner proves the right to read, acknowledge
 * and delete, and the *sender key*, with which senders sign deliveries. The server checks both
 * signatures but learns no identity from either (sealed sender: the key is per mailbox, and is
 * shared only with the contacts the owner gives the mailbox to).
 *
 *   delivery = Ed25519-Sign(senderKey,    "Parley deliver v1" ‖ mailboxId (16) ‖ envelope)
 *   access   = Ed25519-Sign(recipientKey, "Parley mailbox v1" ‖ challenge (32) ‖ mailboxId (16))
 *   sending  = Ed25519-Sign(senderKey,    "Parley sending v1" ‖ challenge (32) ‖ mailboxId (16))
 *
 * A sending proof answers a server challenge on one WebSocket connection: it authorises every
 * delivery into that mailbox over that connection until it closes, so a sender that keeps a
 * connection open signs once instead of once per envelope (§3.6, docs/server.md "WebSocket").
 *
 * A contact address (§3.7) is owned the same way, under its own label so that a proof for one
 * kind of object can never serve for the other:
 *
 *   ownership = Ed25519-Sign(ownerKey, "Parley address v1" ‖ challenge (32) ‖ addressId (16))
 */
import { utf8 } from './bytes.ts';
import { Writer } from './codec.ts';
import { CHALLENGE_BYTES } from './device-certificate.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';

export const MAILBOX_ID_BYTES = 16;
const DELIVER_LABEL = utf8('Parley deliver v1');
const ACCESS_LABEL = utf8('Parley mailbox v1');
const ADDRESS_LABEL = utf8('Parley address v1');
const SENDING_LABEL = utf8('Parley sending v1');

function deliveryMessage(mailboxId: Uint8Array, envelope: Uint8Array): Uint8Array {
  if (mailboxId.length !== MAILBOX_ID_BYTES) throw new ProtocolError('decode', 'malformed mailbox id');
  return new Writer(DELIVER_LABEL.length + MAILBOX_ID_BYTES + envelope.length)
    .bytes(DELIVER_LABEL)
    .bytes(mailboxId)
    .bytes(envelope)
    .finish();
}

function accessMessage(label: Uint8Array, id: Uint8Array, challenge: Uint8Array): Uint8Array {
  if (id.length !== MAILBOX_ID_BYTES) throw new ProtocolError('decode', 'malformed mailbox or address id');
  if (challenge.length !== CHALLENGE_BYTES) throw new ProtocolError('decode', 'malformed challenge');
  return new Writer(80).bytes(label).bytes(challenge).bytes(id).finish();
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

/** The owner answers a server challenge for one mailbox with its recipient private key. */
export function proveMailboxAccess(
  env: ProtocolEnv,
  recipientPrivateKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
): Uint8Array {
  return env.crypto.ed25519Sign(recipientPrivateKey, accessMessage(ACCESS_LABEL, mailboxId, challenge));
}

export function checkMailboxAccess(
  env: ProtocolEnv,
  recipientKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(recipientKey, accessMessage(ACCESS_LABEL, mailboxId, challenge), proof);
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
): Uint8Array {
  return env.crypto.ed25519Sign(senderPrivateKey, accessMessage(SENDING_LABEL, mailboxId, challenge));
}

export function checkSendingRight(
  env: ProtocolEnv,
  senderKey: Uint8Array,
  mailboxId: Uint8Array,
  challenge: Uint8Array,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(senderKey, accessMessage(SENDING_LABEL, mailboxId, challenge), proof);
}

/** The owner of a contact address answers a server challenge with the address's owner key. */
export function proveAddressOwnership(
  env: ProtocolEnv,
  ownerPrivateKey: Uint8Array,
  addressId: Uint8Array,
  challenge: Uint8Array,
): Uint8Array {
  return env.crypto.ed25519Sign(ownerPrivateKey, accessMessage(ADDRESS_LABEL, addressId, challenge));
}

export function checkAddressOwnership(
  env: ProtocolEnv,
  ownerKey: Uint8Array,
  addressId: Uint8Array,
  challenge: Uint8Array,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(ownerKey, accessMessage(ADDRESS_LABEL, addressId, challenge), proof);
}
