/**
 * One WebSocket's lifetime, as `MailboxSocket` sees it: requests numbered per connection and
 * matched to the answer that repeats their id, each with a deadline. A request whose answer has
 * not come within a short attempt time ({@link ATTEMPT_MS}, doubling) is sent again under a new
 * id, within the same deadline, and an answer to any of its ids settles it: a reply frame lost on
 * the way costs an attempt time, not the whole deadline (docs/client.md "When the network stalls").
 * Only idempotent requests are repeated: sends (the server stores an envelope once per mailbox
 * and the receiver recognises a copy), subscriptions and acknowledgements; a challenge is not
 * (the proof signs the one the server issued). When the connection dies,
 * every request still waiting fails with `server-unreachable` (the caller may retry: sends are
 * idempotent, acknowledgements too).
 *
 * It also learns what the server supports from its first frame (docs/server.md "WebSocket"): a
 * hello lists the features; any other first frame is from a server older than the hello, which
 * has none of them (JSON frames only, no sending proofs). The server sends its hello before
 * anything else, so once a request is answered the features are known: nothing ever waits for a
 * hello, and a decision that depends on a feature is made after the first answer.
 */
import type { SocketFeature } from '@parley/protocol';
import type { ClientError } from '../errors.ts';
import { malformedAnswer, socketError, unreachable } from './server-errors.ts';
import type { Answer, AnswerType, ClientFrameBody, ServerFrame } from './socket-frames.ts';
import { type WebSocketLike, WS_OPEN } from './websocket-like.ts';

/** What a request sends: a JSON frame of the contract (its `id` added), or a binary one encoded around the id. */
export type Outgoing = ClientFrameBody | ((id: number) => Uint8Array);

const NONE: ReadonlySet<string> = new Set();

/** How long the first attempt of a request waits for its answer before it is sent again; each next attempt waits twice as long. */
export const ATTEMPT_MS = 2000;

/** Requests that must not be sent twice (see the file comment). */
const ONCE: ReadonlySet<AnswerType> = new Set<AnswerType>(['challenge']);

interface Pending {
  readonly expect: AnswerType;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: ClientError) => void;
  /** Clears its timers and forgets every id it was sent under. */
  readonly finish: () => void;
}

export class SocketConnection {
  /** Set once the connection closed, failed or was dropped; it is never used again. */
  dead = false;
  /** When it opened (ms), or undefined while connecting. */
  openedAt: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private known: ReadonlySet<string> | undefined;

  constructor(
    readonly ws: WebSocketLike,
    private readonly origin: string,
    /** Called when a request times out: the connection is presumed dead. */
    private readonly onTimeout: () => void,
  ) {}

  get open(): boolean {
    return !this.dead && this.openedAt !== undefined && this.ws.readyState === WS_OPEN;
  }

  /** Whether the server listed `feature` in its hello (false until its first frame, and for old servers). */
  supports(feature: SocketFeature): boolean {
    return this.known?.has(feature) ?? false;
  }

  /** Whether the server's first frame has arrived (and with it, what it supports). */
  get greeted(): boolean {
    return this.known !== undefined;
  }

  /** Notes a frame from the server: the first one says what it supports (a hello, or nothing). */
  received(frame: ServerFrame | null): void {
    if (this.known === undefined) this.known = frame?.type === 'hello' ? new Set(frame.features) : NONE;
  }

  /**
   * Sends `frame` with a fresh id and resolves with the answer of type `expect`; unanswered, sends
   * it again under a new id after {@link ATTEMPT_MS}, 2 × that, … until `timeoutMs` has passed.
   */
  request<T extends AnswerType>(frame: Outgoing, expect: T, timeoutMs: number): Promise<Answer<T>> {
    if (!this.open) return Promise.reject(unreachable(this.origin));
    return new Promise<Answer<T>>((resolve, reject) => {
      const ids: number[] = [];
      let retry: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(deadline);
        clearTimeout(retry);
        for (const id of ids) this.pending.delete(id);
      };
      const entry: Pending = { expect, resolve: resolve as (f: ServerFrame) => void, reject, finish };
      const deadline = setTimeout(() => {
        finish();
        reject(unreachable(this.origin));
        this.onTimeout();
      }, timeoutMs);
      let left = timeoutMs;
      const attempt = (wait: number) => {
        const id = this.nextId++;
        ids.push(id);
        this.pending.set(id, entry);
        try {
          this.ws.send(typeof frame === 'function' ? frame(id) : JSON.stringify({ ...frame, id }));
        } catch (e) {
          finish();
          reject(unreachable(this.origin, e));
          return;
        }
        // Another attempt only if it can still be answered before the deadline.
        if (ONCE.has(expect) || wait >= left) return;
        retry = setTimeout(() => {
          left -= wait;
          if (this.open) attempt(wait * 2);
        }, wait);
      };
      attempt(ATTEMPT_MS);
    });
  }

  /** Settles the request an answer or error frame names; late answers (timed out) are ignored. */
  settle(frame: Exclude<ServerFrame, { type: 'message' | 'hello' }>): void {
    const p = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (p === undefined || frame.id === undefined) return;
    p.finish();
    if (frame.type === 'error') p.reject(socketError(frame.error.code));
    else if (frame.type !== p.expect) p.reject(malformedAnswer());
    else p.resolve(frame);
  }

  /** Marks the connection dead and fails every request still waiting. */
  kill(): void {
    this.dead = true;
    // A request sent several times is under several ids: reject it once.
    for (const p of new Set(this.pending.values())) {
      p.finish();
      p.reject(unreachable(this.origin));
    }
    this.pending.clear();
  }
}
