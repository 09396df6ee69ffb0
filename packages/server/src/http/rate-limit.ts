/**
 * Token-bucket rate limiting in memory, per key (a requester address, a target device, …). Each
 * bucket holds `burst` tokens and refills at `perMinute` tokens a minute. The table is bounded
 * (recent-map.ts): a bucket used within the last `maxKeys / 2` keys is kept, and no more than
 * `maxKeys` are; a forgotten bucket is full again, which errs on the side of serving. Limits are per process: in a cluster each process
 * enforces its own, so the effective limit is N × the configured one.
 */
import { RecentMap } from '../recent-map.ts';

export interface RateLimit {
  readonly perMinute: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets: RecentMap<Bucket>;
  readonly #limit: RateLimit;
  readonly #now: () => number;

  constructor(limit: RateLimit, options: { maxKeys?: number; now?: () => number } = {}) {
    this.#limit = limit;
    this.#buckets = new RecentMap(options.maxKeys ?? 100_000);
    this.#now = options.now ?? Date.now;
  }

  /** Takes one token for `key`; returns 0 if allowed, else the milliseconds until one is free. */
  take(key: string): number {
    const now = this.#now();
    const { perMinute, burst } = this.#limit;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    let wait = 0;
    if (bucket.tokens >= 1) bucket.tokens -= 1;
    else wait = Math.ceil(((1 - bucket.tokens) * 60_000) / perMinute);
    return wait;
  }
}
