/**
 * A bounded map that keeps what was used recently, for the server's in-memory tables that
 * untrusted input can grow (rate-limit buckets, cached mailbox records, parsed sender keys).
 *
 * It holds two generations of at most `max / 2` entries each. Reads and writes go to the young
 * one (a read found in the old generation moves the entry over); when the young generation is
 * full it becomes the old one and the old one is dropped whole. So an entry used within the last
 * `max / 2` distinct keys is always kept, nothing past `max` entries is, and every operation is
 * O(1). The least-recently-used order a Map gives for free (delete and re-insert on every use,
 * evict `keys().next()`) is not: V8 finds a Map's first entry by walking over the slots of the
 * deleted ones, which such use piles up at its front: past 100,000 keys a rate-limit `take` cost
 * 62–69 µs against 3 µs (docs/benchmarks.md, "Floods").
 *
 * @example
 * ```ts
 * const buckets = new RecentMap<Bucket>(100_000);
 * const bucket = buckets.get(key) ?? newBucket();
 * buckets.set(key, bucket);
 * ```
 */
/** Values are anything but `undefined`, which is what a miss returns. */
export class RecentMap<V extends NonNullable<unknown>> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  readonly #half: number;

  /** `max`: the most entries kept (a positive integer). */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError('max must be a positive integer');
    this.#half = Math.max(1, Math.floor(max / 2));
  }

  /** The value for `key` (now counted as used), or undefined. */
  get(key: string): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old === undefined) return undefined;
    this.#old.delete(key);
    this.#add(key, old);
    return old;
  }

  set(key: string, value: V): void {
    if (this.#young.has(key)) {
      this.#young.set(key, value);
      return;
    }
    this.#old.delete(key);
    this.#add(key, value);
  }

  /** Whether there was an entry for `key`. */
  delete(key: string): boolean {
    const young = this.#young.delete(key);
    return this.#old.delete(key) || young;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  #add(key: string, value: V): void {
    this.#young.set(key, value);
    if (this.#young.size < this.#half) return;
    this.#old = this.#young;
    this.#young = new Map();
  }
}
