/**
 * In-process notification that a mailbox stored a message, from the delivery path to the
 * WebSocket connections subscribed to it. It is emitted after the message's transaction has
 * committed, in commit (seq) order, and carries the message so that subscribers can push it
 * without reading it back. (A cluster will relay the same notifications over its message bus.)
 */
import { idKey } from '../id-key.ts';
import type { MailboxMessage } from '../storage/index.ts';

export type Listener = (message: MailboxMessage) => void;

export class MailboxEvents {
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Calls `listener` after each delivery to the mailbox; returns the unsubscribe function. */
  subscribe(mailboxId: Uint8Array, listener: Listener): () => void {
    const key = idKey(mailboxId);
    let set = this.#listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(key);
    };
  }

  notify(mailboxId: Uint8Array, message: MailboxMessage): void {
    const set = this.#listeners.get(idKey(mailboxId));
    if (set) for (const listener of set) listener(message);
  }
}
