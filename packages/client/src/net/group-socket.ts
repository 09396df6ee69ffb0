/**
 * `GroupSocket`: one WebSocket to a home server's `/v1/ws` that follows a set of groups' logs
 * (docs/server.md "Groups") and hands each pushed entry to one async handler, in order.
 *
 * - A followed group is subscribed with its current epoch's write key and a cursor (the last seq
 *   handled): a `subscribe-group` frame whose group proof answers a challenge asked for on the
 *   same connection (protocol group-proof.ts). The server pushes that epoch's entries after the
 *   cursor, up to and including the commit that closes the epoch, and stops there. The handler
 *   processes the commit (the group engine moves to the next epoch) and calls `follow` again with
 *   the next epoch's key: only then does the stream go on. So the socket never needs a key it
 *   has not been given, and a member removed by a commit is simply never given the next one.
 * - Entries go to the handler strictly one at a time, in arrival order; the cursor moves past an
 *   entry once its handler resolves. A copy of an entry at or before the cursor is dropped. A
 *   handler that rejects stops its group (reported to `onError`) until `follow` is called again.
 * - Every (re)connection subscribes every followed group again from its cursor, with a fresh
 *   challenge; a closed or failed connection is retried with exponential backoff and full jitter.
 * - A subscription the server refuses is reported with the group's id and dropped: `server-error`
 *   with `serverCode` `gone` means the log no longer holds what comes next (rejoin the group),
 *   `unauthorized` that the key is not (or no longer) the epoch's.
 * - Nothing the network sends can throw out of an event handler: malformed frames are reported
 *   through `onError` and ignored.
 *
 * @example
 * ```ts
 * const socket = new GroupSocket(serverUrl, {
 *   onEntry: async (groupId, entry) => {
 *     const step = await engine.process(state, entry.message);
 *     if (step.kind === 'commit') socket.follow(groupId, nextKey(step.state), entry.seq);
 *   },
 * });
 * socket.follow(groupId, { epoch: 3, privateKey }, lastSeq);
 * ```
 */
import {
  defaultEnv,
  encodeWireBytes,
  GROUP_ID_BYTES,
  type ProtocolEnv,
  proveGroupAccess,
  socketOperation,
} from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';
import { ClientError } from '../errors.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import type { GroupEntry, GroupWriteKey } from './group-api.ts';
import { DEFAULT_TIMEOUT_MS } from './server-api.ts';
import { malformedAnswer, signing, socketError } from './server-errors.ts';
import { websocketUrl } from './server-url.ts';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.ts';

export interface GroupSocketOptions {
  /** Handles one entry; the next is handed over only once this settles. */
  readonly onEntry: (groupId: Uint8Array, entry: GroupEntry) => Promise<void>;
  /** Refused subscriptions (with the group's id), failed handlers (too), malformed frames. */
  readonly onError?: (error: ClientError, groupId?: Uint8Array) => void;
  readonly env?: ProtocolEnv;
  /** Default: the platform's global `WebSocket`. */
  readonly WebSocket?: WebSocketConstructor;
  /** How long a subscription may wait for its answers before the connection is given up (default 15 s). */
  readonly timeoutMs?: number;
  readonly backoff?: BackoffOptions;
}

interface Followed {
  readonly groupId: Uint8Array;
  readonly groupText: string;
  key: GroupWriteKey;
  /** The last seq handled. */
  cursor: number;
  /** The last seq queued for the handler (≥ cursor). */
  queued: number;
  /** Subscribed on the current connection (a subscription is under way or answered). */
  subscribed: boolean;
  /** Its epoch's commit was pushed: nothing more comes until `follow` gives the next key. */
  awaitingKey: boolean;
}

const SUBSCRIBE_GROUP = socketOperation('subscribe-group');

const Entry = z.object({
  type: z.literal('group-message'),
  group: b64url(GROUP_ID_BYTES),
  seq: z.number().int().min(1),
  epoch: z.number().int().min(0),
  kind: z.enum(['application', 'commit']),
  message: b64url(),
  nextWriteKey: b64url(32).optional(),
  receivedAt: z.number().int().min(0),
});
const Answer = z.union([
  z.object({ type: z.literal('challenge'), id: z.number().int(), challenge: b64url(32) }),
  z.object({ type: z.literal('group-subscribed'), id: z.number().int() }),
  z.object({ type: z.literal('error'), id: z.number().int(), error: z.object({ code: z.string() }) }),
]);

export class GroupSocket {
  private readonly url: string;
  private readonly env: ProtocolEnv;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly timeoutMs: number;
  private readonly backoff: Backoff;
  private readonly groups = new Map<string, Followed>();
  private ws: WebSocketLike | null = null;
  private openedAt = 0;
  private nextId = 1;
  /** Requests waiting for their answer frame, by id. */
  private readonly waiting = new Map<number, (frame: z.output<typeof Answer>) => void>();
  /** Subscription frame ids → the group they subscribed (errors later in the stream repeat them). */
  private readonly subscriptionOf = new Map<number, string>();
  private readonly queue: { key: string; entry: GroupEntry }[] = [];
  private draining = false;
  private closed = false;
  private reconnect: ReturnType<typeof setTimeout> | undefined;

  constructor(
    serverUrl: string,
    private readonly options: GroupSocketOptions,
  ) {
    this.url = websocketUrl(serverUrl);
    this.env = options.env ?? defaultEnv;
    const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const impl = options.WebSocket ?? global;
    if (impl === undefined) throw new ClientError('usage', 'No WebSocket implementation: pass one in the options.');
    this.WebSocketImpl = impl;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.backoff = new Backoff(options.backoff);
  }

  /**
   * Follows the group with `key` (its current epoch's write key) from after seq `after`, or moves
   * an already followed group on to `key`'s epoch (after its commit, at the commit's seq).
   */
  follow(groupId: Uint8Array, key: GroupWriteKey, after: number): void {
    if (this.closed) throw new ClientError('usage', 'The group socket is closed.');
    if (groupId.length !== GROUP_ID_BYTES || !Number.isSafeInteger(after) || after < 0)
      throw new ClientError('usage', 'A group id or cursor passed to the network layer is malformed.');
    const text = encodeWireBytes(groupId);
    const g: Followed = {
      groupId: groupId.slice(),
      groupText: text,
      key,
      cursor: after,
      queued: after,
      subscribed: false,
      awaitingKey: false,
    };
    this.groups.set(text, g);
    if (this.ws === null) this.connect();
    else if (this.openedAt > 0) void this.subscribe(g, this.ws);
  }

  /** Stops following the group (entries already queued for it are dropped). */
  unfollow(groupId: Uint8Array): void {
    this.groups.delete(encodeWireBytes(groupId));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnect);
    this.groups.clear();
    this.ws?.close(1000, 'closing');
    this.ws = null;
  }

  private connect(): void {
    if (this.closed || this.ws !== null) return;
    const ws = new this.WebSocketImpl(this.url);
    this.ws = ws;
    this.openedAt = 0;
    ws.onopen = () => {
      this.openedAt = Date.now();
      for (const g of this.groups.values()) void this.subscribe(g, ws);
    };
    ws.onmessage = (event: never) => this.received((event as { data: unknown }).data);
    ws.onclose = () => this.lost(ws);
    ws.onerror = () => this.lost(ws);
  }

  /** The connection ended: every group is unsubscribed; connect again later if anything is followed. */
  private lost(ws: WebSocketLike): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.backoff.ended(this.openedAt > 0 ? Date.now() - this.openedAt : 0);
    this.openedAt = 0;
    this.waiting.clear();
    this.subscriptionOf.clear();
    for (const g of this.groups.values()) g.subscribed = false;
    if (!this.closed && this.groups.size > 0) this.reconnect = setTimeout(() => this.connect(), this.backoff.next());
  }

  private request(ws: WebSocketLike, frame: Record<string, unknown>): Promise<z.output<typeof Answer>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new ClientError('server-unreachable', 'The server did not answer in time.'));
        ws.close(4000, 'no answer');
        this.lost(ws);
      }, this.timeoutMs);
      this.waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      if (frame.type === 'subscribe-group') {
        // The group's earlier subscription on this connection is replaced: forget its id.
        for (const [old, group] of this.subscriptionOf) if (group === frame.group) this.subscriptionOf.delete(old);
        this.subscriptionOf.set(id, String(frame.group));
      }
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  private async subscribe(g: Followed, ws: WebSocketLike): Promise<void> {
    if (g.subscribed || g.awaitingKey || this.groups.get(g.groupText) !== g) return;
    g.subscribed = true;
    const key = g.key;
    try {
      const c = await this.request(ws, { type: 'challenge' });
      if (c.type !== 'challenge') throw c.type === 'error' ? socketError(c.error.code) : malformedAnswer();
      const proof = signing(() =>
        proveGroupAccess(this.env, key.privateKey, g.groupId, key.epoch, c.challenge, SUBSCRIBE_GROUP),
      );
      const answer = await this.request(ws, {
        type: 'subscribe-group',
        group: g.groupText,
        epoch: key.epoch,
        after: g.queued,
        challenge: encodeWireBytes(c.challenge),
        proof: encodeWireBytes(proof),
      });
      if (answer.type === 'error') this.refused(g, answer.error.code);
      else if (answer.type !== 'group-subscribed') throw malformedAnswer();
    } catch (e) {
      if (this.ws === ws) g.subscribed = false;
      if (ClientError.is(e) && e.code !== 'server-unreachable') this.options.onError?.(e, g.groupId);
    }
  }

  /** The server refused the group's subscription (then or later): it is dropped. */
  private refused(g: Followed, code: string): void {
    if (this.groups.get(g.groupText) === g) this.groups.delete(g.groupText);
    this.options.onError?.(socketError(code), g.groupId);
  }

  private received(data: unknown): void {
    try {
      if (typeof data !== 'string') throw malformedAnswer();
      const json: unknown = JSON.parse(data);
      const type = (json as { type?: unknown } | null)?.type;
      if (type === 'hello') return;
      if (type === 'group-message') {
        this.pushed(Entry.parse(json));
        return;
      }
      const answer = Answer.safeParse(json);
      if (!answer.success) throw malformedAnswer();
      const waiter = this.waiting.get(answer.data.id);
      if (waiter !== undefined) {
        this.waiting.delete(answer.data.id);
        waiter(answer.data);
        return;
      }
      // A refusal later in a subscription's stream (`gone`): it repeats the subscription's id.
      const group = answer.data.type === 'error' ? this.subscriptionOf.get(answer.data.id) : undefined;
      const g = group === undefined ? undefined : this.groups.get(group);
      if (g !== undefined && answer.data.type === 'error') this.refused(g, answer.data.error.code);
    } catch {
      this.options.onError?.(malformedAnswer());
    }
  }

  private pushed(f: z.output<typeof Entry>): void {
    const text = encodeWireBytes(f.group);
    const g = this.groups.get(text);
    // Not followed (any more), another epoch than the key's, or a copy of one queued already.
    if (g === undefined || f.epoch !== g.key.epoch || f.seq <= g.queued || g.awaitingKey) return;
    if ((f.kind === 'commit') !== (f.nextWriteKey !== undefined)) throw malformedAnswer();
    g.queued = f.seq;
    if (f.kind === 'commit') g.awaitingKey = true;
    const entry: GroupEntry = {
      seq: f.seq,
      epoch: f.epoch,
      kind: f.kind,
      message: f.message,
      nextWriteKey: f.nextWriteKey ?? null,
      receivedAt: f.receivedAt,
    };
    this.queue.push({ key: text, entry });
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const g = this.groups.get(next.key);
        if (g === undefined || next.entry.seq <= g.cursor) continue;
        try {
          await this.options.onEntry(g.groupId, next.entry);
          // The handler may have moved the group on (`follow` with the next key): that is a new entry.
          const now = this.groups.get(next.key);
          if (now === g) g.cursor = next.entry.seq;
        } catch (e) {
          // Stopped until followed again; what was queued after it goes with it.
          if (this.groups.get(next.key) === g) this.groups.delete(next.key);
          this.options.onError?.(
            ClientError.is(e) ? e : new ClientError('internal', 'A group entry handler failed.', { cause: e }),
            g.groupId,
          );
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
