/**
 * `MailboxSocket`: one WebSocket to a home server's `/v1/ws` (docs/server.md "WebSocket") that
 * keeps a set of our mailboxes subscribed and hands each pushed message to one async handler.
 *
 * - Every (re)connection subscribes every mailbox of the set again, each with a fresh challenge
 *   answered by the mailbox's recipient key (protocol §3.6). The server then pushes the stored
 *   messages in order, then each new one.
 * - Sends need no subscription: the first send into a mailbox on a connection proves its sender
 *   key once (a sending proof, sending-rights.ts), and later ones on that connection go unsigned.
 * - Sends, acknowledgements and pushes use the binary frames (docs/server.md "Binary frames")
 *   where the server's hello lists `binary`, and JSON frames elsewhere; sending proofs only where
 *   it lists `authorize` (else every send is signed). A server without a hello predates both.
 * - Messages go to the handler strictly one at a time, in arrival order. When the handler's
 *   promise resolves the message is acknowledged (in batches), which deletes it on the server;
 *   when it rejects, the failure goes to `onError` and the message is not acknowledged, so the
 *   server pushes it again on the next connection. Delivery is at least once: a copy pushed again
 *   while the first is queued, or after it was handled but before the acknowledgement arrived, is
 *   not handed to the handler twice by this socket, but the handler must still tolerate
 *   duplicates (after a restart of the app, for instance).
 * - A closed or failed connection is retried with exponential backoff and full jitter
 *   (backoff.ts). Requests in flight on it fail with `server-unreachable`; requests made while
 *   offline wait for the next connection, up to their deadline (15 s).
 * - Nothing the network sends can throw out of an event handler: malformed frames are counted,
 *   reported through `onError` and ignored.
 *
 * @example
 * ```ts
 * const socket = new MailboxSocket(serverUrl, { onMessage: async (m) => engine.receive(m) });
 * socket.subscribe({ id: mailboxId, recipientPrivateKey });
 * await socket.whenSubscribed();
 * const { seq } = await socket.send(theirMailboxId, theirSenderPrivateKey, envelope);
 * socket.close();
 * ```
 */
import {
  defaultEnv,
  encodeAckFrame,
  encodeSendFrame,
  encodeWireBytes,
  MAILBOX_ID_BYTES,
  MAX_ACK_SEQS,
  MAX_ENVELOPE_BYTES,
  type ProtocolEnv,
  proveMailboxAccess,
  signDelivery,
  socketOperation,
  toHex,
  type WireErrorCode,
} from '@parley/protocol';
import { ClientError } from '../errors.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { SendingRights } from './sending-rights.ts';
import { chunks, DEFAULT_TIMEOUT_MS } from './server-api.ts';
import type { OwnedMailbox } from './server-api-types.ts';
import { malformedAnswer, signing, socketError, unreachable } from './server-errors.ts';
import { originOf, websocketUrl } from './server-url.ts';
import { type Outgoing, SocketConnection } from './socket-connection.ts';
import { type AnswerType, type ClientFrameBody, parseServerFrame, type ServerFrame } from './socket-frames.ts';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.ts';

/** A sender private key: an Ed25519 private key (its seed) is 32 bytes (RFC 8032 §5.1.5). */
const SENDER_KEY_BYTES = 32;

/** A message the server pushed for one of our mailboxes. */
export interface PushedMessage {
  readonly mailboxId: Uint8Array;
  readonly seq: number;
  readonly envelope: Uint8Array;
  readonly receivedAt: number;
}

export type SocketState = 'online' | 'offline';

export interface MailboxSocketOptions {
  /**
   * Handles one message; the next is handed over only once this settles. Resolve = acknowledge,
   * except `false`: not processed, left on the server (not acknowledged, handled again if pushed again).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing acknowledges, as before `false` existed
  readonly onMessage: (message: PushedMessage) => Promise<boolean | void>;
  /**
   * Failures that belong to no request: a rejected handler, a malformed frame, a subscription
   * the server refused (`mailboxId` then says which; a mailbox refused as unknown or with a wrong
   * key is dropped from the set), a failed batch of acknowledgements.
   */
  readonly onError?: (error: ClientError, mailboxId?: Uint8Array) => void;
  /** Called on every change: online when a connection opens, offline when it ends. */
  readonly onState?: (state: SocketState) => void;
  /** For the proofs and signatures (default: `defaultEnv`). */
  readonly env?: ProtocolEnv;
  /**
   * The WebSocket implementation: default the platform's global `WebSocket` (browsers, Node ≥ 22);
   * Node 20 has none, so Node callers pass `NodeWebSocket` (platform/node/node-websocket.ts, the `ws` package).
   * Kept out of this module so that a browser bundle does not pull in `ws`.
   */
  readonly WebSocket?: WebSocketConstructor;
  /** How long a request may wait, for a connection and for its answer (default 15 s). */
  readonly timeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

/** One mailbox of the set, and what this socket knows of it. */
interface Subscription {
  readonly mailbox: OwnedMailbox;
  /** The connection on which the server confirmed it, if the current one. */
  confirmedOn: SocketConnection | null;
  /** The connection on which the server answered (confirmed or refused) the subscription. */
  answeredOn: SocketConnection | null;
  /** Seqs queued for the handler, or handled and waiting for their acknowledgement. */
  readonly seqs: Map<number, 'queued' | 'handled'>;
  /** Handled seqs not yet sent in an acknowledgement. */
  acks: number[];
}

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: ClientError) => void;
}

interface Queued {
  readonly key: string;
  readonly sub: Subscription;
  readonly message: PushedMessage;
}

/** Errors a subscription cannot recover from: the mailbox is gone, or the key is not its key. */
const PERMANENT: ReadonlySet<string> = new Set<WireErrorCode>([
  'unauthorized',
  'forbidden',
  'not-found',
  'bad-request',
]);

/** What a subscription's proof is bound to (protocol §3.5.1): the subscribe frame, nothing else. */
const SUBSCRIBE = socketOperation('subscribe');

export class MailboxSocket {
  private malformed = 0;
  private readonly url: string;
  private readonly origin: string;
  private readonly env: ProtocolEnv;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly timeoutMs: number;
  private readonly backoff: Backoff;
  private readonly rights: SendingRights;
  private readonly subs = new Map<string, Subscription>();
  private readonly waiters = new Set<Waiter>();
  private readonly queue: Queued[] = [];
  /** The connection being opened or open; null between attempts. */
  private current: SocketConnection | null = null;
  private state: SocketState = 'offline';
  private closed = false;
  private draining = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  /** Connects at once; subscriptions may be added before or after the connection opens. */
  constructor(
    serverUrl: string,
    private readonly options: MailboxSocketOptions,
  ) {
    this.url = websocketUrl(serverUrl);
    this.origin = originOf(serverUrl);
    this.env = options.env ?? defaultEnv;
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (impl === undefined) {
      throw new ClientError('usage', 'This platform has no WebSocket: pass one (NodeWebSocket in Node 20).');
    }
    this.WebSocketImpl = impl;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.backoff = new Backoff(options.backoff);
    this.rights = new SendingRights(this.env);
    this.connect();
  }

  /** Frames from the server that did not parse (and were ignored), since construction. */
  get malformedFrames(): number {
    return this.malformed;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.openConnection() !== null;
  }

  /** Adds a mailbox to the set and subscribes it on the open connection, if any. Idempotent. */
  subscribe(mailbox: OwnedMailbox): void {
    this.checkOpen();
    if (mailbox.id.length !== MAILBOX_ID_BYTES) throw new ClientError('usage', 'A mailbox id is 16 bytes.');
    const key = toHex(mailbox.id);
    if (this.subs.has(key)) return;
    const sub: Subscription = { mailbox, confirmedOn: null, answeredOn: null, seqs: new Map(), acks: [] };
    this.subs.set(key, sub);
    const conn = this.openConnection();
    if (conn !== null) void this.subscribeOn(conn, key, sub);
  }

  /**
   * Removes a mailbox from the set: its messages are no longer handed over, and it is not
   * subscribed again. (The server has no unsubscribe: until the next connection it may still push
   * messages of it, which are dropped unacknowledged.)
   */
  unsubscribe(mailboxId: Uint8Array): void {
    this.subs.delete(toHex(mailboxId));
    this.notify();
  }

  /**
   * Resolves once connected and every mailbox of the set has been answered on this connection:
   * confirmed, or refused (reported through `onError`). Stored messages are pushed after the
   * confirmation. Rejects if the socket is closed.
   */
  whenSubscribed(): Promise<void> {
    return this.waitUntil(() => {
      const conn = this.openConnection();
      return conn !== null && [...this.subs.values()].every((s) => s.answeredOn === conn);
    });
  }

  /** Acknowledges messages of a subscribed mailbox (deleting them); resolves with how many went. */
  async ack(mailboxId: Uint8Array, seqs: readonly number[]): Promise<number> {
    this.checkOpen();
    if (!seqs.every((n) => Number.isSafeInteger(n) && n >= 1)) {
      throw new ClientError('usage', 'Sequence numbers are positive integers.');
    }
    const key = toHex(mailboxId);
    let deleted = 0;
    for (const chunk of chunks(seqs, MAX_ACK_SEQS)) {
      const sub = this.subscription(key);
      const answer = await this.call(
        (conn) => ackFrame(conn, mailboxId, chunk),
        'acked',
        () => this.confirmedConnection(key),
      );
      deleted += answer.deleted;
      this.forget(sub, chunk);
    }
    return deleted;
  }

  /**
   * Delivers `envelope` into a mailbox with its sender key; resolves once it is stored, and a
   * second copy of a stored envelope is the same message. The first send into a mailbox on a
   * connection proves the key (one challenge and one proof, shared by concurrent sends); later
   * ones on it go unsigned. Where the server will not authorise the mailbox, the envelope is
   * signed, and a refusal is the one an HTTP delivery gets (404 for a wrong key and an unknown mailbox alike).
   */
  async send(mailboxId: Uint8Array, senderPrivateKey: Uint8Array, envelope: Uint8Array): Promise<{ seq: number }> {
    this.checkOpen();
    if (mailboxId.length !== MAILBOX_ID_BYTES || senderPrivateKey.length !== SENDER_KEY_BYTES) {
      throw new ClientError('usage', 'A mailbox id is 16 bytes and a sender key 32.');
    }
    if (envelope.length < 1 || envelope.length > MAX_ENVELOPE_BYTES) {
      throw new ClientError('usage', `An envelope is 1 to ${MAX_ENVELOPE_BYTES} bytes long.`);
    }
    const deadline = Date.now() + this.timeoutMs;
    // Proof and send on the same connection: if it dies in between, the send fails (the caller
    // retries, and the next connection proves again).
    const conn = await this.connection(() => this.openConnection(), deadline);
    const signature = (await this.rights.unsigned(conn, mailboxId, senderPrivateKey, deadline))
      ? undefined
      : signing(() => signDelivery(this.env, senderPrivateKey, mailboxId, envelope));
    // The server's first frame has usually come by now (an answer to the proof's challenge); if
    // not, supports() is false and the send goes as JSON, which every server accepts.
    let frame: Outgoing;
    if (conn.supports('binary')) frame = (id) => encodeSendFrame({ id, mailbox: mailboxId, signature, envelope });
    else {
      frame = {
        type: 'send',
        mailbox: encodeWireBytes(mailboxId),
        envelope: encodeWireBytes(envelope),
        signature: signature === undefined ? undefined : encodeWireBytes(signature),
      };
    }
    const { seq } = await conn.request(frame, 'sent', left(deadline));
    return { seq };
  }

  /** Stops reconnecting and closes the connection; requests in flight fail, queued messages are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.flushTimer);
    this.queue.length = 0;
    if (this.current !== null) this.drop(this.current, true);
    const error = closedError();
    for (const w of this.waiters) w.reject(error);
    this.waiters.clear();
  }

  // --- connections ---

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.closed) return;
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (e) {
      this.report(unreachable(this.origin, e));
      this.scheduleReconnect();
      return;
    }
    const conn: SocketConnection = new SocketConnection(ws, this.origin, () => this.drop(conn, true));
    this.current = conn;
    ws.binaryType = 'arraybuffer'; // binary frames as ArrayBuffer, in browsers and in `ws`
    ws.onopen = () => this.guarded(() => this.opened(conn));
    ws.onmessage = (event: { data?: unknown }) => this.guarded(() => this.onFrame(conn, event.data));
    ws.onclose = () => this.guarded(() => this.drop(conn, false));
    ws.onerror = () => this.guarded(() => this.drop(conn, true));
  }

  private opened(conn: SocketConnection): void {
    if (conn.dead || this.closed) return;
    conn.openedAt = Date.now();
    this.setState('online');
    for (const [key, sub] of this.subs) void this.subscribeOn(conn, key, sub);
    this.notify();
  }

  /** Ends a connection (idempotent): fails its requests, and schedules the next attempt. */
  private drop(conn: SocketConnection, closeSocket: boolean): void {
    if (conn.dead) return;
    conn.kill();
    if (closeSocket && conn.ws.readyState < 2) {
      try {
        conn.ws.close(1000);
      } catch {
        // already closing
      }
    }
    if (this.current !== conn) return;
    this.current = null;
    this.backoff.ended(conn.openedAt === undefined ? 0 : Date.now() - conn.openedAt);
    this.setState('offline');
    this.notify();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.next());
  }

  private openConnection(): SocketConnection | null {
    const conn = this.current;
    return conn?.open ? conn : null;
  }

  private subscription(key: string): Subscription {
    const sub = this.subs.get(key);
    if (sub === undefined) throw new ClientError('usage', 'Subscribe to a mailbox before acknowledging its messages.');
    return sub;
  }

  /** The open connection, once the server confirmed this mailbox on it. */
  private confirmedConnection(key: string): SocketConnection | null {
    const conn = this.openConnection();
    return conn !== null && this.subscription(key).confirmedOn === conn ? conn : null;
  }

  /** Subscribes one mailbox on `conn`: a challenge, then the proof. */
  private async subscribeOn(conn: SocketConnection, key: string, sub: Subscription): Promise<void> {
    const current = () => !conn.dead && this.subs.get(key) === sub;
    try {
      const { challenge } = await conn.request({ type: 'challenge' }, 'challenge', this.timeoutMs);
      if (!current()) return;
      const proof = signing(() =>
        proveMailboxAccess(this.env, sub.mailbox.recipientPrivateKey, sub.mailbox.id, challenge, SUBSCRIBE),
      );
      const frame: ClientFrameBody = {
        type: 'subscribe',
        mailbox: encodeWireBytes(sub.mailbox.id),
        challenge: encodeWireBytes(challenge),
        proof: encodeWireBytes(proof),
        // Known by now: the hello, if any, came before the challenge's answer.
        push: conn.supports('binary') ? 'binary' : undefined,
      };
      await conn.request(frame, 'subscribed', this.timeoutMs);
      if (!current()) return;
      sub.confirmedOn = conn;
      sub.answeredOn = conn;
      this.scheduleFlush();
    } catch (e) {
      if (!current()) return; // the connection died (the next one subscribes again) or the mailbox left the set
      const error = ClientError.is(e) ? e : malformedAnswer();
      if (error.serverCode !== undefined && PERMANENT.has(error.serverCode)) this.subs.delete(key);
      else sub.answeredOn = conn; // a passing refusal: tried again on the next connection
      this.report(error, sub.mailbox.id);
    }
    this.notify();
  }

  // --- requests ---

  /**
   * Sends a request on the connection `ready` returns, waiting (within the deadline) for one if
   * it returns null.
   */
  private async call<T extends AnswerType>(
    frame: (conn: SocketConnection) => Outgoing,
    expect: T,
    ready: () => SocketConnection | null,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const deadline = Date.now() + this.timeoutMs;
    const conn = await this.connection(ready, deadline);
    return conn.request(frame(conn), expect, left(deadline));
  }

  /** The connection `ready` returns, waiting for one until `deadline` while it returns null. */
  private async connection(ready: () => SocketConnection | null, deadline: number): Promise<SocketConnection> {
    for (;;) {
      const conn = ready();
      if (conn !== null) return conn;
      await this.waitUntil(() => this.closed || ready() !== null, left(deadline));
      this.checkOpen();
    }
  }

  /** Resolves when `ready()` holds (checked on every change); rejects on close or at the deadline. */
  private waitUntil(ready: () => boolean, timeoutMs?: number): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters.delete(waiter);
          reject(unreachable(this.origin));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** Wakes the waiters whose condition now holds. */
  private notify(): void {
    for (const w of this.waiters) {
      let ready: boolean;
      try {
        ready = w.ready();
      } catch {
        ready = true; // the caller re-checks and reports its own error
      }
      if (ready) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  // --- incoming frames and the handler queue ---

  private onFrame(conn: SocketConnection, data: unknown): void {
    if (conn.dead) return;
    const frame = parseServerFrame(data);
    conn.received(frame);
    if (frame === null) {
      this.malformed++;
      this.report(malformedAnswer());
      return;
    }
    if (frame.type === 'message') this.pushed(frame);
    else if (frame.type === 'hello') return;
    else if (frame.type === 'error' && frame.id === undefined) this.report(socketError(frame.error.code));
    else conn.settle(frame);
  }

  private pushed(m: Extract<ServerFrame, { type: 'message' }>): void {
    const key = toHex(m.mailbox);
    const sub = this.subs.get(key);
    if (sub === undefined) return; // not ours (any more)
    const state = sub.seqs.get(m.seq);
    if (state === 'queued') return; // pushed again while the first copy waits
    if (state === 'handled') {
      this.queueAck(sub, m.seq); // handled, but its acknowledgement was lost
      return;
    }
    sub.seqs.set(m.seq, 'queued');
    this.queue.push({
      key,
      sub,
      message: { mailboxId: m.mailbox, seq: m.seq, envelope: m.envelope, receivedAt: m.receivedAt },
    });
    void this.drain();
  }

  /** Runs the handler over the queue, one message at a time. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item !== undefined && !this.closed; item = this.queue.shift()) {
        if (this.subs.get(item.key) !== item.sub) continue;
        try {
          if ((await this.options.onMessage(item.message)) === false) {
            item.sub.seqs.delete(item.message.seq); // left on the server: handled again if pushed again
            continue;
          }
          item.sub.seqs.set(item.message.seq, 'handled');
          this.queueAck(item.sub, item.message.seq);
        } catch (e) {
          item.sub.seqs.delete(item.message.seq);
          const error = ClientError.is(e)
            ? e
            : new ClientError('internal', 'The message handler failed.', { cause: e });
          this.report(error, item.message.mailboxId);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  // --- acknowledgements of handled messages ---

  private queueAck(sub: Subscription, seq: number): void {
    sub.acks.push(seq);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushAcks();
    }, 0);
  }

  /**
   * Sends the pending acknowledgements of every mailbox confirmed on the open connection; the
   * others wait for their confirmation. A lost acknowledgement is harmless: the message is
   * pushed again on the next connection and acknowledged then.
   */
  private flushAcks(): void {
    const conn = this.openConnection();
    if (conn === null) return;
    for (const sub of this.subs.values()) {
      if (sub.acks.length === 0 || sub.confirmedOn !== conn) continue;
      const seqs = sub.acks;
      sub.acks = [];
      for (const chunk of chunks(seqs, MAX_ACK_SEQS)) {
        conn.request(ackFrame(conn, sub.mailbox.id, chunk), 'acked', this.timeoutMs).then(
          () => this.forget(sub, chunk),
          (e: unknown) => {
            if (!conn.dead && ClientError.is(e)) this.report(e, sub.mailbox.id);
          },
        );
      }
    }
  }

  /** Acknowledged: these seqs are gone from the server. */
  private forget(sub: Subscription, seqs: readonly number[]): void {
    for (const seq of seqs) if (sub.seqs.get(seq) === 'handled') sub.seqs.delete(seq);
  }

  // --- helpers ---

  private setState(state: SocketState): void {
    if (this.state === state) return;
    this.state = state;
    try {
      this.options.onState?.(state);
    } catch {
      // a callback's failure is its own
    }
  }

  /** Runs an event handler: whatever happens, nothing is thrown back into the WebSocket. */
  private guarded(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.report(new ClientError('internal', 'The connection to the server hit an unexpected error.', { cause: e }));
    }
  }

  private report(error: ClientError, mailboxId?: Uint8Array): void {
    try {
      this.options.onError?.(error, mailboxId);
    } catch {
      // a callback's failure is its own
    }
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }
}

/** An acknowledgement on `conn`: binary where the server has binary frames (always with an id). */
function ackFrame(conn: SocketConnection, mailboxId: Uint8Array, seqs: readonly number[]): Outgoing {
  if (conn.supports('binary')) return (id) => encodeAckFrame({ id, mailbox: mailboxId, seqs });
  return { type: 'ack', mailbox: encodeWireBytes(mailboxId), seqs };
}

/** What is left of a deadline, for a timer (at least 1 ms). */
function left(deadline: number): number {
  return Math.max(1, deadline - Date.now());
}

function closedError(): ClientError {
  return new ClientError('usage', 'This connection to the server was closed.');
}
