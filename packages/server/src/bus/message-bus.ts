/**
 * What the processes of a cluster tell each other (docs/server.md "A cluster"): a narrow
 * publish/subscribe interface, so that the server's code does not depend on the bus it runs on.
 * `parley-server --bus nats://…` puts it over core NATS (nats-bus.ts); tests may use the
 * in-process {@link LocalBusHub} (local-bus.ts). Nothing on the bus is a source of truth: every
 * notice says only "read the database", so a lost one delays a push and loses nothing.
 */

export interface BusSubscription {
  /** Resolves once the bus will deliver what is published on the subject from now on. */
  readonly ready: Promise<void>;
  unsubscribe(): void;
}

export interface MessageBus {
  /** Whether the connection to the bus is up (readiness: docs/server.md "Operations"). */
  readonly connected: boolean;
  /**
   * Publishes `data` to the other processes subscribed to `subject` — never back to this one
   * (its own listeners hear of its own deliveries directly). At most once: a notice may be lost.
   */
  publish(subject: string, data: Uint8Array): void;
  /** Calls `onMessage` with each notice published on `subject` by another process. */
  subscribe(subject: string, onMessage: (data: Uint8Array) => void): BusSubscription;
  /**
   * Calls `listener` each time the connection comes back after it dropped: what was published
   * meanwhile may have been lost, so whoever listens re-reads the database.
   */
  onReconnect(listener: () => void): () => void;
  /** Sends what is buffered and closes the connection. */
  close(): Promise<void>;
}
