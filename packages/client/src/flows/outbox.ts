/**
 * Delivering the outbox (docs/client.md §4.3): envelopes committed with the state change that
 * sealed them, retried at every `sync`, reconnect and send until a server takes or refuses them.
 * What goes to our own server takes the push connection while it is open (one sending proof per
 * connection instead of a signature and an HTTP request per envelope); the rest goes over HTTP.
 */

import { decodeAs } from '../engine/record-schemas.ts';
import { del, type MessageRecord, mailboxKey, messageKind, type OutboxRecord, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getMessage, refused } from './context.ts';

/**
 * Delivers queued envelopes, in order per mailbox. A server that cannot take one (unreachable,
 * rate-limited, failing) holds back the rest of what goes to it, not what goes to other servers:
 * a contact's server being down must not stop us talking to everyone else. Throws the first
 * such failure once everything else has been tried.
 *
 * No delivery holds the client's state queue: each server's deliveries run in a lane of their
 * own, and only the outcome (the entry gone, the message `sent` or `failed`) is committed
 * through `ctx.serial` — so a slow server never delays what arrives meanwhile.
 */
export async function flushOutbox(ctx: ClientContext): Promise<void> {
  const servers = new Set<string>();
  for (const row of await ctx.store.list('outbox')) servers.add(decodeAs('outbox', row.value).mailbox.server);
  const results = await Promise.allSettled([...servers].map((s) => ctx.lanes.run(s, () => flushServer(ctx, s))));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** Mailboxes of one server delivered to at once (each one's envelopes still go in order). */
const PARALLEL_MAILBOXES = 8;

/**
 * Delivers what is queued for `server` until it is all gone or what is left waits. Run in its
 * lane. Envelopes go in order per mailbox, and up to {@link PARALLEL_MAILBOXES} mailboxes at once:
 * a text for a contact with six devices is six mailboxes, which would otherwise wait on one
 * another's round trips. A mailbox whose delivery fails for now holds back the rest of its own
 * envelopes, not other mailboxes'. The outcomes (entries gone, messages `sent` or `failed`) are
 * one commit at the end; a crash before it only delivers those envelopes again, which servers
 * recognise (deliveries are idempotent).
 */
async function flushServer(ctx: ClientContext, server: string): Promise<void> {
  const byMailbox = new Map<string, { readonly id: string; readonly o: OutboxRecord }[]>();
  for (const row of await ctx.store.list('outbox')) {
    const o = decodeAs('outbox', row.value);
    if (o.mailbox.server !== server) continue;
    const key = mailboxKey(o.mailbox.id);
    const queue = byMailbox.get(key) ?? [];
    queue.push({ id: row.id, o });
    byMailbox.set(key, queue);
  }
  const done: { readonly id: string; readonly o: OutboxRecord; readonly status: MessageRecord['status'] }[] = [];
  let failure: { readonly error: unknown } | undefined;
  const queues = [...byMailbox.values()];
  const worker = async () => {
    for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
      for (const { id, o } of queue) {
        let status: MessageRecord['status'] = 'sent';
        try {
          await deliver(ctx, o);
        } catch (e) {
          if (!refusedForGood(e)) {
            failure ??= { error: e }; // the rest for this mailbox waits for the next flush
            break;
          }
          status = 'failed';
        }
        done.push({ id, o, status });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_MAILBOXES, queues.length) }, worker));
  if (done.length > 0) {
    await ctx.serial(async () => {
      const writes: RecordWrite[] = [];
      /** A message sealed for several devices is `sent` once any of them has it. */
      const messages = new Map<string, MessageRecord>();
      for (const { id, o, status } of done) {
        if ((await ctx.store.get('outbox', id)) === undefined) continue;
        writes.push(del('outbox', id));
        if (o.message === null) continue;
        const key = `${o.message.conversationId}/${o.message.id}`;
        const m = messages.get(key) ?? (await getMessage(ctx, o.message.conversationId, o.message.id));
        if (m && (m.status === 'queued' || (m.status === 'failed' && status === 'sent' && messages.has(key)))) {
          messages.set(key, { ...m, status });
        }
      }
      for (const m of messages.values()) writes.push(put(messageKind(m.conversationId), m.id, m));
      if (writes.length > 0) await ctx.commit(writes);
    });
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * Delivers one envelope: over the push connection if it goes to our own server (spelt as our
 * profile spells it) and the connection is open, else over HTTP. A socket that fails on the way
 * (`server-unreachable`: it closed, or did not answer in time) hands the envelope to HTTP at once:
 * deliveries are idempotent, so one that did arrive is recognised, not stored twice. Every other
 * failure is the server's answer, the same on both transports.
 */
export async function deliver(ctx: ClientContext, o: Pick<OutboxRecord, 'mailbox' | 'envelope'>): Promise<void> {
  const { server, id, senderPrivateKey } = o.mailbox;
  const push = ctx.push;
  if (push?.connected && server === ctx.profile.server) {
    try {
      await push.send(id, senderPrivateKey, o.envelope);
      return;
    } catch (e) {
      if (!ClientError.is(e, 'server-unreachable')) throw e;
    }
  }
  await ctx.api(server).deliver(id, senderPrivateKey, o.envelope);
}

/**
 * A delivery that failed but stays queued (and is retried): the server could not be reached, was
 * rate-limiting, or failed on its side. The message is already committed, so the caller goes on.
 */
export function ignoreDeliveryFailure(e: unknown): void {
  if (!isPassingFailure(e)) throw e;
}

/** A server that may take it later: unreachable, rate-limiting, or failing on its side. */
export function isPassingFailure(e: unknown): boolean {
  if (ClientError.is(e, 'server-unreachable') || ClientError.is(e, 'rate-limited')) return true;
  return ClientError.is(e, 'server-error') && !refusedForGood(e);
}

/**
 * A server's answer that no retry can change: the mailbox is gone, the sender key is no longer
 * accepted, or the server refuses the envelope itself. Rate limits, time-outs and server
 * failures are worth retrying.
 */
function refusedForGood(e: unknown): boolean {
  return refused(e, 'gone', 'not-owner', 'conflict', 'refused');
}
