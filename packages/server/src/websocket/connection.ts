/**
 * One WebSocket connection of `GET /v1/ws` (docs/server.md "WebSocket"), as a class that needs no
 * socket: the transport (ws-adapter.ts) hands it each frame that arrives and gives it a
 * {@link ConnectionSink} to write to, so tests drive it with a fake sink. JSON text frames (their
 * shapes are the wire contract's, @parley/protocol json-frames.ts), and binary ones for the hot
 * path (send, ack and their answers, pushes: binary.ts).
 *
 *                                                                 ← {"type":"hello","api":1,"features"} first
 *   → {"type":"challenge","id"}                                   ← {"type":"challenge","id","challenge"}
 *   → {"type":"subscribe","id","mailbox","challenge","proof",    ← {"type":"subscribed","id","mailbox"}
 *      "push"?:"json"|"binary"}                                   ← {"type":"message","mailbox","seq","envelope","receivedAt"}…
 *                                                                   or binary 0x82 message frames
 *   → {"type":"ack","id"?,"mailbox","seqs"}                       ← {"type":"acked","id","deleted"} (with an id)
 *   → {"type":"authorize","id","mailbox","challenge","proof"}    ← {"type":"authorized","id","mailbox"}
 *   → {"type":"send","id","mailbox","envelope","signature"?}      ← {"type":"sent","id","seq"} once stored
 *                                                                 ← {"type":"error","id"?,"error":{"code","message"}}
 *   → binary 0x01 send, 0x02 ack                                  ← binary 0x81 sent, 0x83 acked; errors in JSON
 *   → {"type":"subscribe-group",…}                                ← group-subscribed, group-message… (group-subscriptions.ts)
 *
 * Subscribing takes a mailbox proof as HTTP reads do (protocol §3.6), bound to the `subscribe`
 * frame (§3.5.1), as a sending proof is to the `authorize` frame. The server then sends
 * every stored message of the mailbox in order (read from the database), and then each new
 * message as its transaction commits (in commit order, without reading it back — in a cluster,
 * read back from the database on each notice: mailbox-events.ts); a connection that falls
 * behind catches up from the database. Delivery is at least once until acknowledged.
 *
 * A send carries its own delivery signature, or none if the connection has authorised the
 * mailbox: a sending proof (the sender key's answer to a challenge, protocol §3.6) covers every
 * later send into it on this connection, so a busy sender signs once, not once per envelope.
 *
 * Hostile clients are bounded (frame-budget.ts, docs/server.md "Limits and quotas"): control
 * frames by a token bucket per connection, challenges held per connection (issuing one more
 * forgets the connection's own oldest, never another's), subscriptions and authorised mailboxes
 * per connection, malformed frames; and by backpressure: a connection with too many requests
 * being handled or too much unsent data is not read from until it catches up. (The adapter
 * bounds frame size, unanswered pings and connections per source.)
 */
import {
  errorFrame,
  type JsonServerFrame,
  MAX_SOCKET_AUTHORIZED,
  MAX_SOCKET_BAD_FRAMES,
  MAX_SOCKET_SUBSCRIPTIONS,
  type Operation,
  socketOperation,
  type WireErrorCode,
} from '@parley/protocol';
import type { ApiDeps } from '../api-deps.ts';
import { issueChallenge } from '../challenges.ts';
import { DomainError, wireCodeOf } from '../domain-error.ts';
import { idKey } from '../id-key.ts';
import type { Logger } from '../logger.ts';
import { deliver, deliverAuthorized } from '../mailboxes/delivery.ts';
import { mailboxOwnership, type Ownership, provesOwnership, sendingRight } from '../mailboxes/owner-proof.ts';
import type { MailboxMessage } from '../storage/index.ts';
import { toB64url } from '../wire-json.ts';
import { type BinaryData, binaryAcked, binaryPush, binarySent, HELLO, parseBinaryFrame } from './binary.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, TokenBucket } from './frame-budget.ts';
import { GroupSubscriptions } from './group-subscriptions.ts';
import { JsonClientFrameSchema, type ParsedJsonClientFrame } from './json-frames.ts';

type SubscribeFrame = Extract<ParsedJsonClientFrame, { type: 'subscribe' }>;
type AuthorizeFrame = Extract<ParsedJsonClientFrame, { type: 'authorize' }>;

const PAGE = 500;
/** What the proofs of `subscribe` and `authorize` frames are bound to (protocol §3.5.1). */
const SUBSCRIBE = socketOperation('subscribe');
const AUTHORIZE = socketOperation('authorize');

interface Subscription {
  readonly mailbox: Uint8Array;
  /** The mailbox id as it goes in every pushed JSON frame, encoded once. */
  readonly mailboxText: string;
  /** Pushed as binary `message` frames. */
  readonly binary: boolean;
  lastSeq: number;
  /** Not caught up with the store: new deliveries wait for pump to read them. */
  behind: boolean;
  /** pump is reading the store. */
  pumping: boolean;
  /** A delivery came while pump was reading: it reads again before it stops. */
  missed: boolean;
  unsubscribe(): void;
}

/** Where a connection writes: the socket, through the adapter, or a test's fake. */
export interface ConnectionSink {
  /** Whether frames can still be sent (nothing is sent once the socket is closing). */
  readonly open: boolean;
  /** Bytes written and not yet sent: past `maxBufferedBytes` the connection waits for the client. */
  readonly bufferedAmount: number;
  /** Stops reading frames from the client (backpressure); `resume` reads again. */
  pause?(): void;
  resume?(): void;
  /** Sends one text (string) or binary frame. */
  send(data: string | Uint8Array): void;
  /** Closes the connection (1008: the client broke the protocol). */
  close(code: number, reason: string): void;
}

/** What every connection of a server shares: the stores and settings, and the two proof checks. */
export interface ConnectionContext {
  readonly deps: ApiDeps;
  readonly log: Logger;
  readonly owners: Ownership;
  readonly senders: Ownership;
  readonly limits: ConnectionLimits;
}

export function connectionContext(
  deps: ApiDeps,
  log: Logger,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): ConnectionContext {
  return { deps, log, owners: mailboxOwnership(deps), senders: sendingRight(deps), limits };
}

export class Connection {
  readonly #cx: ConnectionContext;
  readonly #deps: ApiDeps;
  readonly #sink: ConnectionSink;
  readonly #subs = new Map<string, Subscription>();
  /** Mailboxes this connection has proved the sender key of (hex ids). */
  readonly #authorized = new Set<string>();
  #badFrames = 0;
  /** Subscribe and authorize proofs being checked (awaited) on this connection. */
  #proving = 0;
  /** The socket closed: nothing is added or written any more. */
  #closed = false;
  readonly #limits: ConnectionLimits;
  /** Takes a control frame's token (the adapter's is shared by the source's connections). */
  readonly #control: () => boolean;
  /** Control frames refused for the rate so far. */
  #refused = 0;
  /** Challenges issued on this connection and not yet used here, oldest first (hex → bytes). */
  readonly #challenges = new Map<string, Uint8Array>();
  /** Frames received whose handling has not finished. */
  #inFlight = 0;
  /** Whether the sink was asked to stop reading. */
  #paused = false;
  /** Subscriptions to group logs (issue 20). */
  readonly #groups: GroupSubscriptions;

  /**
   * Counts the connection and sends the hello, the first frame of every connection. `control`
   * paces its control frames (default: a bucket of its own, `limits.controlBurst` and
   * `controlPerSecond`); the adapter passes one per source, so reconnecting does not refill it.
   */
  constructor(cx: ConnectionContext, sink: ConnectionSink, control?: () => boolean) {
    this.#cx = cx;
    this.#deps = cx.deps;
    this.#sink = sink;
    this.#limits = cx.limits;
    if (control) this.#control = control;
    else {
      const bucket = new TokenBucket(cx.limits.controlBurst, cx.limits.controlPerSecond);
      this.#control = () => bucket.take();
    }
    this.#deps.metrics?.websocketConnections.inc();
    const connection = this;
    this.#groups = new GroupSubscriptions({
      deps: cx.deps,
      log: cx.log,
      send: (frame) => this.#write(JSON.stringify(frame)),
      sendText: (text) => this.#write(text),
      fail: (id, code, message) => this.#fail(id, code, message),
      congested: () => sink.bufferedAmount >= cx.limits.maxBufferedBytes,
      get closed() {
        return connection.#closed;
      },
    });
    this.#write(HELLO);
  }

  /**
   * A frame arrived: text (a string) or binary. Never throws: a failure is answered with an
   * `internal` error frame (nothing may throw back into the socket library). The promise, if
   * any, settles when the frame has been handled (tests await it; the adapter need not).
   */
  receive(data: string | BinaryData, isBinary: boolean): Promise<void> | undefined {
    let handled: Promise<void> | undefined;
    try {
      handled = (isBinary ? this.#handleBinary(data as BinaryData) : this.#handle(data as string))?.catch(
        this.#internalError,
      );
    } catch {
      this.#internalError();
    }
    if (handled === undefined) {
      this.#flow();
      return undefined;
    }
    this.#inFlight++;
    this.#flow();
    return handled.finally(this.#settled);
  }

  readonly #settled = () => {
    this.#inFlight--;
    this.#flow();
  };

  /** The sink sent what it held (the adapter calls this on the socket's drain): read again if paused for it. */
  drained(): void {
    this.#flow();
    this.#groups.drained();
  }

  /**
   * Backpressure: a client that has too many requests being handled, or is not reading what it
   * is sent, is not read from until it catches up (its frames wait in its own TCP window, not
   * in the server's memory).
   */
  #flow(): void {
    const full =
      !this.#closed &&
      (this.#inFlight >= this.#limits.maxInFlight || this.#sink.bufferedAmount >= this.#limits.maxBufferedBytes);
    if (full === this.#paused) return;
    this.#paused = full;
    if (full) this.#sink.pause?.();
    else this.#sink.resume?.();
  }

  /** The socket closed: stop pushing. */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.metrics?.websocketConnections.dec();
    for (const sub of this.#subs.values()) sub.unsubscribe();
    this.#subs.clear();
    this.#groups.closed();
    // A challenge asked for on a connection is answered on it: what is left is forgotten.
    for (const challenge of this.#challenges.values()) this.#revoke(challenge);
    this.#challenges.clear();
  }

  #revoke(challenge: Uint8Array): void {
    this.#deps.challenges.consume(challenge).catch(() => {});
  }

  /** Takes a control frame's token; refuses it (and after `maxRefused`, the connection) without one. */
  #paced(id: number): boolean {
    if (this.#control()) return true;
    this.#refused++;
    this.#deps.metrics?.limited.inc({ limit: 'websocket-control' });
    this.#fail(id, 'rate-limited', 'too many control frames');
    if (this.#refused >= this.#limits.maxRefused) this.#sink.close(1008, 'too many frames over the rate limit');
    return false;
  }

  /** Issues a challenge held by this connection: past its quota, its own oldest is forgotten. */
  async #challenge(id: number): Promise<void> {
    const { challenge } = await issueChallenge(this.#deps.challenges);
    if (this.#closed) return this.#revoke(challenge);
    this.#challenges.set(idKey(challenge), challenge);
    if (this.#challenges.size > this.#limits.challengesPerConnection) {
      const [oldestKey, oldest] = this.#challenges.entries().next().value as [string, Uint8Array];
      this.#challenges.delete(oldestKey);
      this.#revoke(oldest);
    }
    this.#send({ type: 'challenge', id, challenge: toB64url(challenge) });
  }

  readonly #internalError = () => this.#fail(undefined, 'internal', 'internal error');

  #write(data: string | Uint8Array): void {
    if (!this.#closed && this.#sink.open) this.#sink.send(data);
  }

  #send(frame: JsonServerFrame): void {
    this.#write(JSON.stringify(frame));
  }

  #fail(id: number | undefined, code: WireErrorCode, message: string): void {
    this.#send(errorFrame(id, code, message));
  }

  #push(sub: Subscription, m: MailboxMessage): void {
    if (sub.binary) this.#write(binaryPush(sub.mailbox, m));
    else
      this.#send({
        type: 'message',
        mailbox: sub.mailboxText,
        seq: m.seq,
        envelope: toB64url(m.envelope),
        receivedAt: m.receivedAt,
      });
    sub.lastSeq = m.seq;
    this.#deps.metrics?.pushes.inc();
  }

  /**
   * Reads and pushes what is stored after lastSeq (on subscribe, and to catch up after an ack),
   * until a page comes back short with no delivery in the meantime: one that committed during
   * a read is then read back, not pushed out of order.
   */
  #pump(sub: Subscription): void {
    if (sub.pumping) {
      sub.missed = true;
      return;
    }
    sub.pumping = true;
    const sink = this.#sink;
    const read = async () => {
      try {
        do {
          sub.missed = false;
          let page: MailboxMessage[];
          do {
            if (!sink.open || sink.bufferedAmount >= this.#limits.maxBufferedBytes) return;
            page = await this.#deps.mailboxes.fetch(sub.mailbox, { afterSeq: sub.lastSeq, limit: PAGE });
            for (const m of page) this.#push(sub, m);
          } while (page.length === PAGE);
        } while (sub.missed);
        sub.behind = false;
      } finally {
        // In the same turn as the last check of `missed`: a delivery after it is pushed at once.
        sub.pumping = false;
      }
    };
    read().catch(() => this.#cx.log.error({ event: 'ws-push-failed' }, 'push failed'));
  }

  /**
   * A message just committed: pushed as it is, at once (deliveries come in commit order). While
   * pump reads, it reads this one too; a connection that is behind (its send buffer was full)
   * gets nothing new until it catches up through pump, so nothing is skipped. It runs inside
   * the sender's delivery, which a failure here must not fail (the message is stored): that
   * subscription is left behind instead, to catch up from the store.
   */
  #onDelivery(sub: Subscription, m: MailboxMessage): void {
    if (sub.pumping) {
      sub.missed = true;
      return;
    }
    if (sub.behind || this.#sink.bufferedAmount >= this.#limits.maxBufferedBytes) {
      sub.behind = true;
      return;
    }
    try {
      if (m.seq > sub.lastSeq) this.#push(sub, m);
    } catch {
      sub.behind = true;
      this.#cx.log.error({ event: 'ws-push-failed' }, 'push failed');
    }
  }

  /**
   * In a cluster (mailbox-events.ts): the mailbox stored messages up to `seq` (null: some), here
   * or on another process. Read from the database after what was pushed, in order; a notice for
   * what was pushed already costs nothing.
   */
  #onStored(sub: Subscription, seq: number | null): void {
    if (seq !== null && seq <= sub.lastSeq && !sub.behind) return;
    sub.behind = true;
    this.#pump(sub);
  }

  #malformed(): void {
    this.#badFrames++;
    this.#fail(undefined, 'bad-request', 'malformed frame');
    if (this.#badFrames >= MAX_SOCKET_BAD_FRAMES) this.#sink.close(1008, 'too many malformed frames');
  }

  /**
   * A send (JSON or binary: `binary` says how to answer). Any connection may send (sealed
   * sender): the sender key is the authorisation, proved by the delivery's own signature or,
   * once per connection, by a sending proof. This and ack are not async functions: an async
   * frame per layer lives as long as the group commit, and every scavenge copies it.
   */
  #sendInto(
    id: number,
    mailbox: Uint8Array,
    envelope: Uint8Array,
    signature: Uint8Array | undefined,
    binary: boolean,
  ): Promise<void> | undefined {
    let delivery: Promise<{ seq: number }>;
    if (signature !== undefined) delivery = deliver(this.#deps, 'websocket', mailbox, envelope, signature);
    else if (this.#authorized.has(idKey(mailbox))) delivery = deliverAuthorized(this.#deps, mailbox, envelope);
    else {
      this.#fail(id, 'unauthorized', 'sign the delivery, or authorise the mailbox on this connection');
      return undefined;
    }
    return delivery.then(
      ({ seq }) => (binary ? this.#write(binarySent(id, seq)) : this.#send({ type: 'sent', id, seq })),
      (e: unknown) => {
        if (DomainError.is(e)) return this.#fail(id, wireCodeOf(e), e.message);
        // Not stored (the database failed): answered with the send's id, so the client is not
        // left waiting for it, and may send it again.
        this.#cx.log.error({ event: 'ws-send-failed' }, 'send failed');
        this.#fail(id, 'internal', 'internal error');
      },
    );
  }

  /** An ack (JSON or binary); without an id only a refusal is answered. */
  #ack(
    id: number | undefined,
    mailbox: Uint8Array,
    seqs: readonly number[],
    binary: boolean,
  ): Promise<void> | undefined {
    const sub = this.#subs.get(idKey(mailbox));
    if (sub === undefined) {
      this.#fail(id, 'forbidden', 'subscribe to the mailbox first');
      return undefined;
    }
    return this.#deps.mailboxes.ack(mailbox, seqs).then((deleted) => {
      if (id !== undefined && binary) this.#write(binaryAcked(id, deleted));
      else if (id !== undefined) this.#send({ type: 'acked', id, deleted });
      // The client is catching up: feed what was held back. A subscription that is not behind
      // has been pushed everything committed since it subscribed, so there is nothing to read.
      if (sub.behind) this.#pump(sub);
    });
  }

  /** A binary frame: the same requests as their JSON forms, answered in binary (errors in JSON). */
  #handleBinary(data: BinaryData): Promise<void> | undefined {
    const f = parseBinaryFrame(data);
    if (f === null) {
      this.#malformed();
      return undefined;
    }
    if (f.type === 'send') return this.#sendInto(f.id, f.mailbox, f.envelope, f.signature, true);
    return this.#ack(f.id === 0 ? undefined : f.id, f.mailbox, f.seqs, true);
  }

  async #handle(raw: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const parsed = JsonClientFrameSchema.safeParse(json);
    if (!parsed.success) return this.#malformed();
    const f = parsed.data;
    if (f.type !== 'send' && f.type !== 'ack' && !this.#paced(f.id)) return;
    if (f.type === 'challenge') await this.#challenge(f.id);
    else if (f.type === 'subscribe' || f.type === 'authorize' || f.type === 'subscribe-group') {
      // Only a challenge this connection asked for: a proof seen on its way to the server
      // (a withheld frame) then authorises nothing on another connection (docs/server.md).
      const held = this.#challenges.get(idKey(f.challenge));
      if (held === undefined)
        return this.#fail(f.id, 'unauthorized', 'a challenge issued on this connection is required');
      // Whatever the answer, it is used up: one left in the store and dropped from the
      // connection's count would escape its quota.
      try {
        await (f.type === 'subscribe'
          ? this.#subscribe(f)
          : f.type === 'authorize'
            ? this.#authorize(f)
            : this.#groups.subscribe(f));
      } finally {
        this.#challenges.delete(idKey(held));
        this.#revoke(held);
      }
    } else if (f.type === 'send') await this.#sendInto(f.id, f.mailbox, f.envelope, f.signature, false);
    else await this.#ack(f.id, f.mailbox, f.seqs, false);
  }

  /** Whether `f`'s proof answers its challenge for `operation`; counted while being checked. */
  async #proves(o: Ownership, f: SubscribeFrame | AuthorizeFrame, operation: Operation): Promise<boolean> {
    this.#proving++;
    try {
      return await provesOwnership(o, f.mailbox, f.challenge, operation, f.proof);
    } finally {
      this.#proving--;
    }
  }

  async #subscribe(f: SubscribeFrame): Promise<void> {
    const deps = this.#deps;
    const key = idKey(f.mailbox);
    // Subscribed already: it keeps its push mode.
    if (this.#subs.has(key)) return this.#send({ type: 'subscribed', id: f.id, mailbox: toB64url(f.mailbox) });
    // Proofs being checked count too: subscribes sent together all pass this check before any
    // proof is checked (issue 16: the bound was exceeded, and listeners leaked, that way).
    if (this.#subs.size + this.#proving >= MAX_SOCKET_SUBSCRIPTIONS)
      return this.#fail(f.id, 'rate-limited', 'too many subscriptions');
    if (!(await this.#proves(this.#cx.owners, f, SUBSCRIBE)))
      return this.#fail(f.id, 'unauthorized', 'a valid mailbox proof is required');
    // Checked again after the await: the connection may have closed (a listener added now
    // would never be removed), or a subscribe for the same mailbox may have completed.
    if (this.#closed) return;
    if (this.#subs.has(key)) return this.#send({ type: 'subscribed', id: f.id, mailbox: toB64url(f.mailbox) });
    const sub: Subscription = {
      mailbox: f.mailbox,
      mailboxText: toB64url(f.mailbox),
      binary: f.push === 'binary',
      lastSeq: 0,
      behind: true,
      pumping: false,
      missed: false,
      unsubscribe: () => {},
    };
    sub.unsubscribe = deps.events.subscribe(
      f.mailbox,
      (m) => this.#onDelivery(sub, m),
      (seq) => this.#onStored(sub, seq),
    );
    this.#subs.set(key, sub);
    this.#send({ type: 'subscribed', id: f.id, mailbox: toB64url(f.mailbox) });
    this.#pump(sub);
  }

  async #authorize(f: AuthorizeFrame): Promise<void> {
    const key = idKey(f.mailbox);
    if (!this.#authorized.has(key)) {
      if (this.#authorized.size + this.#proving >= MAX_SOCKET_AUTHORIZED)
        return this.#fail(f.id, 'rate-limited', 'too many authorised mailboxes');
      if (!(await this.#proves(this.#cx.senders, f, AUTHORIZE)))
        return this.#fail(f.id, 'unauthorized', 'a valid sending proof is required');
      if (this.#closed) return;
      this.#authorized.add(key);
    }
    this.#send({ type: 'authorized', id: f.id, mailbox: toB64url(f.mailbox) });
  }
}
