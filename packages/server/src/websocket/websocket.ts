/**
 * WebSocket push for mailboxes: `GET /v1/ws` (docs/server.md "WebSocket"). JSON text frames, and
 * binary ones for the hot path (send, ack and their answers, pushes: binary.ts).
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
 *
 * Subscribing takes the same mailbox proof as HTTP reads (protocol §3.6). The server then sends
 * every stored message of the mailbox in order (read from the database), and then each new
 * message as its transaction commits (in commit order, without reading it back); a connection
 * that falls behind catches up from the database. Delivery is at least once until acknowledged.
 *
 * A send carries its own delivery signature, or none if the connection has authorised the
 * mailbox: a sending proof (the sender key's answer to a challenge, protocol §3.6) covers every
 * later send into it on this connection, so a busy sender signs once, not once per envelope.
 *
 * Frames to one connection that are sent in the same turn of the event loop (a group commit
 * answers many sends at once) are written together: the socket is corked until the turn's
 * microtasks are done, so they cost one system call instead of one each.
 *
 * Hostile clients are bounded: frame size, subscriptions and authorised mailboxes per
 * connection, malformed frames, unanswered pings.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  errorFrame,
  type JsonClientFrame,
  type JsonServerFrame,
  MAX_SEQS_PER_REQUEST,
  MAX_SOCKET_AUTHORIZED,
  MAX_SOCKET_BAD_FRAMES,
  MAX_SOCKET_FRAME_BYTES,
  MAX_SOCKET_SUBSCRIPTIONS,
  SOCKET_PATH,
  type WireErrorCode,
} from '@parley/protocol';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.ts';
import { issueChallenge } from '../challenges.ts';
import { DomainError, wireCodeOf } from '../domain-error.ts';
import { idKey } from '../id-key.ts';
import type { Logger } from '../logger.ts';
import { deliver, deliverAuthorized } from '../mailboxes/delivery.ts';
import { mailboxOwnership, provesOwnership, sendingRight } from '../mailboxes/owner-proof.ts';
import type { MailboxMessage } from '../storage/index.ts';
import { b64url, toB64url } from '../wire-json.ts';
import { binaryAcked, binaryPush, binarySent, HELLO, parseBinaryFrame } from './binary.ts';

export const WS_PATH = SOCKET_PATH;
/** How often a connection is pinged by default; a ping still unanswered at the next one closes it. */
const PING_INTERVAL_MS = 30_000;
/** Past this much unsent data the connection is not fed more until the client catches up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const PAGE = 500;

const Frame = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('challenge'), id: z.number().int() }),
  z.strictObject({
    type: z.literal('subscribe'),
    id: z.number().int(),
    mailbox: b64url(16),
    challenge: b64url(32),
    proof: b64url(64),
    /** How this subscription's messages are pushed (default JSON). */
    push: z.enum(['json', 'binary']).optional(),
  }),
  z.strictObject({
    type: z.literal('authorize'),
    id: z.number().int(),
    mailbox: b64url(16),
    challenge: b64url(32),
    proof: b64url(64),
  }),
  z.strictObject({
    type: z.literal('send'),
    id: z.number().int(),
    mailbox: b64url(16),
    envelope: b64url().refine((b) => b.length >= 1, 'envelope must not be empty'),
    signature: b64url(64).optional(),
  }),
  z.strictObject({
    type: z.literal('ack'),
    // Without an id nothing answers a successful ack (pushes are acknowledged as they are handled;
    // one that is lost is pushed again), which saves a frame per message each way.
    id: z.number().int().optional(),
    mailbox: b64url(16),
    // zod 4's int() takes safe integers only (≤ 2^53 − 1), as the binary ack's u64 seqs.
    seqs: z.array(z.number().int().min(1)).min(1).max(MAX_SEQS_PER_REQUEST),
  }),
]) satisfies z.ZodType<unknown, JsonClientFrame>;

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

export interface WebSocketHandle {
  /** Closes every connection (going away) and stops accepting new ones. */
  close(): void;
}

export interface WebSocketOptions {
  /** Ping interval (default 30 s): a half-open connection is closed within two of them. */
  readonly pingIntervalMs?: number;
}

export function attachWebSocket(
  server: Server,
  deps: ApiDeps,
  log: Logger,
  options: WebSocketOptions = {},
): WebSocketHandle {
  const pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
  const owners = mailboxOwnership(deps);
  const senders = sendingRight(deps);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_FRAME_BYTES });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, socket));
  });

  /** `socket` is the connection under `ws` (ours from the upgrade), corked to batch writes. */
  function serve(ws: WebSocket, socket: Duplex): void {
    deps.metrics?.websocketConnections.inc();
    const subs = new Map<string, Subscription>();
    /** Mailboxes this connection has proved the sender key of (hex ids). */
    const authorized = new Set<string>();
    let badFrames = 0;
    let alive = true;
    let corked = false;
    const uncork = () => {
      corked = false;
      socket.uncork();
    };
    const write = (data: string | Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!corked) {
        // Until this turn's callbacks and microtasks are done: whatever else is sent to this
        // connection meanwhile goes out in the same write.
        corked = true;
        socket.cork();
        process.nextTick(uncork);
      }
      ws.send(data);
    };
    const send = (frame: JsonServerFrame) => write(JSON.stringify(frame));
    const fail = (id: number | undefined, code: WireErrorCode, message: string) => {
      send(errorFrame(id, code, message));
    };

    const push = (sub: Subscription, m: MailboxMessage) => {
      if (sub.binary) write(binaryPush(sub.mailbox, m));
      else
        send({
          type: 'message',
          mailbox: sub.mailboxText,
          seq: m.seq,
          envelope: toB64url(m.envelope),
          receivedAt: m.receivedAt,
        });
      sub.lastSeq = m.seq;
      deps.metrics?.pushes.inc();
    };
    /**
     * Reads and pushes what is stored after lastSeq (on subscribe, and to catch up after an ack),
     * until a page comes back short with no delivery in the meantime: one that committed during
     * a read is then read back, not pushed out of order.
     */
    const pump = (sub: Subscription) => {
      if (sub.pumping) {
        sub.missed = true;
        return;
      }
      sub.pumping = true;
      const read = async () => {
        try {
          do {
            sub.missed = false;
            let page: MailboxMessage[];
            do {
              if (ws.readyState !== ws.OPEN || ws.bufferedAmount >= MAX_BUFFERED_BYTES) return;
              page = await deps.mailboxes.fetch(sub.mailbox, { afterSeq: sub.lastSeq, limit: PAGE });
              for (const m of page) push(sub, m);
            } while (page.length === PAGE);
          } while (sub.missed);
          sub.behind = false;
        } finally {
          // In the same turn as the last check of `missed`: a delivery after it is pushed at once.
          sub.pumping = false;
        }
      };
      read().catch(() => log.error({ event: 'ws-push-failed' }, 'push failed'));
    };

    /**
     * A message just committed: pushed as it is, at once (deliveries come in commit order). While
     * pump reads, it reads this one too; a connection that is behind (its send buffer was full)
     * gets nothing new until it catches up through pump, so nothing is skipped. It runs inside
     * the sender's delivery, which a failure here must not fail (the message is stored): that
     * subscription is left behind instead, to catch up from the store.
     */
    const onDelivery = (sub: Subscription, m: MailboxMessage) => {
      if (sub.pumping) {
        sub.missed = true;
        return;
      }
      if (sub.behind || ws.bufferedAmount >= MAX_BUFFERED_BYTES) {
        sub.behind = true;
        return;
      }
      try {
        if (m.seq > sub.lastSeq) push(sub, m);
      } catch {
        sub.behind = true;
        log.error({ event: 'ws-push-failed' }, 'push failed');
      }
    };

    const malformed = () => {
      badFrames++;
      fail(undefined, 'bad-request', 'malformed frame');
      if (badFrames >= MAX_SOCKET_BAD_FRAMES) ws.close(1008, 'too many malformed frames');
    };

    /**
     * A send (JSON or binary: `binary` says how to answer). Any connection may send (sealed
     * sender): the sender key is the authorisation, proved by the delivery's own signature or,
     * once per connection, by a sending proof. This and ack are not async functions: an async
     * frame per layer lives as long as the group commit, and every scavenge copies it.
     */
    function sendInto(
      id: number,
      mailbox: Uint8Array,
      envelope: Uint8Array,
      signature: Uint8Array | undefined,
      binary: boolean,
    ): Promise<void> | undefined {
      let delivery: Promise<{ seq: number }>;
      if (signature !== undefined) delivery = deliver(deps, 'websocket', mailbox, envelope, signature);
      else if (authorized.has(idKey(mailbox))) delivery = deliverAuthorized(deps, mailbox, envelope);
      else {
        fail(id, 'unauthorized', 'sign the delivery, or authorise the mailbox on this connection');
        return undefined;
      }
      return delivery.then(
        ({ seq }) => (binary ? write(binarySent(id, seq)) : send({ type: 'sent', id, seq })),
        (e: unknown) => {
          if (!DomainError.is(e)) throw e;
          fail(id, wireCodeOf(e), e.message);
        },
      );
    }

    /** An ack (JSON or binary); without an id only a refusal is answered. */
    function ack(
      id: number | undefined,
      mailbox: Uint8Array,
      seqs: readonly number[],
      binary: boolean,
    ): Promise<void> | undefined {
      const sub = subs.get(idKey(mailbox));
      if (sub === undefined) {
        fail(id, 'forbidden', 'subscribe to the mailbox first');
        return undefined;
      }
      return deps.mailboxes.ack(mailbox, seqs).then((deleted) => {
        if (id !== undefined && binary) write(binaryAcked(id, deleted));
        else if (id !== undefined) send({ type: 'acked', id, deleted });
        // The client is catching up: feed what was held back. A subscription that is not behind
        // has been pushed everything committed since it subscribed, so there is nothing to read.
        if (sub.behind) pump(sub);
      });
    }

    /** A binary frame: the same requests as their JSON forms, answered in binary (errors in JSON). */
    function handleBinary(data: RawData): Promise<void> | undefined {
      const f = parseBinaryFrame(data);
      if (f === null) {
        malformed();
        return undefined;
      }
      if (f.type === 'send') return sendInto(f.id, f.mailbox, f.envelope, f.signature, true);
      return ack(f.id === 0 ? undefined : f.id, f.mailbox, f.seqs, true);
    }

    async function handle(raw: string): Promise<void> {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const parsed = Frame.safeParse(json);
      if (!parsed.success) return malformed();
      const f = parsed.data;
      if (f.type === 'challenge') {
        const { challenge } = await issueChallenge(deps.challenges);
        send({ type: 'challenge', id: f.id, challenge: toB64url(challenge) });
      } else if (f.type === 'subscribe') {
        const key = idKey(f.mailbox);
        // Subscribed already: it keeps its push mode.
        if (subs.has(key)) return send({ type: 'subscribed', id: f.id, mailbox: toB64url(f.mailbox) });
        if (subs.size >= MAX_SOCKET_SUBSCRIPTIONS) return fail(f.id, 'rate-limited', 'too many subscriptions');
        if (!(await provesOwnership(owners, f.mailbox, f.challenge, f.proof)))
          return fail(f.id, 'unauthorized', 'a valid mailbox proof is required');
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
        sub.unsubscribe = deps.events.subscribe(f.mailbox, (m) => onDelivery(sub, m));
        subs.set(key, sub);
        send({ type: 'subscribed', id: f.id, mailbox: toB64url(f.mailbox) });
        pump(sub);
      } else if (f.type === 'authorize') {
        const key = idKey(f.mailbox);
        if (!authorized.has(key)) {
          if (authorized.size >= MAX_SOCKET_AUTHORIZED)
            return fail(f.id, 'rate-limited', 'too many authorised mailboxes');
          if (!(await provesOwnership(senders, f.mailbox, f.challenge, f.proof)))
            return fail(f.id, 'unauthorized', 'a valid sending proof is required');
          authorized.add(key);
        }
        send({ type: 'authorized', id: f.id, mailbox: toB64url(f.mailbox) });
      } else if (f.type === 'send') await sendInto(f.id, f.mailbox, f.envelope, f.signature, false);
      else await ack(f.id, f.mailbox, f.seqs, false);
    }

    write(HELLO);
    const internalError = () => fail(undefined, 'internal', 'internal error');
    ws.on('message', (data, isBinary) => {
      // Nothing may throw back into `ws`: an error here would be the process's uncaught exception.
      try {
        (isBinary ? handleBinary(data) : handle(data.toString()))?.catch(internalError);
      } catch {
        internalError();
      }
    });
    ws.on('pong', () => {
      alive = true;
    });
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, pingIntervalMs);
    ping.unref();
    ws.on('close', () => {
      deps.metrics?.websocketConnections.dec();
      clearInterval(ping);
      for (const sub of subs.values()) sub.unsubscribe();
      subs.clear();
    });
    ws.on('error', () => ws.terminate());
  }

  return {
    close() {
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      wss.close();
    },
  };
}
