/**
 * Token-bucket rate limiting in memory, per key (a requester address, a target device, …). Each
 * bucket holds `burst` tokens and refills at `perMinute` tokens a minute. The table is bounded:
 * past `maxKeys` the least recently used buckets are forgotten (a forgotten bucket is full
 * again, which errs on the side of serving). Limits are per process: in a cluster each process
 * enforces its own, so the effective limit is N × the configured one.
 */
export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limit: RateLimit;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(limit: RateLimit, options: { maxKeys?: number; now?: () => number } = {}) {
    this.#limit = limit;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes one token for `key`; returns 0 if allowed, else the milliseconds until one is free. */
  take(key: string): number {
    const now = this.#now();
    const { perMinute, burst } = this.#limit;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    this.#buckets.delete(key); // re-inserted below: Map order is recency order
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    let wait = 0;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else wait = Math.ceil(((1 - bucket.tokens) * 60_000) / perMinute);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return wait;
  }
}
