/**
 * Our own other devices (docs/client.md §4.9): the self contact whose device records carry the
 * sessions to them, and sealing sync payloads (sent texts, contacts, read state, device names)
 * for every one of them that can take it.
 */
import { encodeIdentity, publicIdentity } from '@parley/protocol';
import { DEFAULT_DEVICE_TIMES, type DeviceTimes } from '../client-options.ts';
import { listedDevices } from '../engine/device-list-check.ts';
import { canSendTo, fanOut } from '../engine/fan-out.ts';
import type { OutgoingPayload } from '../engine/payload.ts';
import { type ContactRecord, put, SELF_CONTACT } from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getRecord } from './context.ts';
import { devicesOf } from './peers.ts';

export function deviceTimes(ctx: ClientContext): DeviceTimes {
  return { ...DEFAULT_DEVICE_TIMES, ...ctx.options.devices };
}

/** The self contact as it is created: our identity, connected and verified, never listed. */
export function selfContactRecord(ctx: ClientContext): ContactRecord {
  const p = ctx.profile;
  return {
    v: 2,
    id: SELF_CONTACT,
    name: p.displayName,
    aliasSet: true,
    keySource: 'invitation',
    verification: 'verified',
    identity: encodeIdentity(publicIdentity(p.identity)),
    replacedIdentity: null,
    state: 'connected',
    createdAt: ctx.env.now(),
    // It has no history: nothing is ever stored under this conversation.
    conversationId: SELF_CONTACT,
  };
}

/** The write that creates the self contact, or none when it exists. Call inside `ctx.serial`. */
export async function selfContactWrites(ctx: ClientContext): Promise<RecordWrite[]> {
  return (await getRecord(ctx, 'contact', SELF_CONTACT)) === undefined
    ? [put('contact', SELF_CONTACT, selfContactRecord(ctx))]
    : [];
}

/** Creates the self contact if it does not exist yet (linking calls it before writing `self/…` devices). */
export async function ensureSelfContact(ctx: ClientContext): Promise<ContactRecord> {
  return ctx.serial(async () => {
    const writes = await selfContactWrites(ctx);
    if (writes.length > 0) await ctx.commit(writes);
    return (await getRecord(ctx, 'contact', SELF_CONTACT)) ?? selfContactRecord(ctx);
  });
}

/** Whether this account has (or is linking) another device. */
export async function hasOtherDevices(ctx: ClientContext): Promise<boolean> {
  const listed = listedDevices(ctx.profile.deviceList);
  if (listed !== null && [...listed].some((d) => d !== ctx.profile.device)) return true;
  return (await devicesOf(ctx, SELF_CONTACT)).length > 0;
}

/**
 * The writes that seal `payload` for each of our other devices we can reach now (none when we
 * have no other device). Call inside `ctx.serial`, and commit them with what they report.
 */
export async function syncWrites(ctx: ClientContext, payload: OutgoingPayload): Promise<RecordWrite[]> {
  const now = ctx.env.now();
  const times = deviceTimes(ctx);
  const devices = (await devicesOf(ctx, SELF_CONTACT)).filter((d) => canSendTo(d, now, times));
  return fanOut(ctx.env, devices, payload, null, ctx.newId).writes;
}
