/**
 * What makes losses visible on both sides (docs/client.md §4.6): the sender resends a text that
 * got no receipt (same message id, a new encryption) a bounded number of times, then marks it
 * `failed` and says so; the receiver reports messages missing from the ratchet's counters once
 * they have stayed missing for a grace period. Run at every sync and on a timer while started.
 */
import { decodeSession } from '@parley/protocol';
import { DEFAULT_DELIVERY, type DeliveryOptions } from '../client-options.ts';
import type { DomainEvent } from '../engine/events.ts';
import { canSendTo, fanOut } from '../engine/fan-out.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import { type AwaitingRecord, type DeviceRecord, del, type GapRecord, messageKind, put } from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getMessage, listRecords } from './context.ts';
import { deviceTimes } from './own-devices.ts';
import { devicesOf, loadPeer } from './peers.ts';

export function deliveryOptions(ctx: ClientContext): DeliveryOptions {
  return { ...DEFAULT_DELIVERY, ...ctx.options.delivery };
}

/**
 * Resends every text whose last encryption got no receipt within `resendAfterMs`, or marks it
 * `failed` (event `not-delivered`) once `maxAttempts` encryptions went unanswered. A text still
 * waiting for its server (`queued`) is not resent: the outbox retries it. Returns whether it
 * queued anything to send.
 */
export async function resendUnconfirmed(ctx: ClientContext): Promise<boolean> {
  const { resendAfterMs, maxAttempts } = deliveryOptions(ctx);
  let queued = false;
  for (const row of await ctx.store.list('awaiting')) {
    await ctx.serial(async () => {
      const bytes = await ctx.store.get('awaiting', row.id);
      if (bytes === undefined) return; // a receipt came meanwhile
      const a = decodeAs('awaiting', bytes);
      const m = await getMessage(ctx, a.conversationId, row.id);
      if (m === undefined || m.direction !== 'out' || m.status === 'delivered' || m.status === 'failed') {
        await ctx.commit([del('awaiting', row.id)]);
        return;
      }
      const now = ctx.env.now();
      if (m.status === 'queued' || now - a.lastAttemptAt < resendAfterMs) return;
      if (a.attempts >= maxAttempts) {
        await ctx.commit([
          del('awaiting', row.id),
          put(messageKind(m.conversationId), m.id, { ...m, status: 'failed' }),
        ]);
        const event: DomainEvent = {
          type: 'not-delivered',
          conversationId: m.conversationId,
          contactId: a.contactId,
          messageIds: [m.id],
        };
        ctx.emit([event]);
        return;
      }
      // Resent to every device of theirs we can reach (§4.9): a receipt from any one of them
      // ends the resends, so which ones lost it is not known.
      const times = deviceTimes(ctx);
      const targets = (await devicesOf(ctx, a.contactId)).filter((d) => canSendTo(d, now, times));
      if (targets.length === 0) return;
      const text = { t: 'text', id: m.wireId, sentAt: m.sentAt, body: m.text } as const;
      const next: AwaitingRecord = { ...a, attempts: a.attempts + 1, lastAttemptAt: now };
      const writes: RecordWrite[] = [
        ...fanOut(ctx.env, targets, text, null, ctx.newId).writes,
        put('awaiting', row.id, next),
      ];
      await ctx.commit(writes);
      queued = true;
    });
  }
  return queued;
}

/**
 * Messages a contact's device numbered that have not arrived: the skipped message keys the
 * ratchet holds for it (Double Ratchet §3.5, MKSKIPPED), in every session kept for that device.
 * They count every message the sender's ratchet numbered (texts, receipts), bounded by what the
 * ratchet keeps.
 */
export function missingCount(d: DeviceRecord): number {
  let n = 0;
  for (const s of [d.session, ...d.previousSessions]) {
    if (s.length === 0) continue; // an intro pending: no session yet
    for (const chain of decodeSession(s).ratchet.skipped) n += chain.keys.size;
  }
  return n;
}

/**
 * Reports (`missing`) each device whose messages have stayed missing for `gapGraceMs`, once per
 * count: a late arrival fills the gap silently (its key is used), a further loss is reported
 * again. Since when a gap is open is a record (`gap`), so short-lived processes (the CLI's
 * `receive`) see the grace period run out across runs.
 */
export async function reportGaps(ctx: ClientContext): Promise<void> {
  const { gapGraceMs } = deliveryOptions(ctx);
  const events: DomainEvent[] = [];
  await ctx.serial(async () => {
    const now = ctx.env.now();
    const writes: RecordWrite[] = [];
    for (const d of await listRecords(ctx, 'device')) {
      const count = missingCount(d);
      const bytes = await ctx.store.get('gap', d.id);
      const g = bytes === undefined ? undefined : decodeAs('gap', bytes);
      if (count === 0) {
        if (g !== undefined) writes.push(del('gap', d.id));
        continue;
      }
      if (g === undefined) {
        const open: GapRecord = { v: 2, since: now, reported: 0 };
        writes.push(put('gap', d.id, open));
        continue;
      }
      if (now - g.since < gapGraceMs || count === g.reported) continue;
      const peer = await loadPeer(ctx, d.contactId);
      if (peer === undefined) continue;
      writes.push(put('gap', d.id, { ...g, reported: count }));
      events.push({ type: 'missing', contact: peer.contact, count });
    }
    if (writes.length > 0) await ctx.commit(writes);
  });
  ctx.emit(events);
}
