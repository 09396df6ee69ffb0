/**
 * Starting sessions over (docs/client.md §4.4): a reset with one contact, and a new identity for
 * this profile with a new session for every connected contact.
 */
import {
  accountIdOf,
  createInitiatorSession,
  decodeSession,
  deviceId,
  equalBytes,
  parseAccountId,
  verifyBundle,
} from '@parley/protocol';
import { replaceSession, seal } from '../engine/conversation.ts';
import { proveSession } from '../engine/device-proof.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { rotatedProfile } from '../engine/profile.ts';
import { del, type ProfileRecord, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { DeviceAuth } from '../net/server-api-types.ts';
import { findContact, identityFrom, listContacts } from './contact-lookup.ts';
import { type ClientContext, getRecord, ignoreGone } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure, isPassingFailure } from './outbox.ts';
import { hasOtherDevices } from './own-devices.ts';
import { devicesOf, loadPeer } from './peers.ts';
import { finishRegistration } from './prekey-maintenance.ts';

/** Starts a fresh session with a contact (their current keys, pinned to the identity we know). */
export async function resetSession(ctx: ClientContext, nameOrId: string): Promise<void> {
  const c = await findContact(ctx, nameOrId);
  await restartSession(ctx, c.id, { unlessPending: false });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/**
 * Starts a new session with each device of a contact we can reach (or only the device record
 * `device`) and queues a `reset` in it. Their bundle comes from their server outside the
 * client's queue; the session is then made and committed inside it, on the device as it is by
 * then (`unlessPending`: not if a reset of ours already awaits an answer). Never call it inside
 * `ctx.serial`.
 */
export async function restartSession(
  ctx: ClientContext,
  contactId: string,
  options: { unlessPending: boolean; device?: string },
): Promise<void> {
  for (const d of await devicesOf(ctx, contactId)) {
    if (options.device !== undefined && d.id !== options.device) continue;
    await restartDevice(ctx, contactId, d.id, options.unlessPending);
  }
}

async function restartDevice(ctx: ClientContext, contactId: string, recordId: string, unlessPending: boolean) {
  const c = await getRecord(ctx, 'contact', contactId);
  const before = await getRecord(ctx, 'device', recordId);
  const mailbox = before?.theirMailbox;
  if (!c || !before || !mailbox || before.session.length === 0) return;
  const env = ctx.env;
  const theirs = identityFrom(c.identity);
  const bundle = await ctx.api(mailbox.server).fetchBundle(accountIdOf(theirs), deviceId(before.device));
  verifyBundle(env, bundle, theirs);
  await ctx.serial(async () => {
    const contact = await getRecord(ctx, 'contact', contactId);
    const d = await getRecord(ctx, 'device', recordId);
    if (!contact || !d || d.theirMailbox === null || d.session.length === 0) return;
    if (!equalBytes(contact.identity, c.identity)) return; // the bundle is for a key it no longer has
    if (unlessPending && decodeSession(d.session).pending !== null) return;
    const p = ctx.profile;
    const session = createInitiatorSession(env, p.identity, deviceId(p.device), bundle, theirs, { sealed: true });
    // With several devices, the reset proves which of ours starts it (engine/device-proof.ts).
    const proof = p.deviceList === undefined ? undefined : proveSession(env, p.deviceKeys.privateKey, session, theirs);
    const { device, envelope } = seal(env, replaceSession(d, session), proof ? { t: 'reset', proof } : { t: 'reset' });
    await ctx.commit([put('device', device.id, device), outboxWrite(device, envelope, null, ctx.newId())]);
  });
}

/**
 * Replaces this profile's identity (after a lost or compromised device: a "reinstall" that
 * keeps the contact list). Registers the new identity on our server, deletes the old account,
 * and starts a new session with every connected contact — who see an identity-change warning.
 * The new identity and the list of what is left to do are committed first: a crash, or a server
 * that cannot be reached, only delays the rest until {@link finishRotation} runs again.
 */
export async function rotateIdentity(ctx: ClientContext): Promise<void> {
  if (await hasOtherDevices(ctx)) {
    throw new ClientError(
      'usage',
      'This account has other devices: remove them first (devices remove), then rotate the identity. Rotating an identity shared by several devices is not supported yet.',
    );
  }
  await finishRotation(ctx); // an earlier rotation first
  await ctx.serial(async () => {
    const contacts = (await listContacts(ctx)).filter((c) => c.state === 'connected');
    const profile = rotatedProfile(
      ctx.env,
      ctx.profile,
      contacts.map((c) => c.id),
    );
    // The old identity's one-time prekeys die with its account.
    const stale = [
      ...(await ctx.store.list('otpk')).map((r) => del('otpk', r.id)),
      ...(await ctx.store.list('kempk')).map((r) => del('kempk', r.id)),
    ];
    await ctx.commit([put('profile', 'self', profile), ...stale]);
    ctx.profile = profile;
  });
  await finishRotation(ctx);
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/**
 * Does what an identity rotation left undone: registers the new identity, deletes the old
 * account, and resets the contacts not reset yet. Contacts whose server cannot be reached now
 * stay on the list for the next try (every `sync`); our own server unreachable throws. Call it
 * outside `ctx.serial`: it enters the queue only to commit, never across a contact's server.
 */
export async function finishRotation(ctx: ClientContext): Promise<void> {
  if (!ctx.profile.registered) {
    await ctx.serial(async () => {
      if (!ctx.profile.registered) await finishRegistration(ctx, undefined);
    });
  }
  const r = ctx.profile.retiring;
  if (r === undefined) return;
  const old: DeviceAuth = {
    account: parseAccountId(r.account),
    device: deviceId(r.device),
    devicePrivateKey: r.devicePrivateKey,
  };
  await ctx.api(ctx.profile.server).deleteAccount(old).catch(ignoreGone);
  const left: string[] = [];
  for (const id of r.contacts) {
    const peer = await loadPeer(ctx, id);
    if (peer?.contact.state !== 'connected') continue;
    try {
      await restartSession(ctx, id, { unlessPending: false });
    } catch (e) {
      // Their server may answer later: try again at the next sync. Anything else (their bundle no
      // longer verifies against the identity we pinned) no retry can change, and it must not
      // make every later sync fail: that contact is left to a reset from either side (§4.4).
      if (isPassingFailure(e)) left.push(id);
    }
  }
  await ctx.serial(async () => {
    if (ctx.profile.retiring === undefined) return; // another run finished it meanwhile
    const { retiring: _, ...rest } = ctx.profile;
    const profile: ProfileRecord = left.length === 0 ? rest : { ...rest, retiring: { ...r, contacts: left } };
    await ctx.commit([put('profile', 'self', profile)]);
    ctx.profile = profile;
  });
}
