/**
 * One-time invitations (docs/client.md §4.1): making them, using someone else's, and withdrawing
 * ours once expired. What happens when a hello arrives on one is in inbound.ts.
 */
import { deviceId, prekeyGrantHash, prekeyGrantOf, publicIdentity } from '@parley/protocol';
import type { ContactView, InvitationView } from '../api.ts';
import { decodeInvitation, encodeInvitation } from '../engine/links.ts';
import { del, type InvitationRecord, peerMailboxOf, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { checkName } from './contact-lookup.ts';
import { auth, type ClientContext, ignoreGone, listRecords, newMailbox, ownedMailbox, refused } from './context.ts';
import { introduce, startContact } from './introductions.ts';

/** Invitations expire after a week unless the caller says otherwise. */
export const DEFAULT_INVITATION_TTL_MS = 7 * 24 * 3600_000;

/** A one-time invitation: a new mailbox on our server whose link carries our keys. */
export async function createInvitation(ctx: ClientContext, options: { ttlMs?: number }): Promise<InvitationView> {
  return ctx.serial(async () => {
    const env = ctx.env;
    const p = ctx.profile;
    const mailbox = await newMailbox(ctx);
    const now = env.now();
    const expiresAt = now + (options.ttlMs ?? DEFAULT_INVITATION_TTL_MS);
    // The link's sender key gives its holder a prekey grant: one-time keys even while anonymous
    // fetches of our bundle are past their budget (docs/server.md, "Bundle budgets"). A server
    // without grants (404) serves the invitee as anyone else.
    const grant = prekeyGrantOf(env, mailbox.sender.privateKey);
    await ctx
      .api(p.server)
      .addPreKeyGrants(auth(ctx), [prekeyGrantHash(env, grant)], expiresAt)
      .catch((e: unknown) => {
        if (!refused(e, 'gone')) throw e;
      });
    const link = encodeInvitation({
      server: p.server,
      identity: publicIdentity(p.identity),
      device: deviceId(p.device),
      mailboxId: mailbox.id,
      senderPrivateKey: mailbox.sender.privateKey,
      expiresAt,
    });
    const id = ctx.newId();
    const record: InvitationRecord = { v: 2, id, mailbox, link, createdAt: now, expiresAt };
    await ctx.commit([put('invitation', id, record)]);
    ctx.push?.subscribe(ownedMailbox(mailbox));
    return { id, link, expiresAt };
  });
}

export async function invitations(ctx: ClientContext): Promise<InvitationView[]> {
  return (await listRecords(ctx, 'invitation'))
    .filter((i) => !i.used)
    .map((i) => ({
      id: i.id,
      link: i.link,
      expiresAt: i.expiresAt,
    }));
}

/** Uses someone's invitation: a pending contact, and our hello delivered into its one-time mailbox. */
export async function connect(ctx: ClientContext, link: string, options: { name?: string }): Promise<ContactView> {
  const env = ctx.env;
  const inv = decodeInvitation(env, link);
  if (options.name !== undefined) checkName(options.name);
  if (inv.expiresAt <= env.now()) {
    throw new ClientError('invitation-expired', 'This invitation has expired. Ask for a new one.');
  }
  const target = {
    server: inv.server,
    identity: inv.identity,
    device: inv.device,
    grant: prekeyGrantOf(env, inv.senderPrivateKey),
    keySource: 'invitation',
  } as const;
  const { peer, envelope } = await startContact(ctx, target, options.name, (myMailbox) => ({
    t: 'hello',
    name: ctx.profile.displayName,
    mailbox: peerMailboxOf(ctx.profile.server, myMailbox),
  }));
  return introduce(
    ctx,
    peer,
    () => ctx.api(inv.server).deliver(inv.mailboxId, inv.senderPrivateKey, envelope),
    new ClientError('invitation-used', 'This invitation was already used or withdrawn. Ask for a new one.'),
  );
}

/**
 * Withdraws invitations past their expiry, and used ones whose mailbox is still there: their
 * mailboxes are deleted on the server. Call it inside `ctx.serial`.
 */
export async function expireInvitations(ctx: ClientContext): Promise<void> {
  const now = ctx.env.now();
  for (const inv of await listRecords(ctx, 'invitation')) {
    if (inv.expiresAt <= now || inv.used) await withdrawInvitation(ctx, inv);
  }
}

/** Deletes an invitation's mailbox on the server (already gone is fine), then the record. */
export async function withdrawInvitation(ctx: ClientContext, inv: InvitationRecord): Promise<void> {
  await ctx.api(ctx.profile.server).deleteMailbox(ownedMailbox(inv.mailbox)).catch(ignoreGone);
  await ctx.commit([del('invitation', inv.id)]);
}
