/**
 * Proofs of ownership for objects that name no owner — mailboxes and contact addresses
 * (protocol §3.6–3.7) — and of the right to send into a mailbox. The request carries the object's
 * key's signature over a fresh, single-use challenge, the object id and the operation it
 * authorises (§3.5.1: the HTTP request, or the WebSocket frame, as the server received it):
 *
 *   Authorization: <Scheme> challenge=<32 bytes>, proof=<64 bytes>
 *
 * Every failure, an unknown object included, is the same 401, so a prober cannot tell which ids
 * exist. Only a valid proof consumes its challenge: a proof replayed on another operation fails
 * without spending the challenge, so the request it was made for still succeeds.
 */
import type { ApiDeps } from '../api-deps.ts';
import type { ChallengeStore } from '../storage/index.ts';
import { type SignatureKind, type SignatureVerifier, verifierOf } from '../verifier/delivery-verifier.ts';

/** Object ids are 16 random bytes. */
export const OBJECT_ID_BYTES = 16;

/** How to check ownership of one kind of object (mailbox or contact address). */
export interface Ownership {
  /** Checks the proof (on the verifier thread, if the server runs one). */
  readonly verifier: SignatureVerifier;
  readonly kind: Exclude<SignatureKind, 'delivery'>;
  readonly challenges: ChallengeStore;
  /** The object's public key, or null when there is no such object. */
  readonly keyOf: (id: Uint8Array) => Promise<Uint8Array | null>;
}

/** Mailboxes are owned through their recipient key (protocol §3.6). */
export function mailboxOwnership(deps: ApiDeps): Ownership {
  return {
    verifier: verifierOf(deps),
    kind: 'mailbox-access',
    challenges: deps.challenges,
    keyOf: async (id) => (await deps.mailboxes.getMailbox(id))?.recipientKey ?? null,
  };
}

/**
 * The right to write into a mailbox is proved through its sender key (protocol §3.6): not
 * ownership, but the same shape of proof, so it shares the check.
 */
export function sendingRight(deps: ApiDeps): Ownership {
  return {
    verifier: verifierOf(deps),
    kind: 'sending-right',
    challenges: deps.challenges,
    keyOf: async (id) => (await deps.mailboxes.getMailbox(id))?.senderKey ?? null,
  };
}

/** Contact addresses are owned through their owner key (protocol §3.7). */
export function addressOwnership(deps: ApiDeps): Ownership {
  return {
    verifier: verifierOf(deps),
    kind: 'address-ownership',
    challenges: deps.challenges,
    keyOf: async (id) => (await deps.addresses.getAddress(id))?.ownerKey ?? null,
  };
}

/**
 * Whether `proof` proves ownership of object `id` over `challenge` for `operation` (the encoded
 * operation the server is about to perform, protocol §3.5.1); a valid proof consumes the
 * challenge. The one check behind the HTTP middleware and WebSocket subscriptions.
 */
export async function provesOwnership(
  o: Ownership,
  id: Uint8Array,
  challenge: Uint8Array,
  operation: Uint8Array,
  proof: Uint8Array,
): Promise<boolean> {
  const key = await o.keyOf(id);
  return (
    key !== null &&
    (await o.verifier.check(o.kind, key, id, challenge, proof, operation)) &&
    (await o.challenges.consume(challenge))
  );
}
