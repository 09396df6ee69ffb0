/**
 * Group write keys and their proofs (docs/server.md "Groups"; docs/protocol-groups.md). The home
 * server keeps a log per group and knows no member list: what lets a device post to the log, or
 * read it, is a proof by the group's **write key** of an epoch — an Ed25519 key pair every member
 * of that epoch derives from the MLS exporter (RFC 9420 §8.5):
 *
 *   seed     = MLS-Exporter("parley group write key", groupId, 32)
 *   writeKey = Ed25519 key pair from seed (RFC 8032 §5.1.5)
 *
 * The epoch-0 public key is registered when the group's log is created; each commit carries the
 * next epoch's public key. A proof answers a server challenge for one operation (§3.5.1: an HTTP
 * request's method, target and body digest, or a WebSocket frame's type) on one group, in one
 * epoch:
 *
 *   proof = Ed25519-Sign(writeKey_epoch, "Parley group v1" ‖ challenge (32) ‖ groupId (16) ‖ u64 epoch ‖ operation)
 *
 * The epoch is signed so that a proof names the key it was made with; a proof made for one group,
 * epoch, request or frame serves no other.
 *
 * @example
 * ```ts
 * const op = httpOperation(env, 'GET', `/v1/groups/${encodeWireBytes(groupId)}/messages?after=7`, new Uint8Array());
 * const proof = proveGroupAccess(env, writeKey.privateKey, groupId, 3, challenge, op);
 * checkGroupAccess(env, writeKey.publicKey, groupId, 3, challenge, op, proof); // true
 * ```
 */
import { utf8 } from './bytes.ts';
import { Writer } from './codec.ts';
import { CHALLENGE_BYTES } from './device-certificate.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import type { Operation } from './operation.ts';

/** Group ids are 16 random bytes chosen by the group's creator. */
export const GROUP_ID_BYTES = 16;

/** The MLS exporter label members derive each epoch's write key seed under (RFC 9420 §8.5). */
export const GROUP_WRITE_KEY_LABEL = 'parley group write key';

const GROUP_LABEL = utf8('Parley group v1');

/** A group id and an epoch as one proof subject: `groupId (16) ‖ u64 epoch` (24 bytes). */
export function groupProofSubject(groupId: Uint8Array, epoch: number): Uint8Array {
  if (groupId.length !== GROUP_ID_BYTES) throw new ProtocolError('decode', 'malformed group id');
  return new Writer(GROUP_ID_BYTES + 8).bytes(groupId).u53(epoch).finish();
}

function accessMessage(subject: Uint8Array, challenge: Uint8Array, operation: Operation): Uint8Array {
  if (subject.length !== GROUP_ID_BYTES + 8) throw new ProtocolError('decode', 'malformed group proof subject');
  if (challenge.length !== CHALLENGE_BYTES) throw new ProtocolError('decode', 'malformed challenge');
  return new Writer(GROUP_LABEL.length + CHALLENGE_BYTES + subject.length + operation.length)
    .bytes(GROUP_LABEL)
    .bytes(challenge)
    .bytes(subject)
    .bytes(operation)
    .finish();
}

/** A member answers a server challenge for one operation on one group with the epoch's write key. */
export function proveGroupAccess(
  env: ProtocolEnv,
  writePrivateKey: Uint8Array,
  groupId: Uint8Array,
  epoch: number,
  challenge: Uint8Array,
  operation: Operation,
): Uint8Array {
  return env.crypto.ed25519Sign(
    writePrivateKey,
    accessMessage(groupProofSubject(groupId, epoch), challenge, operation),
  );
}

/** Whether `proof` is the epoch's write key's answer to `challenge` for `operation` on the group. */
export function checkGroupAccess(
  env: ProtocolEnv,
  writeKey: Uint8Array,
  groupId: Uint8Array,
  epoch: number,
  challenge: Uint8Array,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return checkGroupAccessBySubject(env, writeKey, groupProofSubject(groupId, epoch), challenge, operation, proof);
}

/**
 * {@link checkGroupAccess} with the group id and epoch already encoded ({@link groupProofSubject}),
 * as the server's verifier thread receives them.
 */
export function checkGroupAccessBySubject(
  env: ProtocolEnv,
  writeKey: Uint8Array,
  subject: Uint8Array,
  challenge: Uint8Array,
  operation: Operation,
  proof: Uint8Array,
): boolean {
  return env.crypto.ed25519Verify(writeKey, accessMessage(subject, challenge, operation), proof);
}
