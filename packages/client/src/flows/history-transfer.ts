/**
 * History transfer (docs/client.md §4.10): the items a new device gets after its grant — its
 * contacts, each with the mailboxes their devices gave us (where the new device introduces
 * itself), then the messages the user chose — read from the store on the existing device and
 * written on the new one. Applying is idempotent: contacts, conversations and messages keep their
 * ids, so an item sent twice (after a restart) is written twice to the same record, never doubled.
 */

import { type HistoryCursor, type HistoryPlan, planHistory, type ScannedMessage } from '../engine/history-plan.ts';
import {
  CHUNK_TARGET_BYTES,
  type ContactItem,
  type HistoryChoice,
  type HistoryItem,
  MAX_ITEM_BYTES,
  type MessageItem,
} from '../engine/link-wire.ts';
import { encodeRecord } from '../engine/record-json.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import {
  type ContactRecord,
  deviceRecordId,
  type MessageRecord,
  messageKind,
  put,
  SELF_CONTACT,
} from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getRecord, listRecords } from './context.ts';
import { introRecord } from './device-intro.ts';
import { devicesOf } from './peers.ts';

const PAGE = 256;

/** A contact as an item, with its devices we can reach; null if there is none (pending). */
async function contactItem(ctx: ClientContext, c: ContactRecord): Promise<ContactItem | null> {
  if (c.id === SELF_CONTACT || c.state !== 'connected') return null;
  const devices = (await devicesOf(ctx, c.id)).flatMap((d) =>
    d.theirMailbox === null || d.needsIntro || d.stale ? [] : [{ device: d.device, theirMailbox: d.theirMailbox }],
  );
  if (devices.length === 0) return null;
  return {
    t: 'contact',
    id: c.id,
    name: c.name,
    aliasSet: c.aliasSet,
    ...(c.suggestedName === undefined ? {} : { suggestedName: c.suggestedName }),
    keySource: c.keySource,
    verification: c.verification,
    identity: c.identity,
    createdAt: c.createdAt,
    conversationId: c.conversationId,
    ...(c.deviceList === undefined ? {} : { deviceList: c.deviceList }),
    devices,
  };
}

const messageItem = (m: MessageRecord): MessageItem => ({
  t: 'message',
  id: m.id,
  conversationId: m.conversationId,
  direction: m.direction,
  fromDevice: m.from?.device ?? null,
  text: m.text,
  sentAt: m.sentAt,
  storedAt: m.storedAt,
  status: m.status,
  wireId: m.wireId,
});

const sizeOf = (item: HistoryItem) => encodeRecord(item).length + 1;

/** E: what to send for `choice` (contacts that can be reached, then the chosen messages). */
export async function planTransfer(ctx: ClientContext, choice: HistoryChoice): Promise<HistoryPlan> {
  const contacts: string[] = [];
  const conversations = new Map<string, ScannedMessage[]>();
  for (const c of await listRecords(ctx, 'contact')) {
    if ((await contactItem(ctx, c)) === null) continue;
    contacts.push(c.id);
    if (choice.kind === 'none') continue;
    const scanned: ScannedMessage[] = [];
    for (const r of await ctx.store.list(messageKind(c.conversationId))) {
      const m = decodeAs('message', r.value);
      scanned.push({ id: m.id, storedAt: m.storedAt, bytes: sizeOf(messageItem(m)) });
    }
    conversations.set(c.conversationId, scanned);
  }
  return planHistory(choice, ctx.env.now(), contacts, conversations);
}

/**
 * E: the items of the chunk starting at `cursor`, up to {@link CHUNK_TARGET_BYTES} (one larger
 * item goes alone; one past {@link MAX_ITEM_BYTES} is skipped and counted), and where the next
 * chunk starts; `items` is empty when everything was sent.
 */
export async function buildChunk(
  ctx: ClientContext,
  plan: HistoryPlan,
  cursor: HistoryCursor,
): Promise<{ items: HistoryItem[]; next: HistoryCursor; skipped: number }> {
  const items: HistoryItem[] = [];
  let bytes = 0;
  let skipped = 0;
  let { seg, after } = cursor;
  const take = (item: HistoryItem): boolean => {
    const size = sizeOf(item);
    if (size > MAX_ITEM_BYTES) {
      skipped += 1;
      return true;
    }
    if (items.length > 0 && bytes + size > CHUNK_TARGET_BYTES) return false;
    items.push(item);
    bytes += size;
    return true;
  };
  while (seg <= plan.ranges.length) {
    if (seg === 0) {
      const ids = plan.contacts.filter((id) => id > after);
      let full = false;
      for (const id of ids) {
        const c = await getRecord(ctx, 'contact', id);
        const item = c === undefined ? null : await contactItem(ctx, c);
        if (item !== null && !take(item)) {
          full = true;
          break;
        }
        after = id;
      }
      if (full) return { items, next: { seg, after }, skipped };
    } else {
      const range = plan.ranges[seg - 1];
      if (range === undefined) break;
      const kind = messageKind(range.conversationId);
      let from = after === '' ? range.after : after;
      for (;;) {
        const rows = (await ctx.store.list(kind, { after: from, limit: PAGE })).filter((r) => r.id <= range.to);
        for (const r of rows) {
          if (!take(messageItem(decodeAs('message', r.value)))) return { items, next: { seg, after }, skipped };
          after = r.id;
        }
        if (rows.length < PAGE) break;
        from = after;
      }
    }
    seg += 1;
    after = '';
  }
  return { items, next: { seg, after: '' }, skipped };
}

/**
 * N: the writes that store `items`, and how many of them were new. A contact's devices get a
 * mailbox of ours each (created on our server here) and `needsIntro`: the intro flow
 * (device-intro.ts) then starts a session with each through the mailbox it gave our other
 * device. A contact or device already stored is left as it is.
 */
export async function applyItems(ctx: ClientContext, items: readonly HistoryItem[]): Promise<RecordWrite[]> {
  const writes: RecordWrite[] = [];
  const contactOf = new Map<string, string>();
  for (const item of items) {
    if (item.t === 'contact') {
      contactOf.set(item.conversationId, item.id);
      if ((await getRecord(ctx, 'contact', item.id)) === undefined) {
        const contact: ContactRecord = {
          v: 2,
          id: item.id,
          name: item.name,
          aliasSet: item.aliasSet,
          ...(item.suggestedName === undefined ? {} : { suggestedName: item.suggestedName }),
          keySource: item.keySource,
          verification: item.verification,
          identity: item.identity,
          replacedIdentity: null,
          state: 'connected',
          createdAt: item.createdAt,
          conversationId: item.conversationId,
          ...(item.deviceList === undefined ? {} : { deviceList: item.deviceList }),
        };
        writes.push(
          put('contact', contact.id, contact),
          put('conversation', item.conversationId, {
            v: 2,
            id: item.conversationId,
            kind: 'direct',
            contactId: item.id,
            createdAt: item.createdAt,
          }),
        );
      }
      for (const d of item.devices) {
        const id = deviceRecordId(item.id, d.device);
        if ((await getRecord(ctx, 'device', id)) !== undefined) continue;
        writes.push(put('device', id, await introRecord(ctx, item.id, d.device, d.theirMailbox)));
      }
    } else {
      let contactId = contactOf.get(item.conversationId);
      if (contactId === undefined) {
        const conversation = await getRecord(ctx, 'conversation', item.conversationId);
        if (conversation === undefined) continue; // its contact was not sent: nothing to attach it to
        contactId = conversation.contactId;
        contactOf.set(item.conversationId, contactId);
      }
      const m: MessageRecord = {
        v: 2,
        id: item.id,
        conversationId: item.conversationId,
        direction: item.direction,
        from: item.direction === 'in' ? { contactId, device: item.fromDevice ?? 0 } : null,
        text: item.text,
        sentAt: item.sentAt,
        storedAt: item.storedAt,
        status: item.status,
        wireId: item.wireId,
      };
      writes.push(put(messageKind(item.conversationId), item.id, m));
    }
  }
  return writes;
}
