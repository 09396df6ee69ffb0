/**
 * @parley/client — the SDK, platform-neutral (it runs in browsers: no Node built-ins here).
 * `ParleyClient` is one profile; `@parley/client/node` adds what needs Node — profiles in a
 * directory with encrypted SQLite stores, node:crypto for the store, the `ws` WebSocket.
 * See docs/client.md.
 */
export type * from './api.ts';
export {
  type ClientOptions,
  type CreateOptions,
  DEFAULT_INVITATION_TTL_MS,
  type JoinOptions,
  type JoinSession,
  type LinkDeviceOptions,
  type LinkResult,
  type LinkSession,
  ParleyClient,
  type PushConnection,
  type PushHandlers,
} from './client.ts';
export { DEFAULT_DELIVERY, DEFAULT_DEVICE_TIMES, type DeliveryOptions, type DeviceTimes } from './client-options.ts';
export {
  type HistoryChoice,
  LINK_TTL_MS,
  MAX_HISTORY_BYTES,
  MAX_HISTORY_MESSAGES,
  parseHistoryChoice,
} from './engine/link-wire.ts';
export { ADDRESS_PREFIX, DEVICE_LINK_PREFIX, INVITE_PREFIX } from './engine/links.ts';
export { MAX_INTRO, MAX_NAME, MAX_TEXT } from './engine/payload.ts';
export { PREKEY_POLICY } from './engine/prekeys.ts';
export { ClientError, type ClientErrorCode } from './errors.ts';
export {
  type DeviceKeyPackage,
  GroupApi,
  type GroupEntry,
  type GroupPost,
  type GroupPostResult,
  type GroupReadResult,
  type GroupWriteKey,
  type KeyPackageCounts,
} from './net/group-api.ts';
export { MailboxSocket, type MailboxSocketOptions } from './net/mailbox-socket.ts';
export { ServerApi, type ServerApiOptions } from './net/server-api.ts';
export type * from './net/server-api-types.ts';
export type { WebSocketConstructor, WebSocketLike } from './net/websocket-like.ts';
export { EncryptedRecordStore, type EncryptedStoreOptions } from './store/encrypted.ts';
export { MemoryRecordStore } from './store/memory.ts';
export type { ListOptions, RecordStore, RecordWrite, StoredRecord } from './store/record-store.ts';
export type { ScryptParams, StoreCrypto } from './store/store-crypto.ts';
