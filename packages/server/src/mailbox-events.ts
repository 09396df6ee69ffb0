/**
 * In-process notification that a mailbox received a message, from the HTTP send route to the
 * WebSocket connections subscribed to it. It carries no data — subscribers read what is new from
 * the database, which keeps order and durability in one place. (A cluster will relay the same
 * notifications over its message bus.)
 */
export type Listener = () => void;

export class MailboxEvents {
  readonly #listeners = new Map<string, Set<Listener>>();

  /** Calls `listener` after each delivery to the mailbox; returns the unsubscribe function. */
  subscribe(mailboxId: Uint8Array, listener: Listener): () => void {
    const key = Buffer.from(mailboxId).toString('hex');
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

  notify(mailboxId: Uint8Array): void {
    const set = this.#listeners.get(Buffer.from(mailboxId).toString('hex'));
    if (set) for (const listener of set) listener();
  }
}
