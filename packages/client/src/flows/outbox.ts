/**
 * Delivering the outbox (docs/client.md §4.3): envelopes committed with the state change that
 * sealed them, retried at every `sync`, reconnect and send until a server takes or refuses them.
 * What goes to our own server takes the push connection while it is open (one sending proof per
 * connection instead of a signature and an HTTP request per envelope); the rest goes over HTTP.
 */

import { decodeAs } from '../engine/record-schemas.ts';
import { del, type MessageRecord, messageKind, type OutboxRecord, put } from '../engine/records.ts';
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

/** Delivers what is queued for `server`, in order, until it is all gone or one waits. Run in its lane. */
async function flushServer(ctx: ClientContext, server: string): Promise<void> {
  for (const row of await ctx.store.list('outbox')) {
    const o = decodeAs('outbox', row.value);
    if (o.mailbox.server !== server) continue;
    let status: MessageRecord['status'] = 'sent';
    try {
      await deliver(ctx, o);
    } catch (e) {
      if (!refusedForGood(e)) throw e; // the rest for this server waits for the next flush
      status = 'failed';
    }
    await ctx.serial(async () => {
      if ((await ctx.store.get('outbox', row.id)) === undefined) return;
      const writes: RecordWrite[] = [del('outbox', row.id)];
      if (o.message !== null) {
        const m = await getMessage(ctx, o.message.conversationId, o.message.id);
        if (m && m.status === 'queued') writes.push(put(messageKind(m.conversationId), m.id, { ...m, status }));
      }
      await ctx.commit(writes);
    });
  }
}

/**
 * Delivers one envelope: over the push connection if it goes to our own server (spelt as our
 * profile spells it) and the connection is open, else over HTTP. A socket that fails on the way
 * (`server-unreachable`: it closed, or did not answer in time) hands the envelope to HTTP at once:
 * deliveries are idempotent, so one that did arrive is recognised, not stored twice. Every other
 * failure is the server's answer, the same on both transports.
 */
async function deliver(ctx: ClientContext, o: OutboxRecord): Promise<void> {
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
