/**
 * The client's local stores: the {@link RecordStore} interface, its backends (memory, SQLite) and
 * encryption at rest over any of them.
 *
 * `sqlite.ts` and `node-crypto.ts` need Node (better-sqlite3, node:crypto); a browser build
 * imports the platform-neutral modules (record-store, memory, encrypted, passphrase,
 * store-crypto, names) directly instead of this index.
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
export { nodeStoreCrypto } from './node-crypto.ts';
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
  SQLITE_APPLICATION_ID,
  SQLITE_SCHEMA_VERSION,
  type SqliteOpenOptions,
  SqliteRecordStore,
} from './sqlite.ts';
export {
  AES_GCM_KEY_BYTES,
  AES_GCM_NONCE_BYTES,
  AES_GCM_TAG_BYTES,
  type ScryptParams,
  type StoreCrypto,
} from './store-crypto.ts';
