/**
 * Starting sessions over (docs/client.md §4.4): a reset with one contact, and a new identity for
 * this profile with a new session for every connected contact.
 */
import { accountIdOf, createInitiatorSession, deviceId, type IdentityKeyPair, verifyBundle } from '@parley/protocol';
import { findContact, identityFrom } from './contact-lookup.ts';
import { auth, type ClientContext, listRecords } from './context.ts';
import { replaceSession, seal } from './engine/conversation.ts';
import { outboxWrite } from './engine/outbox-entry.ts';
import { rotatedProfile } from './engine/profile.ts';
import { type ContactRecord, del, put } from './engine/records.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { finishRegistration } from './prekey-maintenance.ts';

/** Starts a fresh session with a contact (their current keys, pinned to the identity we know). */
export async function resetSession(ctx: ClientContext, nameOrId: string): Promise<void> {
  await ctx.serial(async () => {
    await restartSession(ctx, await findContact(ctx, nameOrId));
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/** Commits a new session with `c` and a `reset` in the outbox. Call it inside `ctx.serial`. */
export async function restartSession(
  ctx: ClientContext,
  c: ContactRecord,
  identity: IdentityKeyPair = ctx.profile.identity,
): Promise<void> {
  if (c.theirMailbox === null) return;
  const env = ctx.env;
  const theirs = identityFrom(c.identity);
  const bundle = await ctx.api(c.theirMailbox.server).fetchBundle(accountIdOf(theirs), deviceId(c.device));
  verifyBundle(env, bundle, theirs);
  const session = createInitiatorSession(env, identity, deviceId(ctx.profile.device), bundle, theirs);
  const { contact, envelope } = seal(env, replaceSession(c, session), { t: 'reset' });
  await ctx.commit([put('contact', contact.id, contact), outboxWrite(contact, envelope, null, ctx.newId())]);
}

/**
 * Replaces this profile's identity (after a lost or compromised device: a "reinstall" that
 * keeps the contact list). Registers the new identity on our server, deletes the old account,
 * and starts a new session with every connected contact — who see an identity-change warning.
 */
export async function rotateIdentity(ctx: ClientContext): Promise<void> {
  await ctx.serial(async () => {
    const old = ctx.profile;
    const profile = rotatedProfile(ctx.env, old);
    // The old identity's one-time prekeys die with its account.
    const stale = [
      ...(await ctx.store.list('otpk')).map((r) => del('otpk', r.id)),
      ...(await ctx.store.list('kempk')).map((r) => del('kempk', r.id)),
    ];
    await ctx.commit([put('profile', 'self', profile), ...stale]);
    const oldAuth = auth(ctx);
    ctx.profile = profile;
    await finishRegistration(ctx, undefined);
    await ctx
      .api(old.server)
      .deleteAccount(oldAuth)
      .catch(() => undefined);
    for (const c of await listRecords<ContactRecord>(ctx, 'contact')) {
      if (c.state === 'connected') await restartSession(ctx, c, profile.identity);
    }
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}
