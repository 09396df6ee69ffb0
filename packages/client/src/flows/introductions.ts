/**
 * Starting a contact from someone's link (docs/client.md §4.1, §4.2): the pending contact, its
 * session with the keys the link pins, and its first message (hello or request).
 */
import {
  accountIdOf,
  createInitiatorSession,
  deviceId,
  ProtocolError,
  type PublicIdentity,
  publicIdentity,
  type Session,
  sameIdentity,
  verifyBundle,
} from '@parley/protocol';
import type { ContactView } from '../api.ts';
import { type NewPeer, newPeerWrites, pendingContact } from '../engine/new-contact.ts';
import { type ContactRecord, del } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { ServerApiLike } from '../net/server-api-types.ts';
import { contactView } from '../views.ts';
import { uniqueName } from './contact-lookup.ts';
import { type ClientContext, newMailbox, ownedMailbox } from './context.ts';

export function refuseOwn(ctx: ClientContext, identity: PublicIdentity): void {
  if (sameIdentity(identity, publicIdentity(ctx.profile.identity))) {
    throw new ClientError('own-link', 'This link is your own: send it to the person you want to talk to.');
  }
}

/** A pending contact and the session we start with them (identity pinned by the link). */
export async function startContact(
  ctx: ClientContext,
  server: string,
  identity: PublicIdentity,
  device: number,
  keySource: ContactRecord['keySource'],
  alias: string | undefined,
): Promise<NewPeer> {
  const env = ctx.env;
  let bundle: Awaited<ReturnType<ServerApiLike['fetchBundle']>>;
  bundle = await ctx
    .api(server)
    .fetchBundle(accountIdOf(identity), deviceId(device))
    .catch((e: unknown) => {
      if (ClientError.is(e, 'server-error') && e.status === 404) {
        throw new ClientError('bad-link', 'The account this link names does not exist on its server (any more).');
      }
      throw e;
    });
  try {
    verifyBundle(env, bundle, identity);
  } catch (e) {
    if (e instanceof ProtocolError) {
      throw new ClientError(
        'bad-link',
        "The server's keys for this link do not match the link: the server may be trying to intercept. Do not proceed; tell your contact.",
      );
    }
    throw e;
  }
  const session: Session = createInitiatorSession(
    env,
    ctx.profile.identity,
    deviceId(ctx.profile.device),
    bundle,
    identity,
  );
  const myMailbox = await newMailbox(ctx);
  const id = ctx.newId();
  const slot = { id, name: await uniqueName(ctx, alias ?? 'contact'), conversationId: ctx.newId(), myMailbox };
  return pendingContact(env, slot, { keySource, identity, device, aliasSet: alias !== undefined }, session);
}

/**
 * Commits a new pending contact, then sends its first message (`send`). The contact is written
 * first so that a crash right after the send cannot leave the peer with a contact we lack (their
 * answers would go to a mailbox nobody reads). If the send fails the contact and its mailbox are
 * removed again (a 404 becomes `gone`), so the user can simply retry.
 */
export async function introduce(
  ctx: ClientContext,
  peer: NewPeer,
  send: () => Promise<unknown>,
  gone: ClientError,
): Promise<ContactView> {
  const writes = newPeerWrites(peer);
  await ctx.commit(writes);
  try {
    await send();
  } catch (e) {
    await ctx.commit(writes.map((w) => del(w.kind, w.id)));
    await ctx
      .api(ctx.profile.server)
      .deleteMailbox(ownedMailbox(peer.device.myMailbox))
      .catch(() => undefined);
    throw ClientError.is(e, 'server-error') && e.status === 404 ? gone : e;
  }
  ctx.push?.subscribe(ownedMailbox(peer.device.myMailbox));
  return contactView(peer.contact);
}
