/**
 * Device-list fetches for unlisted intros, bounded (docs/client.md §4.9, issue 18). An intro from a
 * device not on the list we hold for a person makes us fetch their latest list — but a device
 * announces itself only after the list that names it was published, so a fetch that *started*
 * once the envelope was in our hands answers for it: fetching again for the next envelope of the
 * same page could tell nothing new. Envelopes read from storage take their mark when their page
 * was read; concurrent ones share the fetch in flight. A flood read by `sync` so costs one fetch
 * per person and page, not one per envelope.
 *
 * Pushed envelopes come one at a time, so the page rule alone would still fetch for each. A pushed
 * intro from an unlisted device is therefore left on the server (not acknowledged) and its mailbox
 * read again over HTTP — one read per mailbox at a time, once more if more came meanwhile, and no
 * sooner than {@link LIST_REFETCH_MS} after the person's last fetch started. A burst of any size
 * costs at most one fetch per person per period; a real new device's intro waits at most that
 * long, and is never refused on a list fetched before it arrived.
 *
 * Marks are a counter of this client's own and the period is measured on a monotonic clock
 * (`performance.now()`), not the protocol's (a test's clock may stand still).
 */

/** The least time between two list fetches for one person's pushed intros. */
export const LIST_REFETCH_MS = 5_000;

export class ListFetches {
  private clock = 0;
  private closed = false;
  /** Contact id → the mark at which its last completed fetch started, and whether it succeeded. */
  private readonly last = new Map<string, { readonly at: number; readonly ok: boolean }>();
  private readonly running = new Map<string, { readonly at: number; readonly done: Promise<boolean> }>();
  /** Contact id → when (monotonic ms) its last fetch started. */
  private readonly startedAt = new Map<string, number>();
  /** Mailbox key → a read again pending or running (`again`: asked for once more meanwhile). */
  private readonly reads = new Map<string, { again: boolean }>();
  /** Sleeping reads: their timers and how to wake them (at close). */
  private readonly timers = new Map<ReturnType<typeof setTimeout>, () => void>();

  /** A mark for now: take it once an envelope (or a page of them) is in hand. */
  mark(): number {
    return ++this.clock;
  }

  /**
   * Runs `fetch` for `contactId` unless a fetch for it that started after `readAt` has completed
   * (its outcome stands for this envelope too) or is running (it is awaited). Resolves with
   * whether the list could be fetched.
   */
  async fetchFor(contactId: string, readAt: number, fetch: () => Promise<boolean>): Promise<boolean> {
    const last = this.last.get(contactId);
    if (last !== undefined && last.at > readAt) return last.ok;
    const inFlight = this.running.get(contactId);
    if (inFlight !== undefined && inFlight.at > readAt) return inFlight.done;
    const at = this.mark();
    this.startedAt.set(contactId, performance.now());
    const done = fetch().catch(() => false);
    this.running.set(contactId, { at, done });
    const ok = await done;
    if (this.running.get(contactId)?.done === done) this.running.delete(contactId);
    const prev = this.last.get(contactId);
    if (prev === undefined || prev.at < at) this.last.set(contactId, { at, ok });
    return ok;
  }

  /**
   * Has mailbox `key` read again by `read` (which processes what it holds with the page rule), for
   * a pushed intro of `contactId` left on the server: coalesced, and not before the period since
   * that person's last fetch is over.
   */
  readLater(key: string, contactId: string, read: () => Promise<void>): void {
    const pending = this.reads.get(key);
    if (pending !== undefined) {
      pending.again = true;
      return;
    }
    const entry = { again: true };
    this.reads.set(key, entry);
    void (async () => {
      try {
        while (entry.again && !this.closed) {
          entry.again = false;
          const wait =
            (this.startedAt.get(contactId) ?? Number.NEGATIVE_INFINITY) + LIST_REFETCH_MS - performance.now();
          if (wait > 0) await this.sleep(wait);
          if (this.closed) break;
          await read().catch(() => undefined);
        }
      } finally {
        this.reads.delete(key);
      }
    })();
  }

  /** Stops reads waiting for their period (the client closes). */
  close(): void {
    this.closed = true;
    for (const [t, wake] of this.timers) {
      clearTimeout(t);
      wake();
    }
    this.timers.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.set(t, resolve);
      // A read waiting for its period must not keep a process alive (Node; browsers have no unref).
      (t as { unref?: () => void }).unref?.();
    });
  }
}
