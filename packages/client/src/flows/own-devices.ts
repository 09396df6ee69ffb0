/**
 * Our own other devices (docs/client.md §4.9): the self contact whose device records carry the
 * sessions to them, and sealing sync payloads (sent texts, contacts, read state, device names)
 * for every one of them that can take it.
 */
import { decodeDeviceList, encodeIdentity, publicIdentity } from '@parley/protocol';
import type { DeviceView } from '../api.ts';
import { DEFAULT_DEVICE_TIMES, type DeviceTimes } from '../client-options.ts';
import { listedDevices } from '../engine/device-list-check.ts';
import { canSendTo, fanOutAll, isDropped } from '../engine/fan-out.ts';
import type { OutgoingPayload } from '../engine/payload.ts';
import { type ContactRecord, type DeviceRecord, type ProfileRecord, put, SELF_CONTACT } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getRecord } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
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
 * The writes that seal `payloads` (in order) for each of our other devices we can reach now (none when we
 * have no other device). Call inside `ctx.serial`, and commit them with what they report.
 */
export async function syncWrites(ctx: ClientContext, ...payloads: OutgoingPayload[]): Promise<RecordWrite[]> {
  return fanOutAll(ctx.env, await reachable(ctx, SELF_CONTACT), payloads, ctx.newId).writes;
}

/** The devices of `contactId` we can encrypt to now (docs/client.md §4.9). */
export async function reachable(ctx: ClientContext, contactId: string): Promise<DeviceRecord[]> {
  const now = ctx.env.now();
  const times = deviceTimes(ctx);
  return (await devicesOf(ctx, contactId)).filter((d) => canSendTo(d, now, times));
}

/**
 * The `contact` sync payload for `c`: the person as we have them now, and for each of their
 * devices the mailbox it gave us — an intro mailbox for our other devices, which have no session
 * with it yet (flows/device-intro.ts).
 */
export async function contactSync(
  ctx: ClientContext,
  c: ContactRecord,
  options: { added?: boolean } = {},
): Promise<OutgoingPayload> {
  const devices = (await devicesOf(ctx, c.id)).flatMap((d) =>
    d.theirMailbox === null || d.needsIntro === true ? [] : [{ device: d.device, mailbox: d.theirMailbox }],
  );
  return {
    t: 'contact',
    identity: c.identity,
    name: c.name,
    aliasSet: c.aliasSet,
    verification: c.verification,
    keySource: c.keySource,
    ...(options.added === true ? { added: true as const } : {}),
    devices,
  };
}

/** Tells our other devices about contact `id` as it is now (after it connected here). Outside `ctx.serial`. */
export async function syncContact(ctx: ClientContext, id: string): Promise<boolean> {
  return ctx.serial(async () => {
    const c = await getRecord(ctx, 'contact', id);
    if (c === undefined || c.id === SELF_CONTACT || c.state !== 'connected') return false;
    const writes = await syncWrites(ctx, await contactSync(ctx, c, { added: true }));
    if (writes.length > 0) await ctx.commit(writes);
    return writes.length > 0;
  });
}

/** Whether another device of our account removed this one (our own list no longer names it). */
export function removedFromAccount(ctx: ClientContext): boolean {
  const listed = listedDevices(ctx.profile.deviceList);
  return listed !== null && !listed.has(ctx.profile.device);
}

/** Our account's devices: the signed list's (or this device alone), with what we know of each. */
export async function ownDevices(ctx: ClientContext): Promise<DeviceView[]> {
  const p = ctx.profile;
  const now = ctx.env.now();
  const times = deviceTimes(ctx);
  const records = await devicesOf(ctx, SELF_CONTACT);
  const certs = p.deviceList === undefined ? [] : decodeDeviceList(p.deviceList).devices;
  const ids = certs.length > 0 ? certs.map((c) => c.deviceId as number) : [p.device];
  return ids.map((id) => {
    const cert = certs.find((c) => c.deviceId === id);
    const linkedAt = cert?.createdAt ?? null;
    if (id === p.device) {
      return {
        id,
        name: p.deviceName ?? null,
        linkedAt,
        lastActiveAt: now,
        stale: false,
        dropped: false,
        current: true,
      };
    }
    const d = records.find((r) => r.device === id);
    return {
      id,
      name: d?.name ?? null,
      linkedAt,
      lastActiveAt: d?.lastHeardAt ?? null,
      stale: d?.stale === true,
      dropped: d !== undefined && isDropped(d, now, times),
      current: false,
    };
  });
}

/** Names one of our devices (this one or another on our list) and tells our other devices. */
export async function renameDevice(ctx: ClientContext, id: number, name: string): Promise<DeviceView[]> {
  const queued = await ctx.serial(async () => {
    const p = ctx.profile;
    const listed = listedDevices(p.deviceList);
    if (id !== p.device && !(listed?.has(id) ?? false)) {
      throw new ClientError('unknown-device', 'There is no device by that id on this account: run `devices`.');
    }
    const writes: RecordWrite[] = [];
    let profile: ProfileRecord | null = null;
    const own = await devicesOf(ctx, SELF_CONTACT);
    if (id === p.device) {
      profile = { ...p, deviceName: name };
      writes.push(put('profile', 'self', profile));
    } else {
      const d = own.find((r) => r.device === id);
      // A device not introduced yet gets its name once it is (its record comes then).
      if (d !== undefined) writes.push(put('device', d.id, { ...d, name }));
    }
    const names = [
      { device: p.device, name: id === p.device ? name : (p.deviceName ?? '') },
      ...own.map((d) => ({ device: d.device, name: d.device === id ? name : (d.name ?? '') })),
    ].filter((n) => n.name !== '');
    const synced = await syncWrites(ctx, { t: 'device-names', names });
    await ctx.commit([...writes, ...synced]);
    if (profile !== null) ctx.profile = profile;
    return synced.length > 0;
  });
  if (queued) await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  return ownDevices(ctx);
}
