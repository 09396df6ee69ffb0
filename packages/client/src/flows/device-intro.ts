/**
 * Introductions between devices (docs/client.md §4.9). A device that has no session yet with a
 * device of a contact (or of our own account) — after linking, or when another device of ours
 * added a contact — holds an *intro mailbox*: one that device gave another device of our account.
 * The intro flow starts a sealed PQXDH session with it there and says `hello {name, mailbox}`;
 * the other side checks our device is on our signed list, makes the device record and answers
 * `welcome` so we deliver to a mailbox of our own pair from then on.
 */
import {
  accountIdOf,
  createInitiatorSession,
  deviceId,
  encodeSession,
  publicIdentity,
  verifyBundle,
} from '@parley/protocol';
import { MAX_PREVIOUS_SESSIONS, type Opened, seal } from '../engine/conversation.ts';
import { isListed } from '../engine/device-list-check.ts';
import { proveSession, sessionProven } from '../engine/device-proof.ts';
import type { DomainEvent } from '../engine/events.ts';
import { canSendTo, fanOutAll } from '../engine/fan-out.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { mailboxOf, type OutgoingPayload } from '../engine/payload.ts';
import {
  type ContactRecord,
  type DeviceRecord,
  del,
  deviceRecordId,
  type OwnMailbox,
  type PeerMailbox,
  peerMailboxOf,
  put,
  SELF_CONTACT,
} from '../engine/records.ts';
import { remember } from '../engine/seen.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { identityFrom } from './contact-lookup.ts';
import { type ClientContext, getRecord, listRecords, newMailbox, ownedMailbox } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure, isPassingFailure } from './outbox.ts';
import { deviceTimes } from './own-devices.ts';
import { devicesOf } from './peers.ts';

const EMPTY = new Uint8Array(0);

/**
 * A device record waiting for our intro: `introMailbox` is the mailbox the device gave another
 * device of ours; a mailbox of our own for it is created here (on our server). Linking (the grant)
 * and contact sync write these; {@link introduceDevices} does the rest.
 */
export async function introRecord(
  ctx: ClientContext,
  contactId: string,
  device: number,
  introMailbox: PeerMailbox,
): Promise<DeviceRecord> {
  const myMailbox = await newMailbox(ctx);
  return {
    v: 2,
    id: deviceRecordId(contactId, device),
    contactId,
    device,
    theirMailbox: introMailbox,
    myMailbox,
    session: EMPTY,
    previousSessions: [],
    needsIntro: true,
  };
}

/**
 * Introduces this device to every device we hold an intro mailbox for (run at every sync and
 * after linking). A device whose person has a signed list it is not on is skipped. A server that
 * cannot be reached now leaves the record for the next sync. Call outside `ctx.serial`.
 */
export async function introduceDevices(ctx: ClientContext): Promise<void> {
  let sent = false;
  for (const d of await listRecords(ctx, 'device')) {
    if (d.needsIntro !== true || d.theirMailbox === null) continue;
    try {
      sent = (await introduce(ctx, d)) || sent;
    } catch (e) {
      if (!isPassingFailure(e)) throw e;
    }
  }
  if (sent) await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

async function introduce(ctx: ClientContext, d: DeviceRecord): Promise<boolean> {
  const mailbox = d.theirMailbox;
  const c = await getRecord(ctx, 'contact', d.contactId);
  if (c === undefined || mailbox === null) return false;
  const list = c.id === SELF_CONTACT ? ctx.profile.deviceList : c.deviceList;
  // With a signed list, only a device it names (no list: the device came from our own device).
  // One it does not name was removed meanwhile: its record goes, with our mailbox for it.
  if (list !== undefined && !isListed(list, d.device)) {
    await ctx.serial(() => ctx.commit([del('device', d.id)]));
    ctx.push?.unsubscribe(d.myMailbox.id);
    await ctx
      .api(ctx.profile.server)
      .deleteMailbox(ownedMailbox(d.myMailbox))
      .catch(() => undefined);
    return false;
  }
  const env = ctx.env;
  const theirs = identityFrom(c.identity);
  const bundle = await ctx.api(mailbox.server).fetchBundle(accountIdOf(theirs), deviceId(d.device));
  verifyBundle(env, bundle, theirs);
  return ctx.serial(async () => {
    const cur = await getRecord(ctx, 'device', d.id);
    if (cur?.needsIntro !== true || cur.theirMailbox === null) return false;
    const p = ctx.profile;
    const session = createInitiatorSession(env, p.identity, deviceId(p.device), bundle, theirs, { sealed: true });
    const { needsIntro: _, ...rest } = cur;
    // Until its welcome names our pair's mailbox, nothing else goes to it (theirMailbox null).
    const started: DeviceRecord = { ...rest, session: encodeSession(session), theirMailbox: null };
    const { device, envelope } = seal(env, started, {
      t: 'hello',
      name: p.displayName,
      mailbox: peerMailboxOf(p.server, cur.myMailbox),
      ...(p.deviceList === undefined ? {} : { proof: proveSession(env, p.deviceKeys.privateKey, session, theirs) }),
    });
    await ctx.commit([
      put('device', device.id, device),
      outboxWrite({ ...device, theirMailbox: cur.theirMailbox }, envelope, null, ctx.newId()),
    ]);
    return true;
  });
}

/**
 * After our own device `y` introduced itself here: each pair of it and another own device we can
 * reach is told to meet, so that devices linked back to back (the second linked before the
 * first's intro reached the linking device, so neither was in the other's grant) still meet. Of
 * each pair the newer device (higher id) introduces itself, as a new device does to those in its
 * grant: it gets our current list and `introduce {device, mailbox}` naming the older one and the
 * mailbox that one gave us. A device that already has a record for the other ignores it.
 */
async function ownIntroductions(ctx: ClientContext, y: DeviceRecord): Promise<RecordWrite[]> {
  const now = ctx.env.now();
  const times = deviceTimes(ctx);
  const others = (await devicesOf(ctx, SELF_CONTACT)).filter((d) => d.device !== y.device && canSendTo(d, now, times));
  const list = ctx.profile.deviceList;
  const listPayload: OutgoingPayload[] = list === undefined ? [] : [{ t: 'devices', list }];
  const writes: RecordWrite[] = [];
  const forY: OutgoingPayload[] = [];
  for (const d of others) {
    const [older, newer] = d.device < y.device ? [d, y] : [y, d];
    const mailbox = older.theirMailbox;
    if (mailbox === null) continue;
    const intro: OutgoingPayload = { t: 'introduce', device: older.device, mailbox };
    if (newer === y) forY.push(intro);
    else writes.push(...fanOutAll(ctx.env, [newer], [...listPayload, intro], ctx.newId).writes);
  }
  if (forY.length > 0) writes.push(...fanOutAll(ctx.env, [y], [...listPayload, ...forY], ctx.newId).writes);
  return writes;
}

/** What an intro that arrived did. */
export type IntroOutcome =
  /** Processed (accepted or refused): acknowledge it on this mailbox. */
  | { readonly ack: OwnMailbox }
  /** The device is not on the list we hold: fetch the person's list, then process it again. */
  | { readonly ack: null; readonly refreshList: string; readonly readFrom: OwnMailbox };

/**
 * A device of `c` starting a session on the mailbox of its device `at` (another device of theirs,
 * or `at` itself while we await its intro): accepted only if it is on `c`'s latest valid signed
 * list (`listChecked`: the list was just fetched), else refused with `unknown-device` and never
 * encrypted to. Accepted, it gets a device record (a mailbox of ours for it) and our `welcome`.
 * Call inside `ctx.serial`.
 */
export async function acceptIntro(
  ctx: ClientContext,
  c: ContactRecord,
  at: DeviceRecord,
  opened: Extract<Opened, { kind: 'new-session' }>,
  digest: Uint8Array,
  listChecked: boolean,
): Promise<IntroOutcome> {
  const y = opened.accepted.remoteDevice;
  const hello = opened.payload;
  if (hello.t !== 'hello') return { ack: at.myMailbox }; // only a hello introduces a device
  const list = c.id === SELF_CONTACT ? ctx.profile.deviceList : c.deviceList;
  if (!isListed(list, y)) {
    if (!listChecked) return { ack: null, refreshList: c.id, readFrom: at.myMailbox };
    // Refused; the prekeys it used are spent all the same (a replay is not processed again).
    if (opened.writes.length > 0) await ctx.commit(opened.writes);
    ctx.emit([{ type: 'unknown-device', contact: c, device: y }]);
    return { ack: at.myMailbox };
  }
  // Listed: it must also prove it is that device (another device of the account could claim it).
  if (!sessionProven(ctx.env, list, opened.accepted, publicIdentity(ctx.profile.identity), hello)) {
    ctx.emit([{ type: 'unknown-device', contact: c, device: y }]);
    return { ack: at.myMailbox };
  }
  const env = ctx.env;
  const p = ctx.profile;
  const existing = y === at.device ? at : (await devicesOf(ctx, c.id)).find((d) => d.device === y);
  const myMailbox = existing?.myMailbox ?? (await newMailbox(ctx));
  const earlier =
    existing === undefined ? [] : [existing.session, ...existing.previousSessions].filter((s) => s.length > 0);
  const base: DeviceRecord = {
    v: 2,
    id: existing?.id ?? deviceRecordId(c.id, y),
    contactId: c.id,
    device: y,
    theirMailbox: mailboxOf(hello.mailbox),
    myMailbox,
    session: encodeSession(opened.accepted),
    previousSessions: earlier.slice(0, MAX_PREVIOUS_SESSIONS),
    lastHeardAt: env.now(),
    ...(existing?.seen !== undefined ? { seen: existing.seen } : {}),
    ...(existing?.name !== undefined ? { name: existing.name } : {}),
  };
  const { device, envelope } = seal(env, remember(base, digest), {
    t: 'welcome',
    name: p.displayName,
    mailbox: peerMailboxOf(p.server, myMailbox),
  });
  const welcome = outboxWrite(device, envelope, null, ctx.newId());
  await ctx.commit([
    put('device', device.id, device),
    ...opened.writes,
    welcome,
    // Later writes win: the new device's record as the introductions leave it, if any.
    ...(c.id === SELF_CONTACT ? await ownIntroductions(ctx, device) : []),
  ]);
  if (existing === undefined) ctx.push?.subscribe(ownedMailbox(myMailbox));
  const events: DomainEvent[] = [{ type: 'device-added', contact: c, device: y }];
  ctx.emit(events);
  return { ack: at.myMailbox };
}
