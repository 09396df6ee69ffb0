/**
 * A WebSocket connection's group subscriptions (issue 20; docs/server.md "Groups"): the
 * `subscribe-group` frame carries a group proof by one epoch's write key, bound to the frame type
 * (protocol group-proof.ts, §3.5.1), and the subscription then carries that epoch's entries —
 * what is stored after `after`, then each new one as it commits — up to and including the commit
 * that closes the epoch, and ends there: the member processes the commit and subscribes again with
 * the next epoch's key. So a socket, like a read, shows a key's holder nothing past its epoch.
 *
 *   → {"type":"subscribe-group","id","group","epoch","after"?,"challenge","proof"}
 *   ← {"type":"group-subscribed","id","group","epoch"}
 *   ← {"type":"group-message","group","seq","epoch","kind","message","nextWriteKey"?,"receivedAt"}…
 *
 * An entry this process stored is pushed as it is to the subscribers of its epoch that have been
 * pushed everything before it, serialised once for all of them; otherwise (catching up, behind,
 * or a cluster's notice) the subscription reads the store (groups/group-events.ts). Entries
 * are not acknowledged: a group log is read by every member and kept until retention deletes it.
 * If retention deletes entries a subscriber has not been pushed yet, it is told `gone` (rejoin) in
 * an error frame with its `subscribe-group` frame's id, and the subscription ends.
 */
import {
  type JsonGroupMessageFrame,
  type JsonGroupSubscribedFrame,
  MAX_SOCKET_GROUP_SUBSCRIPTIONS,
  socketOperation,
  type WireErrorCode,
} from '@parley/protocol';
import type { ApiDeps } from '../api-deps.ts';
import { DomainError, wireCodeOf } from '../domain-error.ts';
import { mustRejoin, proveGroupAccess } from '../groups/group-access.ts';
import { wireEntry } from '../groups/wire-entry.ts';
import { idKey } from '../id-key.ts';
import type { Logger } from '../logger.ts';
import type { GroupEntry } from '../storage/index.ts';
import { toB64url } from '../wire-json.ts';

/** What the proof of a `subscribe-group` frame is bound to (protocol §3.5.1). */
const SUBSCRIBE_GROUP = socketOperation('subscribe-group');
const PAGE = 200;

/** Each entry in hand serialised once, however many subscriptions of this process push it. */
const serialised = new WeakMap<GroupEntry, string>();

function frameText(groupText: string, e: GroupEntry): string {
  let text = serialised.get(e);
  if (text === undefined) {
    const frame: JsonGroupMessageFrame = { type: 'group-message', group: groupText, ...wireEntry(e) };
    text = JSON.stringify(frame);
    serialised.set(e, text);
  }
  return text;
}

export interface SubscribeGroupFrame {
  readonly id: number;
  readonly group: Uint8Array;
  readonly epoch: number;
  readonly after?: number | undefined;
  readonly challenge: Uint8Array;
  readonly proof: Uint8Array;
}

/** What the subscriptions need of their connection. */
export interface GroupSubscriptionHost {
  readonly deps: ApiDeps;
  readonly log: Logger;
  /** Sends a frame (nothing once the connection is closing). */
  send(frame: JsonGroupSubscribedFrame | JsonGroupMessageFrame): void;
  /** Sends a frame already serialised. */
  sendText(text: string): void;
  fail(id: number | undefined, code: WireErrorCode, message: string): void;
  /** Whether the client reads too slowly: stop pushing until drained. */
  congested(): boolean;
  readonly closed: boolean;
}

interface GroupSubscription {
  /** The id of the `subscribe-group` frame: a later refusal (`gone`) repeats it. */
  readonly frameId: number;
  readonly group: Uint8Array;
  readonly groupText: string;
  readonly epoch: number;
  /** The epoch's first seq: entries before it are another epoch's. */
  readonly firstSeq: number;
  lastSeq: number;
  pumping: boolean;
  missed: boolean;
  /** Stopped for backpressure: read again once the client drains. */
  behind: boolean;
  unsubscribe(): void;
}

export class GroupSubscriptions {
  readonly #host: GroupSubscriptionHost;
  readonly #subs = new Map<string, GroupSubscription>();
  #proving = 0;

  constructor(host: GroupSubscriptionHost) {
    this.#host = host;
  }

  async subscribe(f: SubscribeGroupFrame): Promise<void> {
    const host = this.#host;
    const key = idKey(f.group);
    if (!this.#subs.has(key) && this.#subs.size + this.#proving >= MAX_SOCKET_GROUP_SUBSCRIPTIONS) {
      return host.fail(f.id, 'rate-limited', 'too many group subscriptions');
    }
    let access: Awaited<ReturnType<typeof proveGroupAccess>>;
    this.#proving++;
    try {
      access = await proveGroupAccess(
        host.deps,
        { groupId: f.group, epoch: f.epoch, challenge: f.challenge, proof: f.proof },
        SUBSCRIBE_GROUP,
      );
    } catch (e) {
      if (DomainError.is(e)) return host.fail(f.id, wireCodeOf(e), e.message);
      throw e;
    } finally {
      this.#proving--;
    }
    if (host.closed) return;
    const after = f.after ?? 0;
    if (mustRejoin(access, after))
      return host.fail(f.id, 'gone', 'what comes next is no longer kept: rejoin the group');
    // One subscription per group: a new epoch's replaces the last one's.
    this.#end(key);
    const sub: GroupSubscription = {
      frameId: f.id,
      group: f.group,
      groupText: toB64url(f.group),
      epoch: f.epoch,
      firstSeq: access.key.firstSeq,
      lastSeq: Math.max(after, access.key.firstSeq - 1),
      pumping: false,
      missed: false,
      behind: false,
      unsubscribe: () => {},
    };
    sub.unsubscribe = host.deps.groupEvents.subscribe(f.group, (seq, entry) => this.#onStored(key, sub, seq, entry));
    this.#subs.set(key, sub);
    host.send({ type: 'group-subscribed', id: f.id, group: sub.groupText, epoch: f.epoch });
    host.deps.groups.touch(f.group, host.deps.env.now()).catch(() => {});
    this.#pump(key, sub);
  }

  /** The client read what it was sent: feed subscriptions held back. */
  drained(): void {
    for (const [key, sub] of this.#subs) if (sub.behind) this.#pump(key, sub);
  }

  closed(): void {
    for (const sub of this.#subs.values()) sub.unsubscribe();
    this.#subs.clear();
  }

  /** The log stored entries up to `seq` (with `entry` in hand when this process stored it). */
  #onStored(key: string, sub: GroupSubscription, seq: number | null, entry: GroupEntry | undefined): void {
    if (seq !== null && seq <= sub.lastSeq) return;
    if (entry !== undefined && entry.epoch > sub.epoch) return; // this epoch is closed and stored
    const next = entry !== undefined && entry.epoch === sub.epoch && entry.seq === sub.lastSeq + 1;
    if (next && !sub.pumping && !sub.behind && !this.#host.congested()) {
      try {
        this.#push(key, sub, entry);
      } catch {
        this.#host.log.error({ event: 'ws-group-push-failed' }, 'group push failed');
      }
      return;
    }
    this.#pump(key, sub);
  }

  /** Pushes one entry; after the commit that closes the epoch, the subscription ends. */
  #push(key: string, sub: GroupSubscription, e: GroupEntry): void {
    this.#host.sendText(frameText(sub.groupText, e));
    this.#host.deps.metrics?.groupPushes.inc();
    sub.lastSeq = e.seq;
    if (e.kind === 'commit') this.#end(key);
  }

  #end(key: string): void {
    this.#subs.get(key)?.unsubscribe();
    this.#subs.delete(key);
  }

  /**
   * Reads and pushes the epoch's entries after lastSeq until a page comes back short with no
   * notice in the meantime; ends the subscription after the commit that closes the epoch.
   */
  #pump(key: string, sub: GroupSubscription): void {
    if (sub.pumping) {
      sub.missed = true;
      return;
    }
    sub.pumping = true;
    const host = this.#host;
    const read = async () => {
      try {
        let page: GroupEntry[];
        do {
          sub.missed = false;
          do {
            if (this.#subs.get(key) !== sub || host.closed) return;
            if (host.congested()) {
              sub.behind = true;
              return;
            }
            sub.behind = false;
            page = await host.deps.groups.read(sub.group, sub.epoch, sub.lastSeq, PAGE);
            if (this.#subs.get(key) !== sub) return;
            const first = page[0];
            if (first !== undefined && first.seq !== sub.lastSeq + 1) {
              // Retention deleted entries this subscriber was not pushed yet.
              this.#end(key);
              return host.fail(sub.frameId, 'gone', 'entries were deleted before they were pushed: rejoin the group');
            }
            for (const e of page) {
              this.#push(key, sub, e);
              // The epoch is closed: nothing more is this key's to see.
              if (e.kind === 'commit') return;
            }
          } while (page.length === PAGE);
        } while (sub.missed);
      } finally {
        sub.pumping = false;
      }
    };
    read().catch(() => host.log.error({ event: 'ws-group-push-failed' }, 'group push failed'));
  }
}
