/**
 * Notification that a mailbox stored a message, from the delivery path to the WebSocket
 * connections subscribed to it. It is emitted after the message's transaction has committed.
 *
 * On one process (no bus) a listener is handed the message itself (`delivered`), in commit
 * (seq) order, and pushes it without reading it back.
 *
 * In a cluster (a bus: docs/server.md "A cluster"), a mailbox may also be written by other
 * processes, and seqs are not contiguous, so a subscriber cannot tell from a message in hand
 * whether another process committed one before it whose notice has not arrived yet. Listeners
 * are then only told that the mailbox has stored something up to a seq (`stored`) and read the
 * database — the only source of truth — from where they are. Each delivery is also published on
 * the bus under the mailbox's subject (mailbox-notices.ts), which only processes with a
 * subscriber to that mailbox listen to. When the bus reconnects after a drop, every subscribed
 * mailbox is told to read again (a notice may have been lost meanwhile), and so is a mailbox
 * whose bus subscription has just become ready (a delivery may have come before it did).
 */
import { encodeStoredNotice, mailboxSubject, parseStoredNotice } from '../bus/mailbox-notices.ts';
import type { BusSubscription, MessageBus } from '../bus/message-bus.ts';
import { idKey } from '../id-key.ts';
import type { MailboxMessage } from '../storage/index.ts';

/** A message committed in this process, with no bus: push it as it is. */
export type Listener = (message: MailboxMessage) => void;
/** Messages up to `seq` (null: up to some seq) may be stored: read the store after what you have. */
export type StoredListener = (seq: number | null) => void;

interface Entry {
  readonly delivered: Listener;
  readonly stored: StoredListener | undefined;
}

interface Subscribed {
  readonly entries: Set<Entry>;
  readonly bus: BusSubscription | undefined;
}

export interface ClusterBus {
  readonly bus: MessageBus;
  /** The subjects' prefix (mailbox-notices.ts). */
  readonly prefix: string;
}

export class MailboxEvents {
  readonly #subscribed = new Map<string, Subscribed>();
  readonly #cluster: ClusterBus | undefined;

  constructor(cluster?: ClusterBus) {
    this.#cluster = cluster;
    cluster?.bus.onReconnect(() => {
      for (const s of this.#subscribed.values()) wake(s, null);
    });
  }

  /**
   * Calls `delivered` after each delivery to the mailbox — or, in a cluster, `stored` (a listener
   * without one is handed this process's own deliveries only). Returns the unsubscribe function.
   */
  subscribe(mailboxId: Uint8Array, delivered: Listener, stored?: StoredListener): () => void {
    const key = idKey(mailboxId);
    let s = this.#subscribed.get(key);
    if (s === undefined) {
      s = { entries: new Set(), bus: this.#listen(mailboxId) };
      this.#subscribed.set(key, s);
      const subscribed = s;
      // What another process stored before the bus had our subscription was not announced to us.
      void subscribed.bus?.ready.then(() => {
        if (this.#subscribed.get(key) === subscribed) wake(subscribed, null);
      });
    }
    const entry: Entry = { delivered, stored };
    const subscribed = s;
    subscribed.entries.add(entry);
    return () => {
      subscribed.entries.delete(entry);
      if (subscribed.entries.size === 0 && this.#subscribed.get(key) === subscribed) {
        this.#subscribed.delete(key);
        subscribed.bus?.unsubscribe();
      }
    };
  }

  /** A message was committed into the mailbox by this process. */
  notify(mailboxId: Uint8Array, message: MailboxMessage): void {
    const s = this.#subscribed.get(idKey(mailboxId));
    if (this.#cluster === undefined) {
      if (s) for (const entry of s.entries) entry.delivered(message);
      return;
    }
    this.#cluster.bus.publish(mailboxSubject(this.#cluster.prefix, mailboxId), encodeStoredNotice(message.seq));
    if (s) wake(s, message.seq, message);
  }

  #listen(mailboxId: Uint8Array): BusSubscription | undefined {
    const cluster = this.#cluster;
    if (cluster === undefined) return undefined;
    const key = idKey(mailboxId);
    return cluster.bus.subscribe(mailboxSubject(cluster.prefix, mailboxId), (data) => {
      const seq = parseStoredNotice(data);
      const s = this.#subscribed.get(key);
      if (seq !== null && s !== undefined) wake(s, seq);
    });
  }
}

function wake(s: Subscribed, seq: number | null, own?: MailboxMessage): void {
  for (const entry of s.entries) {
    if (entry.stored) entry.stored(seq);
    else if (own) entry.delivered(own);
  }
}
