/**
 * The message bus over core NATS (the official client, @nats-io/transport-node), for
 * `parley-server --bus nats://…`. Core NATS and not JetStream, on purpose: a notice only says
 * "read the database" (mailbox-notices.ts), PostgreSQL holds every message, and a notice that is
 * lost costs a delay, not a message — clients read what is stored when they (re)subscribe, and
 * on every reconnect of this connection the server re-reads its subscribed mailboxes
 * (MailboxEvents). JetStream would store and acknowledge a second copy of what the database
 * already holds durably, on every delivery, for nothing a subscriber needs.
 *
 * The connection reconnects for ever (every 250 ms, with jitter); publishes made while it is
 * down are buffered by the client up to its limit and sent on reconnect. `noEcho`: a process
 * does not hear its own notices. The URL may carry credentials: it is never logged.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BusSubscription, MessageBus } from './message-bus.ts';

export interface NatsBusOptions {
  /** The connection's name, shown by the NATS server's monitoring (no identifiers: a role). */
  readonly name?: string;
  /** How long the first connection may take (default 5 s). */
  readonly timeoutMs?: number;
}

/** Connects; rejects if NATS is not reachable at first (a process does not start without its bus). */
export async function connectNatsBus(url: string, options: NatsBusOptions = {}): Promise<MessageBus> {
  const nc: NatsConnection = await connect({
    servers: url,
    name: options.name ?? 'parley-server',
    noEcho: true,
    timeout: options.timeoutMs ?? 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    maxPingOut: 2,
  });
  return new NatsBus(nc);
}

class NatsBus implements MessageBus {
  readonly #nc: NatsConnection;
  #connected = true;
  readonly #reconnects = new Set<() => void>();

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    void this.#watch();
  }

  async #watch(): Promise<void> {
    for await (const s of this.#nc.status()) {
      if (s.type === 'disconnect' || s.type === 'close') this.#connected = false;
      else if (s.type === 'reconnect') {
        this.#connected = true;
        for (const listener of this.#reconnects) listener();
      }
    }
  }

  get connected(): boolean {
    return this.#connected && !this.#nc.isClosed();
  }

  publish(subject: string, data: Uint8Array): void {
    try {
      this.#nc.publish(subject, data);
    } catch {
      // Closed or draining: the notice is lost, as the bus allows (the database has the message).
    }
  }

  subscribe(subject: string, onMessage: (data: Uint8Array) => void): BusSubscription {
    const sub = this.#nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) onMessage(msg.data);
      },
    });
    // Once the server answers a flush it has our SUB: later publishes reach us.
    const ready = this.#nc.flush().catch(() => undefined);
    return { ready, unsubscribe: () => sub.unsubscribe() };
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnects.add(listener);
    return () => this.#reconnects.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#nc.isClosed()) return;
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}
