/**
 * Signed device lists in the client (docs/client.md §4.9, protocol §14.1): accepting a person's
 * list (ours: the self contact's) when it is newer and verifies, refusing a rollback, an
 * equal-version conflict or a bad signature; dropping the devices a new list no longer names;
 * announcing our own list to every device we talk to; fetching a list from a server.
 */
import { accountIdOf, decodeDeviceList, deviceId, deviceListIds, signDeviceList } from '@parley/protocol';
import { isListed, judgeDeviceList } from '../engine/device-list-check.ts';
import type { DomainEvent } from '../engine/events.ts';
import { canSendTo, fanOut } from '../engine/fan-out.ts';
import { type ContactRecord, del, type OwnMailbox, type ProfileRecord, put, SELF_CONTACT } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { identityFrom, listContacts } from './contact-lookup.ts';
import { auth, type ClientContext, getRecord, ignoreGone, ownedMailbox } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { deviceTimes, selfContactRecord, selfContactWrites } from './own-devices.ts';
import { devicesOf } from './peers.ts';

/** What accepting (or refusing) a list changes; commit `writes`, then call {@link afterList}. */
export interface ListOutcome {
  /** The contact with the list (ours: the self contact, unchanged). */
  readonly contact: ContactRecord;
  /** Our profile with our new list (only for the self contact's). */
  readonly profile: ProfileRecord | null;
  readonly writes: RecordWrite[];
  readonly events: DomainEvent[];
  /** The device records dropped: their mailboxes are deleted once committed. */
  readonly dropped: readonly string[];
  readonly mailboxes: readonly OwnMailbox[];
}

/**
 * Judges `bytes` as the device list of `contact` (the self contact: ours) and, if it is newer,
 * drops the devices it no longer names. Call inside `ctx.serial`.
 */
export async function applyDeviceList(
  ctx: ClientContext,
  contact: ContactRecord,
  bytes: Uint8Array,
): Promise<ListOutcome> {
  const own = contact.id === SELF_CONTACT;
  const known = own ? ctx.profile.deviceList : contact.deviceList;
  const verdict = judgeDeviceList(ctx.env, identityFrom(contact.identity), known, bytes);
  const none: ListOutcome = { contact, profile: null, writes: [], events: [], dropped: [], mailboxes: [] };
  if (verdict.kind === 'same') return none;
  if (verdict.kind === 'refused') {
    return { ...none, events: [{ type: 'device-list-refused', contact, reason: verdict.reason }] };
  }
  const listed = new Set<number>(deviceListIds(verdict.list));
  const writes: RecordWrite[] = [];
  const events: DomainEvent[] = [];
  const dropped: string[] = [];
  const mailboxes: OwnMailbox[] = [];
  for (const d of await devicesOf(ctx, contact.id)) {
    if (listed.has(d.device)) continue;
    // Removed from their account: nothing more is sent to it or accepted from it (its mailbox goes).
    writes.push(del('device', d.id), del('gap', d.id));
    dropped.push(d.id);
    mailboxes.push(d.myMailbox);
    events.push({ type: 'device-removed', contact, device: d.device });
  }
  let profile: ProfileRecord | null = null;
  let next = contact;
  if (own) {
    profile = { ...ctx.profile, deviceList: bytes };
    writes.push(put('profile', 'self', profile));
    if (!listed.has(ctx.profile.device)) events.push({ type: 'removed-from-account' });
  } else {
    next = { ...contact, deviceList: bytes };
    writes.push(put('contact', next.id, next));
  }
  return { contact: next, profile, writes, events, dropped, mailboxes };
}

/** After an outcome is committed: the profile it changed, and the dropped devices' mailboxes unsubscribed. */
export function listCommitted(ctx: ClientContext, o: ListOutcome): void {
  if (o.profile !== null) ctx.profile = o.profile;
  for (const m of o.mailboxes) ctx.push?.unsubscribe(m.id);
}

/** Deletes the dropped devices' mailboxes on our server (outside `ctx.serial`; best effort). */
export async function afterList(ctx: ClientContext, o: ListOutcome): Promise<void> {
  for (const m of o.mailboxes) {
    await ctx
      .api(ctx.profile.server)
      .deleteMailbox(ownedMailbox(m))
      .catch(() => undefined);
  }
}

/**
 * Fetches the device list of contact `contactId` (the self contact: ours) from their server and
 * applies it. A server that has none changes nothing. Returns whether the server answered (false:
 * it could not be asked now, or refused to say — e.g. our fetch budget is spent). Call outside
 * `ctx.serial`.
 */
export async function refreshDeviceList(ctx: ClientContext, contactId: string): Promise<boolean> {
  const c = await getRecord(ctx, 'contact', contactId);
  if (c === undefined) return true;
  const server =
    contactId === SELF_CONTACT
      ? ctx.profile.server
      : (await devicesOf(ctx, contactId)).find((d) => d.theirMailbox !== null)?.theirMailbox?.server;
  if (server === undefined) return true;
  let bytes: Uint8Array | null;
  try {
    bytes = await ctx.api(server).getDeviceList(accountIdOf(identityFrom(c.identity)));
  } catch {
    return false;
  }
  if (bytes === null) return true;
  const outcome = await ctx.serial(async () => {
    const contact =
      (await getRecord(ctx, 'contact', contactId)) ?? (contactId === SELF_CONTACT ? selfContactRecord(ctx) : undefined);
    if (contact === undefined) return null;
    const o = await applyDeviceList(ctx, contact, bytes);
    if (o.writes.length > 0) {
      await ctx.commit([...(contactId === SELF_CONTACT ? await selfContactWrites(ctx) : []), ...o.writes]);
      listCommitted(ctx, o);
    }
    return o;
  });
  if (outcome === null) return true;
  ctx.emit(outcome.events);
  await afterList(ctx, outcome);
  return true;
}

/**
 * Tells every device we talk to — every contact's and our own others — our account's device list:
 * `list` (newly signed and published, e.g. by linking or a removal; it becomes ours first) or the
 * one we hold. Contacts learn of a new or removed device from it (docs/client.md §4.9).
 */
export async function announceDeviceList(ctx: ClientContext, list?: Uint8Array): Promise<void> {
  const outcome = await ctx.serial(async () => {
    const writes: RecordWrite[] = [];
    let o: ListOutcome | null = null;
    if (list !== undefined) {
      writes.push(...(await selfContactWrites(ctx)));
      const self = (await getRecord(ctx, 'contact', SELF_CONTACT)) ?? selfContactRecord(ctx);
      o = await applyDeviceList(ctx, self, list);
      const refused = o.events.find((e) => e.type === 'device-list-refused');
      if (refused !== undefined) {
        throw new ClientError('usage', 'This device list is not newer than the account’s own: it was not announced.');
      }
      writes.push(...o.writes);
    }
    const bytes = o?.profile?.deviceList ?? ctx.profile.deviceList;
    if (bytes === undefined) return o;
    const gone = new Set(o?.dropped ?? []);
    const now = ctx.env.now();
    const times = deviceTimes(ctx);
    for (const c of [...(await listContacts(ctx)), { id: SELF_CONTACT }]) {
      const targets = (await devicesOf(ctx, c.id)).filter((d) => !gone.has(d.id) && canSendTo(d, now, times));
      writes.push(...fanOut(ctx.env, targets, { t: 'devices', list: bytes }, null, ctx.newId).writes);
    }
    await ctx.commit(writes);
    if (o !== null) listCommitted(ctx, o);
    return o;
  });
  if (outcome !== null) {
    ctx.emit(outcome.events);
    await afterList(ctx, outcome);
  }
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/**
 * Removes one of our other devices: a new list without it is signed, published and announced
 * (contacts and our other devices stop encrypting to it and refuse what it sends), then the server
 * forgets the device. The device removed learns it at its next sync (`removed-from-account`).
 */
export async function removeOwnDevice(ctx: ClientContext, device: number): Promise<void> {
  const p = ctx.profile;
  if (device === p.device) {
    throw new ClientError('usage', 'This is the device you are using: remove it from another device of the account.');
  }
  const current = p.deviceList === undefined ? null : decodeDeviceList(p.deviceList);
  if (current === null || !current.devices.some((d) => d.deviceId === device)) {
    throw new ClientError('unknown-device', 'There is no other device by that id on this account: run `devices`.');
  }
  const next = signDeviceList(ctx.env, p.identity, {
    version: current.version + 1,
    issuedAt: ctx.env.now(),
    devices: current.devices.filter((d) => d.deviceId !== device),
  });
  const api = ctx.api(p.server);
  const published = await api.putDeviceList(auth(ctx), next);
  if (published.outcome === 'stale') {
    // The server holds a list as new as ours: another device of ours published one, or we did
    // before a crash. Take it; if it already leaves the device out, finish the removal with it.
    await refreshDeviceList(ctx, SELF_CONTACT);
    if (!isListed(ctx.profile.deviceList, device)) {
      await announceDeviceList(ctx);
      await api.removeDevice(auth(ctx), deviceId(device)).catch(ignoreGone);
      return;
    }
    throw new ClientError(
      'devices-changed',
      'Another device of this account changed its devices meanwhile: run `devices` and try again.',
    );
  }
  await announceDeviceList(ctx, next);
  await api.removeDevice(auth(ctx), deviceId(device)).catch(ignoreGone);
}
