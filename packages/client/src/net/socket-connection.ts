/**
 * One WebSocket's lifetime, as `MailboxSocket` sees it: requests numbered per connection and
 * matched to the answer that repeats their id, each with a deadline. When the connection dies,
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

interface Pending {
  readonly expect: AnswerType;
  readonly resolve: (frame: ServerFrame) => void;
  readonly reject: (error: ClientError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
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

  /** Sends `frame` with a fresh id and resolves with the answer of type `expect`. */
  request<T extends AnswerType>(frame: Outgoing, expect: T, timeoutMs: number): Promise<Answer<T>> {
    if (!this.open) return Promise.reject(unreachable(this.origin));
    const id = this.nextId++;
    return new Promise<Answer<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unreachable(this.origin));
        this.onTimeout();
      }, timeoutMs);
      this.pending.set(id, { expect, resolve: resolve as (f: ServerFrame) => void, reject, timer });
      try {
        this.ws.send(typeof frame === 'function' ? frame(id) : JSON.stringify({ ...frame, id }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(unreachable(this.origin, e));
      }
    });
  }

  /** Settles the request an answer or error frame names; late answers (timed out) are ignored. */
  settle(frame: Exclude<ServerFrame, { type: 'message' | 'hello' }>): void {
    const p = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (p === undefined || frame.id === undefined) return;
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.type === 'error') p.reject(socketError(frame.error.code));
    else if (frame.type !== p.expect) p.reject(malformedAnswer());
    else p.resolve(frame);
  }

  /** Marks the connection dead and fails every request still waiting. */
  kill(): void {
    this.dead = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(unreachable(this.origin));
    }
    this.pending.clear();
  }
}
