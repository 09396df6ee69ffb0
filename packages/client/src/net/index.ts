/**
 * The client's network layer: the home server's HTTP API (`ServerApi`) and the WebSocket that
 * keeps our mailboxes subscribed (`MailboxSocket`). Everything here fails with `ClientError`. The
 * wire contract it speaks — limits, error codes, frame shapes, bytes in JSON — is @parley/protocol's.
 */
export { Backoff, type BackoffOptions } from './backoff.ts';
export {
  type DeviceKeyPackage,
  GroupApi,
  type GroupEntry,
  type GroupPost,
  type GroupPostResult,
  type GroupReadResult,
  type GroupWriteKey,
  type KeyPackageCounts,
} from './group-api.ts';
export { GroupSocket, type GroupSocketOptions } from './group-socket.ts';
export { MailboxSocket, type MailboxSocketOptions, type PushedMessage, type SocketState } from './mailbox-socket.ts';
export { DEFAULT_TIMEOUT_MS, ServerApi, type ServerApiOptions } from './server-api.ts';
export * from './server-api-types.ts';
export { normalizeServerUrl, originOf, websocketUrl } from './server-url.ts';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.ts';
