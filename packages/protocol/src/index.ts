/**
 * @parley/protocol — Parley's pure protocol core. No I/O, no global mutable state; randomness,
 * time and the crypto backend come in through a {@link ProtocolEnv}. See docs/protocol.md.
 */
export * from './address.ts';
export * from './bundle.ts';
export { compareBytes, concatBytes, equalBytes, fromHex, toHex, utf8 } from './bytes.ts';
export { Reader, Writer } from './codec.ts';
export {
  type CryptoBackend,
  type KemEncapsulation,
  type KemKeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
} from './crypto/backend.ts';
export * from './device-certificate.ts';
export * from './device-list.ts';
export {
  MAX_CHAIN_LENGTH,
  MAX_SKIP,
  MAX_SKIPPED_CHAINS,
  MAX_SKIPPED_KEYS,
  type RatchetState,
  type SkippedChain,
} from './double-ratchet.ts';
export * from './env.ts';
export * from './errors.ts';
export * from './group-proof.ts';
export {
  accountIdOf,
  checkIdentity,
  encodeIdentity,
  generateIdentity,
  type IdentityKeyPair,
  PUBLIC_IDENTITY_BYTES,
  type PublicIdentity,
  publicIdentity,
  readIdentity,
  sameIdentity,
  verifyIdentity,
  writeIdentity,
} from './identity.ts';
export {
  decodeAnyInitialMessage,
  decodeInitialMessage,
  encodeInitialMessage,
  HEADER_DIGEST_BYTES,
  type InitialMessage,
  isInitialMessageFrame,
  type PlainInitialMessage,
  pqxdhHeaderDigest,
} from './initial-message.ts';
export type { Assembly, KemRatchet } from './kem-ratchet.ts';
export * from './keys.ts';
export * from './link-frames.ts';
export * from './link-handshake.ts';
export * from './mailbox-proof.ts';
export { RATCHET_OVERHEAD } from './message-v1.ts';
export { MAX_PLAINTEXT_V2, RATCHET_OVERHEAD_V2 } from './message-v2.ts';
export * from './operation.ts';
export { MAX_PADDED, MAX_PLAINTEXT, paddedLength } from './padding.ts';
export type { PqxdhHeader, SharedSecrets } from './pqxdh.ts';
export * from './prekey-grant.ts';
export * from './prekeys.ts';
export * from './safety-number.ts';
export {
  decodeSealedInitialMessage,
  encodeSealedInitialMessage,
  SEALED_SENDER_BYTES,
  type SealedInitialMessage,
  type SealedPqxdhHeader,
} from './sealed-initial-message.ts';
export * from './session.ts';
export * from './session-codec.ts';
export * from './socket-frames.ts';
export { LATEST_SESSION_VERSION, type SessionVersion, WIRE_VERSION, WireType } from './wire.ts';
export * from './wire-contract/index.ts';
