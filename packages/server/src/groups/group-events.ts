/**
 * Notification that a group's log stored an entry, from the post route to the WebSocket
 * connections subscribed to the group (websocket/group-subscriptions.ts), after the entry's
 * transaction has committed. Listeners are told only "the log holds entries up to `seq`" (null:
 * up to some seq) and read the database from where they are: a group's subscribers each read only
 * the epoch their key proves, so there is no one message in hand to push to all of them.
 *
 * In a cluster each post is also published on the bus under the group's subject
 * (bus/group-notices.ts), which only processes with a subscriber to that group listen to. When the
 * bus reconnects after a drop, and when a group's bus subscription has just become ready, every
 * subscriber of the group is told to read again (a notice may have been missed).
 */
import { encodeStoredNotice, groupSubject, parseStoredNotice } from '../bus/group-notices.ts';
import type { BusSubscription } from '../bus/message-bus.ts';
import { idKey } from '../id-key.ts';
import type { ClusterBus } from '../mailboxes/mailbox-events.ts';
import type { GroupEntry } from '../storage/index.ts';

/**
 * Entries up to `seq` (null: up to some seq) may be stored: read the log after what you have —
 * or, given `entry` (stored by this process, seq `seq`), push it if it is the next of your epoch.
 */
export type GroupListener = (seq: number | null, entry?: GroupEntry) => void;

interface Subscribed {
  readonly listeners: Set<GroupListener>;
  readonly bus: BusSubscription | undefined;
}

export class GroupEvents {
  readonly #subscribed = new Map<string, Subscribed>();
  readonly #cluster: ClusterBus | undefined;

  constructor(cluster?: ClusterBus) {
    this.#cluster = cluster;
    cluster?.bus.onReconnect(() => {
      for (const s of this.#subscribed.values()) wake(s, null);
    });
  }

  /** Calls `listener` after each entry stored in the group's log; returns the unsubscribe function. */
  subscribe(groupId: Uint8Array, listener: GroupListener): () => void {
    const key = idKey(groupId);
    let s = this.#subscribed.get(key);
    if (s === undefined) {
      const created: Subscribed = { listeners: new Set(), bus: this.#listen(groupId, key) };
      s = created;
      this.#subscribed.set(key, created);
      void created.bus?.ready.then(() => {
        if (this.#subscribed.get(key) === created) wake(created, null);
      });
    }
    const subscribed = s;
    subscribed.listeners.add(listener);
    return () => {
      subscribed.listeners.delete(listener);
      if (subscribed.listeners.size === 0 && this.#subscribed.get(key) === subscribed) {
        this.#subscribed.delete(key);
        subscribed.bus?.unsubscribe();
      }
    };
  }

  /**
   * An entry was committed into the group's log by this process. In a cluster the listeners here
   * read it back like everyone else: another process may have committed an earlier seq whose
   * notice has not arrived yet (as for mailboxes, docs/server.md "A cluster").
   */
  notify(groupId: Uint8Array, entry: GroupEntry): void {
    const s = this.#subscribed.get(idKey(groupId));
    if (this.#cluster !== undefined) {
      this.#cluster.bus.publish(groupSubject(this.#cluster.prefix, groupId), encodeStoredNotice(entry.seq));
      if (s !== undefined) wake(s, entry.seq);
      return;
    }
    if (s !== undefined) wake(s, entry.seq, entry);
  }

  #listen(groupId: Uint8Array, key: string): BusSubscription | undefined {
    const cluster = this.#cluster;
    if (cluster === undefined) return undefined;
    return cluster.bus.subscribe(groupSubject(cluster.prefix, groupId), (data) => {
      const seq = parseStoredNotice(data);
      const s = this.#subscribed.get(key);
      if (seq !== null && s !== undefined) wake(s, seq);
    });
  }
}

function wake(s: Subscribed, seq: number | null, entry?: GroupEntry): void {
  for (const listener of [...s.listeners]) listener(seq, entry);
}
