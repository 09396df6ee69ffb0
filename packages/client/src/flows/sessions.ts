/**
 * Starting sessions over (docs/client.md §4.4): a reset with one contact, and a new identity for
 * this profile with a new session for every connected contact.
 */
import {
  accountIdOf,
  createInitiatorSession,
  deviceId,
  type IdentityKeyPair,
  parseAccountId,
  verifyBundle,
} from '@parley/protocol';
import { replaceSession, seal } from '../engine/conversation.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { rotatedProfile } from '../engine/profile.ts';
import { del, type Peer, type ProfileRecord, put } from '../engine/records.ts';
import type { DeviceAuth } from '../net/server-api-types.ts';
import { findPeer, identityFrom } from './contact-lookup.ts';
import { type ClientContext, ignoreGone, listRecords } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure, isPassingFailure } from './outbox.ts';
import { loadPeer } from './peers.ts';
import { finishRegistration } from './prekey-maintenance.ts';

/** Starts a fresh session with a contact (their current keys, pinned to the identity we know). */
export async function resetSession(ctx: ClientContext, nameOrId: string): Promise<void> {
  await ctx.serial(async () => {
    await restartSession(ctx, await findPeer(ctx, nameOrId));
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/** Commits a new session with the peer's device and a `reset` in the outbox. Call it inside `ctx.serial`. */
export async function restartSession(
  ctx: ClientContext,
  peer: Peer,
  identity: IdentityKeyPair = ctx.profile.identity,
): Promise<void> {
  const d = peer.device;
  if (d.theirMailbox === null) return;
  const env = ctx.env;
  const theirs = identityFrom(peer.contact.identity);
  const bundle = await ctx.api(d.theirMailbox.server).fetchBundle(accountIdOf(theirs), deviceId(d.device));
  verifyBundle(env, bundle, theirs);
  const session = createInitiatorSession(env, identity, deviceId(ctx.profile.device), bundle, theirs);
  const { device, envelope } = seal(env, replaceSession(d, session), { t: 'reset' });
  await ctx.commit([put('device', device.id, device), outboxWrite(device, envelope, null, ctx.newId())]);
}

/**
 * Replaces this profile's identity (after a lost or compromised device: a "reinstall" that
 * keeps the contact list). Registers the new identity on our server, deletes the old account,
 * and starts a new session with every connected contact — who see an identity-change warning.
 * The new identity and the list of what is left to do are committed first: a crash, or a server
 * that cannot be reached, only delays the rest until {@link finishRotation} runs again.
 */
export async function rotateIdentity(ctx: ClientContext): Promise<void> {
  await ctx.serial(async () => {
    await finishRotation(ctx); // an earlier rotation first
    const contacts = (await listRecords(ctx, 'contact')).filter((c) => c.state === 'connected');
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
    await finishRotation(ctx);
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/**
 * Does what an identity rotation left undone: registers the new identity, deletes the old
 * account, and resets the contacts not reset yet. Contacts whose server cannot be reached now
 * stay on the list for the next try (every `sync`); our own server unreachable throws. Call it
 * inside `ctx.serial`.
 */
export async function finishRotation(ctx: ClientContext): Promise<void> {
  if (!ctx.profile.registered) await finishRegistration(ctx, undefined);
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
      await restartSession(ctx, peer, ctx.profile.identity);
    } catch (e) {
      // Their server may answer later: try again at the next sync. Anything else (their bundle no
      // longer verifies against the identity we pinned) no retry can change, and it must not
      // make every later sync fail: that contact is left to a reset from either side (§4.4).
      if (isPassingFailure(e)) left.push(id);
    }
  }
  const { retiring: _, ...rest } = ctx.profile;
  const profile: ProfileRecord = left.length === 0 ? rest : { ...rest, retiring: { ...r, contacts: left } };
  await ctx.commit([put('profile', 'self', profile)]);
  ctx.profile = profile;
}
