/**
 * One queue per key — per server, for the outbox: deliveries to one server go one at a time and in
 * order, while another server's run beside them. Separate from the client's state queue
 * (`ClientContext.serial`), so a slow server holds back only what goes to it.
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `f` after everything queued before it on `key`. */
  run<T>(key: string, f: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(f, f);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Resolves once everything queued so far has run. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
