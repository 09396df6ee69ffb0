/**
 * Starting a contact from someone's link (docs/client.md §4.1, §4.2): the pending contact, its
 * session with the keys the link pins, and its first message (hello or request).
 */
import {
  accountIdOf,
  createInitiatorSession,
  deviceId,
  encodeIdentity,
  type PreKeyBundle,
  ProtocolError,
  type PublicIdentity,
  publicIdentity,
  type Session,
  sameIdentity,
  verifyBundle,
} from '@parley/protocol';
import type { ContactView } from '../api.ts';
import { seal } from '../engine/conversation.ts';
import { type NewPeer, newPeerWrites, pendingContact } from '../engine/new-contact.ts';
import type { OutgoingPayload } from '../engine/payload.ts';
import { type ContactRecord, del, type OwnMailbox } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { contactView } from '../views.ts';
import { refuseKnown, uniqueName } from './contact-lookup.ts';
import { type ClientContext, newMailbox, ownedMailbox, refused } from './context.ts';

export function refuseOwn(ctx: ClientContext, identity: PublicIdentity): void {
  if (sameIdentity(identity, publicIdentity(ctx.profile.identity))) {
    throw new ClientError('own-link', 'This link is your own: send it to the person you want to talk to.');
  }
}

/** What a link names: where its owner's keys are and which identity they must match. */
export interface LinkTarget {
  readonly server: string;
  readonly identity: PublicIdentity;
  readonly device: number;
  /** The prekey grant the link gives (invitations), presented with the bundle fetch. */
  readonly grant?: Uint8Array;
}

/**
 * The bundle of the link's owner, from the link's server, verified against the identity the link
 * pins. It talks to another server: call it outside `ctx.serial`.
 */
export async function fetchLinkedBundle(ctx: ClientContext, link: LinkTarget): Promise<PreKeyBundle> {
  const bundle = await ctx
    .api(link.server)
    .fetchBundle(accountIdOf(link.identity), deviceId(link.device), link.grant ? { grant: link.grant } : {})
    .catch((e: unknown) => {
      if (refused(e, 'gone')) {
        throw new ClientError('bad-link', 'The account this link names does not exist on its server (any more).');
      }
      throw e;
    });
  try {
    verifyBundle(ctx.env, bundle, link.identity);
  } catch (e) {
    if (e instanceof ProtocolError) {
      throw new ClientError(
        'bad-link',
        "The server's keys for this link do not match the link: the server may be trying to intercept. Do not proceed; tell your contact.",
      );
    }
    throw e;
  }
  return bundle;
}

/**
 * Starts a contact from someone's link, the intent committed before anything leaves: their
 * bundle is fetched outside the queue; inside it, a mailbox on our server, the session, and
 * `first` (hello or request) sealed in it are made and the pending contact is committed. The
 * first message is then sent outside the queue by {@link introduce}.
 */
export async function startContact(
  ctx: ClientContext,
  link: LinkTarget & { readonly keySource: ContactRecord['keySource'] },
  alias: string | undefined,
  first: (myMailbox: OwnMailbox) => OutgoingPayload,
): Promise<{ peer: NewPeer; envelope: Uint8Array }> {
  refuseOwn(ctx, link.identity);
  await refuseKnown(ctx, encodeIdentity(link.identity));
  const bundle = await fetchLinkedBundle(ctx, link);
  return ctx.serial(async () => {
    const env = ctx.env;
    const session: Session = createInitiatorSession(
      env,
      ctx.profile.identity,
      deviceId(ctx.profile.device),
      bundle,
      link.identity,
      { sealed: true }, // protocol §6.5: the server storing it cannot tell who wrote
    );
    const myMailbox = await newMailbox(ctx);
    const id = ctx.newId();
    const slot = { id, name: await uniqueName(ctx, alias ?? 'contact'), conversationId: ctx.newId(), myMailbox };
    const { identity, device, keySource } = link;
    const base = pendingContact(env, slot, { keySource, identity, device, aliasSet: alias !== undefined }, session);
    const { device: sealed, envelope } = seal(env, base.device, first(myMailbox));
    const peer: NewPeer = { ...base, device: sealed };
    // Written first, so that a crash right after the send cannot leave the peer with a contact we
    // lack (their answers would go to a mailbox nobody reads).
    await ctx.commit(newPeerWrites(peer));
    return { peer, envelope };
  });
}

/**
 * Sends a new contact's first message (`send`, outside the queue). If it fails, the contact and
 * its mailbox are removed again (a 404 becomes `gone`), so the user can simply retry.
 */
export async function introduce(
  ctx: ClientContext,
  peer: NewPeer,
  send: () => Promise<unknown>,
  gone: ClientError,
): Promise<ContactView> {
  try {
    await send();
  } catch (e) {
    await ctx.serial(() => ctx.commit(newPeerWrites(peer).map((w) => del(w.kind, w.id))));
    await ctx
      .api(ctx.profile.server)
      .deleteMailbox(ownedMailbox(peer.device.myMailbox))
      .catch(() => undefined);
    throw refused(e, 'gone') ? gone : e;
  }
  ctx.push?.subscribe(ownedMailbox(peer.device.myMailbox));
  return contactView(peer.contact);
}
