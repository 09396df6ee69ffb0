/**
 * Reconnection delays: exponential backoff with full jitter (a uniformly random delay up to a cap
 * that doubles with every failed attempt), so that clients cut off together by a server restart
 * do not come back together. A connection that stayed up long enough starts the sequence over.
 */
export interface BackoffOptions {
  /** The first cap (default 250 ms). */
  readonly initialMs?: number;
  /** The largest cap (default 30 s). */
  readonly maxMs?: number;
  /** A connection that lived longer than this resets the caps (default 10 s). */
  readonly resetAfterMs?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 30_000;
    this.resetAfterMs = options.resetAfterMs ?? 10_000;
  }

  /** The delay before the next attempt, in [0, min(max, initial · 2^attempt)). */
  next(): number {
    const cap = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * cap);
  }

  /** Reports how long the connection that just ended was up (0 if it never opened). */
  ended(livedMs: number): void {
    if (livedMs > this.resetAfterMs) this.attempt = 0;
  }
}
