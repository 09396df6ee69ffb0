/**
 * Sending typing indicators (docs/client.md §4.11): a `typing` payload sealed for every device of
 * the contact we can reach, its sessions committed, and each envelope delivered **once** — never
 * put in the outbox, never resent, never stored in history. A delivery that fails is dropped: a
 * typing indicator that arrives late is worse than none.
 *
 * Sent only while this client is online (its push connection open: an app in use), only to a
 * connected contact, never when the profile's `sendTyping` is off, and no more than the receiver
 * needs: `active: true` at most every {@link TYPING_REFRESH_MS} per contact, `active: false` only
 * after a `true` (a text sent in between ends it on the receiver's side, so none is needed then).
 */
import { seal } from '../engine/conversation.ts';
import { type PeerMailbox, put, SELF_CONTACT } from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { findContact } from './contact-lookup.ts';
import { type ClientContext, getRecord } from './context.ts';
import { deliver } from './outbox.ts';
import { reachable } from './own-devices.ts';
import { readSettings } from './settings.ts';

/** An `active: true` repeated sooner than this for one contact is not sent again. */
export const TYPING_REFRESH_MS = 2_000;

/** What this client last told each contact (contact id → whether active, and when). */
export class TypingSent {
  private readonly last = new Map<string, { readonly active: boolean; readonly at: number }>();

  /** Whether `active` needs sending to contact `id` now. */
  due(id: string, active: boolean, now: number): boolean {
    const prev = this.last.get(id);
    if (!active) return prev?.active === true;
    return prev?.active !== true || now - prev.at >= TYPING_REFRESH_MS;
  }

  sent(id: string, active: boolean, now: number): void {
    this.last.set(id, { active, at: now });
  }

  /** A text went to contact `id`: the receiver's indicator ends with it. */
  ended(id: string): void {
    this.last.delete(id);
  }
}

/** Tells a contact we are typing (`active`) or stopped; does nothing when not due or not allowed. */
export async function sendTyping(
  ctx: ClientContext,
  sent: TypingSent,
  nameOrId: string,
  active: boolean,
): Promise<void> {
  // Called at every keystroke: by id (what apps pass) it is one record, not the contact list.
  const byId = nameOrId === SELF_CONTACT ? undefined : await getRecord(ctx, 'contact', nameOrId);
  const c = byId ?? (await findContact(ctx, nameOrId));
  if (c.state !== 'connected' || ctx.push?.connected !== true) return;
  // A verified contact whose key changed gets nothing until the user accepts the new key (as texts).
  if (c.replacedIdentity !== null && c.verification === 'verified') return;
  if (!sent.due(c.id, active, ctx.env.now())) return;
  if (!(await readSettings(ctx)).sendTyping) return;
  // Sealing advances each device's ratchet: the sessions are committed before anything leaves.
  const envelopes = await ctx.serial(async () => {
    const out: { mailbox: PeerMailbox; envelope: Uint8Array }[] = [];
    const writes: RecordWrite[] = [];
    for (const d of await reachable(ctx, c.id)) {
      const { device, envelope } = seal(ctx.env, d, { t: 'typing', active });
      if (device.theirMailbox === null) continue;
      writes.push(put('device', device.id, device));
      out.push({ mailbox: device.theirMailbox, envelope });
    }
    if (writes.length > 0) await ctx.commit(writes);
    return out;
  });
  sent.sent(c.id, active, ctx.env.now());
  await Promise.all(envelopes.map((e) => deliver(ctx, e).catch(() => undefined)));
}
