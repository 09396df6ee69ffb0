/**
 * The client's local stores, platform-neutral: the {@link RecordStore} interface, the memory
 * backend and encryption at rest over any backend. The SQLite backend and node:crypto for the
 * store are Node's (platform/node/).
 */
export {
  ENCRYPTED_STORE_VERSION,
  EncryptedRecordStore,
  type EncryptedStoreOptions,
  META_ID,
  META_KIND,
  SEALED_OVERHEAD,
} from './encrypted.ts';
export { MemoryRecordStore } from './memory.ts';
export { isValidRecordName, MAX_NAME_LENGTH } from './names.ts';
export {
  DEFAULT_SCRYPT_PARAMS,
  deriveStoreKey,
  isValidScryptParams,
  passphraseBytes,
  SCRYPT_SALT_BYTES,
  STORE_KEY_BYTES,
  scryptMaxmem,
} from './passphrase.ts';
export type { ListOptions, RecordStore, RecordWrite, StoredRecord } from './record-store.ts';
export {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type KdfProgress,
  type ScryptParams,
  type StoreCrypto,
} from './store-crypto.ts';
