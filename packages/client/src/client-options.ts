/** What a `ParleyClient` is given: its environment, server APIs and push connection (client.ts). */

import type { ProtocolEnv } from '@parley/protocol';
import type { DeviceTimes } from './engine/fan-out.ts';
import type { GroupApiLike } from './net/group-api.ts';
import type { OwnedMailbox, ServerApiLike } from './net/server-api-types.ts';

export { DEFAULT_DEVICE_TIMES, type DeviceTimes } from './engine/fan-out.ts';

/** What the client needs of a push connection to its home server (net/mailbox-socket.ts). */
export interface PushConnection {
  subscribe(mailbox: OwnedMailbox): void;
  unsubscribe(mailboxId: Uint8Array): void;
  close(): void;
  /** Whether a connection is open now: deliveries to our own server then go over it. */
  readonly connected: boolean;
  /**
   * Delivers an envelope into a mailbox on our server, like `ServerApiLike.deliver` (idempotent,
   * the same errors); `MailboxSocket` proves the sender key once per connection instead of
   * signing each envelope.
   */
  send(mailboxId: Uint8Array, senderPrivateKey: Uint8Array, envelope: Uint8Array): Promise<unknown>;
}

/** What a push handler resolves with: `false` leaves the message unacknowledged, anything else acknowledges. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing acknowledges, as before `false` existed
export type Handled = boolean | void;

export interface PushHandlers {
  /**
   * Handles one pushed message; the connection acknowledges it once this resolves, unless it
   * resolves `false` (not processed: left on the server for a later read).
   */
  onMessage(m: { mailboxId: Uint8Array; seq: number; envelope: Uint8Array; receivedAt: number }): Promise<Handled>;
  onState(state: 'online' | 'offline'): void;
  onError(error: unknown): void;
}

export interface ClientOptions {
  /** Crypto backend, randomness and clock (default: the protocol's platform default). */
  readonly env?: ProtocolEnv;
  /** The profile's label in this client (shown in views; not sent anywhere). */
  readonly profile: string;
  /** A server API for a base URL (ours, and our contacts' servers). */
  readonly api: (url: string) => ServerApiLike;
  /** Opens the push connection to our server (`start()`; `sync({ waitMs })`). */
  readonly push: (url: string, handlers: PushHandlers) => PushConnection;
  /** When texts without a receipt are resent and gaps reported (docs/client.md §4.6). */
  readonly delivery?: Partial<DeliveryOptions>;
  /** When a device unheard from is marked stale, then dropped from fan-out (docs/client.md §4.9). */
  readonly devices?: Partial<DeviceTimes>;
  /** A contact's typing indicator without a refresh for this long goes off (default 6 s, docs/client.md §4.11). */
  readonly typingExpiryMs?: number;
  /** The group delivery service of our server (default: `GroupApi` over HTTP; tests put a hostile one here). */
  readonly groupApi?: (url: string) => GroupApiLike;
}

export interface DeliveryOptions {
  /** A text with no receipt this long after its last encryption is sent again. */
  readonly resendAfterMs: number;
  /** Encryptions of a text (the first included) before it is marked failed. */
  readonly maxAttempts: number;
  /** Messages missing from a contact's counters this long are reported (`missing`). */
  readonly gapGraceMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { resendAfterMs: 60_000, maxAttempts: 5, gapGraceMs: 60_000 };

export interface CreateOptions {
  readonly server: string;
  readonly displayName: string;
  readonly registrationKey?: string;
}
