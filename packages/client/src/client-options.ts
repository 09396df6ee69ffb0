/** What a `ParleyClient` is given: its environment, server APIs and push connection (client.ts). */
import type { ProtocolEnv } from '@parley/protocol';
import type { OwnedMailbox, ServerApiLike } from './net/server-api-types.ts';

/** What the client needs of a push connection to its home server (net/mailbox-socket.ts). */
export interface PushConnection {
  subscribe(mailbox: OwnedMailbox): void;
  unsubscribe(mailboxId: Uint8Array): void;
  close(): void;
}

export interface PushHandlers {
  /** Handles one pushed message; the connection acknowledges it once this resolves. */
  onMessage(m: { mailboxId: Uint8Array; seq: number; envelope: Uint8Array; receivedAt: number }): Promise<void>;
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
}

export interface CreateOptions {
  readonly server: string;
  readonly displayName: string;
  readonly registrationKey?: string;
}
