/**
 * The server's storage layer: one schema and one query layer (Kysely) over SQLite and
 * PostgreSQL, and a narrow store per kind of record.
 */
export { type AccountRecord, type AccountStore, type AccountStoreOptions, SqlAccountStore } from './account-store.ts';
export {
  type ChallengeStore,
  type ChallengeStoreOptions,
  MAX_LIVE_CHALLENGES,
  MemoryChallengeStore,
  type MemoryChallengeStoreOptions,
  SqlChallengeStore,
} from './challenge-store.ts';
export {
  type AddRequestOptions,
  type AddRequestResult,
  CONTACT_ADDRESS_ID_BYTES,
  CONTACT_TOKEN_HASH_BYTES,
  type ContactAddressRecord,
  type ContactAddressStore,
  type ContactAddressStoreOptions,
  type ContactRequest,
  type ListRequestsOptions,
  MAX_LIST_REQUESTS_LIMIT,
  SqlContactAddressStore,
} from './contact-address-store.ts';
export { type Database, type DatabaseTarget, type OpenOptions, openDatabase } from './database.ts';
export {
  type DeviceListStore,
  type DeviceListStoreOptions,
  type DeviceListUpdate,
  type PutDeviceListResult,
  SqlDeviceListStore,
  type StoredDeviceList,
} from './device-list-store.ts';
export {
  DEFAULT_MAX_DEVICES,
  type DeviceCredentials,
  type DeviceRecord,
  type DeviceStore,
  type DeviceStoreOptions,
  SqlDeviceStore,
} from './device-store.ts';
export type { Dialect } from './dialect.ts';
export { StorageError, type StorageErrorCode } from './errors.ts';
export {
  DEFAULT_GROUP_RETENTION,
  type GroupAccess,
  type GroupEntry,
  type GroupEntryKind,
  type GroupRetention,
  type GroupStore,
  type GroupStoreOptions,
  type NewGroupEntry,
  type PostResult,
  SqlGroupStore,
} from './group-store.ts';
export {
  type DeviceKeyPackage,
  type KeyPackageCounts,
  type KeyPackageStore,
  SqlKeyPackageStore,
} from './key-package-store.ts';
export {
  type EnqueueOptions,
  type EnqueueResult,
  type FetchOptions,
  MAILBOX_ID_BYTES,
  MAX_FETCH_LIMIT,
  type MailboxKeys,
  type MailboxMessage,
  type MailboxRecord,
  type MailboxStore,
  type MailboxStoreOptions,
  mailboxFull,
  SqlMailboxStore,
} from './mailbox-store.ts';
export { migrations } from './migrations.ts';
export { type BundleKeys, type PreKeyCounts, type PreKeyStore, SqlPreKeyStore } from './prekey-store.ts';
export type { Schema } from './schema.ts';
