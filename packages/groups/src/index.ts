/**
 * @parley/groups: Parley's group engine, RFC 9420 (MLS) over ts-mls 1.6.4, with node:crypto and
 * @noble crypto providers. docs/protocol-groups.md.
 */
export { KEY_PACKAGE_SECRET_VERSION, STATE_VERSION } from './codec.ts';
export {
  bindLeafKey,
  CREDENTIAL_BYTES,
  CREDENTIAL_VERSION,
  decodeCredential,
  encodeCredential,
  type ParleyCredential,
  verifyCredential,
} from './credential.ts';
export {
  CIPHERSUITE_ID,
  CIPHERSUITE_NAME,
  makeCiphersuiteImpl,
  makeCryptoProvider,
} from './crypto/ciphersuite.ts';
export { defaultMlsPrimitives } from './crypto/default.ts';
export type { MlsPrimitives } from './crypto/primitives.ts';
export {
  type CommitResult,
  createGroupEngine,
  GROUP_ID_BYTES,
  type GroupEngine,
  type GroupEngineOptions,
  type GroupState,
  type Member,
  type MemberIdentity,
  PAD_UNTIL,
  type Processed,
  WRITE_KEY_LABEL,
} from './engine.ts';
export { GroupError, type GroupErrorCode } from './errors.ts';
