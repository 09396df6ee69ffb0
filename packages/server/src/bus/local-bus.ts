/**
 * A message bus inside one process, for tests: each {@link LocalBusHub.connect} is one "process"
 * of a cluster (it does not hear its own notices, as a NATS connection with `noEcho` does not),
 * and `drop`/`restore` stand for a bus connection that goes away and comes back, losing what was
 * published meanwhile.
 */
import type { BusSubscription, MessageBus } from './message-bus.ts';

interface Member {
  connected: boolean;
  readonly subjects: Map<string, Set<(data: Uint8Array) => void>>;
  readonly reconnects: Set<() => void>;
}

export class LocalBusHub {
  readonly #members = new Set<Member>();

  connect(): MessageBus & { drop(): void; restore(): void } {
    const member: Member = { connected: true, subjects: new Map(), reconnects: new Set() };
    this.#members.add(member);
    const hub = this.#members;
    return {
      get connected() {
        return member.connected;
      },
      publish(subject, data) {
        if (!member.connected) return;
        for (const other of hub) {
          if (other === member || !other.connected) continue;
          for (const listener of other.subjects.get(subject) ?? []) listener(data.slice());
        }
      },
      subscribe(subject, onMessage): BusSubscription {
        let set = member.subjects.get(subject);
        if (set === undefined) {
          set = new Set();
          member.subjects.set(subject, set);
        }
        const listener = (data: Uint8Array) => onMessage(data);
        set.add(listener);
        return {
          ready: Promise.resolve(),
          unsubscribe: () => {
            set.delete(listener);
            if (set.size === 0) member.subjects.delete(subject);
          },
        };
      },
      onReconnect(listener) {
        member.reconnects.add(listener);
        return () => member.reconnects.delete(listener);
      },
      close: async () => {
        hub.delete(member);
      },
      drop() {
        member.connected = false;
      },
      restore() {
        member.connected = true;
        for (const listener of member.reconnects) listener();
      },
    };
  }
}
