/**
 * The limits one WebSocket connection lives within (docs/server.md "Limits"), and the token
 * bucket that paces its control frames. Control frames (`challenge`, `subscribe`, `authorize`)
 * are what anyone may send without having proved anything, and each costs the server a random
 * draw, a challenge kept in memory or a signature check: an anonymous connection that sent them
 * as fast as it could was answered 110,000 challenges in 1.4 s (issue 16). Sends and acks are
 * paced instead by backpressure: past `maxInFlight` unanswered ones, or a full send buffer, the
 * connection is not read from until it catches up.
 */

export interface ConnectionLimits {
  /** Control frames a connection may send at once (the bucket's size). */
  readonly controlBurst: number;
  /** Control frames a second, sustained. */
  readonly controlPerSecond: number;
  /** Control frames refused for the rate before the connection is closed (1008). */
  readonly maxRefused: number;
  /**
   * Challenges a connection holds unanswered: issuing one more forgets its own oldest, never
   * another connection's.
   */
  readonly challengesPerConnection: number;
  /** Sends, acks and proofs being handled at once, past which the connection is not read. */
  readonly maxInFlight: number;
  /** Unsent bytes past which the connection is not read (nor fed pushes) until it drains. */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // The client SDK subscribes every mailbox of its set at once on each connection: it asks for a
  // challenge per mailbox, then sends a subscribe per mailbox. Up to MAX_SOCKET_SUBSCRIPTIONS
  // (1000) mailboxes, that fits in one burst, and their challenges are all held until answered.
  controlBurst: 2100,
  controlPerSecond: 20,
  maxRefused: 100,
  challengesPerConnection: 1024,
  maxInFlight: 4096,
  maxBufferedBytes: 4 * 1024 * 1024,
};

/** A token bucket: `burst` tokens, refilled at `perSecond`, starting full. */
export class TokenBucket {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #now: () => number;
  #tokens: number;
  #at: number;

  constructor(burst: number, perSecond: number, now: () => number = Date.now) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
