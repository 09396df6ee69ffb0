/**
 * The groups part of the server's wire contract (docs/server.md "Groups"): limits, the `reason`
 * of refusals a client acts on, the JSON shapes of the group routes' answers and the WebSocket's
 * group frames. The home server is the Delivery Service of MLS groups (RFC 9750 §5): it orders
 * each group's handshake messages, stores application messages once per group, and knows no
 * member list — a write key per epoch (../group-proof.ts) is the only credential.
 *
 *   POST /v1/groups                              device proof      {"groupId","writeKey"}        → 201 {"epoch":0}
 *   POST /v1/groups/:id/messages                 group proof (current epoch)
 *        {"kind":"application","message"} | {"kind":"commit","message","nextWriteKey"}          → 201 {"seq","epoch"}
 *                                                409 {"reason":"stale-epoch","epoch"}
 *   GET  /v1/groups/:id/messages?after=&limit=   group proof (the epoch read)                    → {"messages":[…]}
 *                                                410 {"reason":"rejoin"}
 *   PUT  /v1/accounts/self/key-packages          device proof      {"oneTime":[…],"lastResort"?} → 204
 *   GET  /v1/accounts/self/key-packages/counts   device proof                                    → {"oneTime","lastResort","lastResortServed"}
 *   GET  /v1/accounts/:account/key-packages      none (budgeted)                                 → {"keyPackages":[…]}
 *
 *   → {"type":"subscribe-group","id","group","epoch","after"?,"challenge","proof"}
 *   ← {"type":"group-subscribed","id","group","epoch"}
 *   ← {"type":"group-message","group","seq","epoch","kind","message","nextWriteKey"?,"receivedAt"}…
 *
 * Used by: packages/server (http/routes/groups.ts, key-packages.ts, websocket/group-subscriptions.ts);
 * packages/client (net/group-api.ts).
 */
import type { WireBytes } from './json-frames.ts';
import { MAX_ENVELOPE_BYTES } from './limits.ts';

/** The largest MLS message (application or commit) a group log accepts: a mailbox envelope's bound. */
export const MAX_GROUP_MESSAGE_BYTES = MAX_ENVELOPE_BYTES;

/** The largest key package the server stores (an MLS KeyPackage, RFC 9420 §10). */
export const MAX_KEY_PACKAGE_BYTES = 16 * 1024;

/** One-time key packages in one upload; the body limit (MAX_BODY_BYTES) bounds it too. */
export const MAX_KEY_PACKAGE_UPLOAD = 50;

/** One-time key packages a device may have waiting on the server. */
export const MAX_ONE_TIME_KEY_PACKAGES = 200;

/** The largest `limit` of a group read; the default is DEFAULT_PAGE_LIMIT (limits.ts). */
export const MAX_GROUP_PAGE_LIMIT = 1000;

/** Groups one WebSocket connection may subscribe to. */
export const MAX_SOCKET_GROUP_SUBSCRIPTIONS = 1000;

/** The kinds of a group log's entries: a Welcome never goes through the log (it goes 1:1). */
export type GroupEntryKind = 'application' | 'commit';

/**
 * Why a group request was refused, beside the wire error (`{"error":…,"reason":…}`):
 * - `stale-epoch` (409): the proof's epoch is not the group's current one — another commit won;
 *   the answer's `epoch` is the current one: process the log up to it, then retry.
 * - `rejoin` (410): what the reader needs next is no longer kept (retention): it must be added
 *   again (a new Welcome), as its state cannot catch up.
 * - `group-exists` (409): a group with that id exists already.
 */
export type GroupRefusalReason = 'stale-epoch' | 'rejoin' | 'group-exists';

/** The authorization header scheme of a group proof: `Parley-Group epoch=<n>, challenge=<32 B>, proof=<64 B>`. */
export const GROUP_AUTH_SCHEME = 'Parley-Group';

/** One entry of a group log, as a read answers it and a push carries it. */
export interface WireGroupEntry {
  readonly seq: number;
  /** The epoch the entry was posted in (a commit moves the group to `epoch + 1`). */
  readonly epoch: number;
  readonly kind: GroupEntryKind;
  /** The MLS message, opaque to the server. */
  readonly message: WireBytes;
  /** Commits only: the write key the commit registered for `epoch + 1` (32 bytes). */
  readonly nextWriteKey?: WireBytes;
  /** Milliseconds since the epoch, the server's clock. */
  readonly receivedAt: number;
}

/** One key package of a device, as `GET /v1/accounts/:account/key-packages` answers it. */
export interface WireDeviceKeyPackage {
  readonly deviceId: number;
  readonly keyPackage: WireBytes;
  /** Whether it is the device's last-resort key package (served again until replaced). */
  readonly lastResort: boolean;
}

export interface JsonSubscribeGroupFrame {
  readonly type: 'subscribe-group';
  readonly id: number;
  /** 16 bytes. */
  readonly group: WireBytes;
  /** The epoch whose write key made the proof; the subscription carries that epoch's entries. */
  readonly epoch: number;
  /** Entries after this seq (default: from the epoch's first). */
  readonly after?: number | undefined;
  readonly challenge: WireBytes;
  /** 64 bytes: the write key's group proof bound to the `subscribe-group` frame. */
  readonly proof: WireBytes;
}

export interface JsonGroupSubscribedFrame {
  readonly type: 'group-subscribed';
  readonly id: number;
  readonly group: WireBytes;
  readonly epoch: number;
}

export interface JsonGroupMessageFrame extends WireGroupEntry {
  readonly type: 'group-message';
  readonly group: WireBytes;
}
