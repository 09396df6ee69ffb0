/**
 * Contact addresses and requests (docs/client.md §4.2): publishing and revoking our address,
 * asking someone through theirs, and — as the owner — fetching, keeping, accepting and rejecting
 * the requests left at ours. Addresses have no push: requests are fetched at every `sync` and
 * every 30 s while running.
 */
import { deviceId, generateEd25519, publicIdentity } from '@parley/protocol';
import type { AddressView, ContactView, RequestView } from '../api.ts';
import { type OpenedRequest, openRequest, requestPayload } from '../engine/contact-request.ts';
import { seal, tryInitialMessage } from '../engine/conversation.ts';
import type { DomainEvent } from '../engine/events.ts';
import { decodeAddressLink, encodeAddressLink } from '../engine/links.ts';
import { contactFromRequest, reconnected } from '../engine/new-contact.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { MAX_INTRO } from '../engine/payload.ts';
import { type AddressRecord, del, type Peer, peerMailboxOf, put, type RequestRecord } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { contactView, requestView } from '../views.ts';
import { checkName, chooseName, contactWithIdentity, uniqueName } from './contact-lookup.ts';
import {
  auth,
  type ClientContext,
  getRecord,
  ignoreGone,
  listRecords,
  newMailbox,
  ownedMailbox,
  refused,
} from './context.ts';
import { introduce, startContact } from './introductions.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { peerFor, peerWrites } from './peers.ts';
import { responderKeys } from './prekey-maintenance.ts';

/** Publishes our contact address (one per profile), or returns the existing one. */
export async function createAddress(ctx: ClientContext): Promise<AddressView> {
  return ctx.serial(async () => {
    const existing = await getRecord(ctx, 'address', 'self');
    if (existing) return { link: existing.link, createdAt: existing.createdAt };
    const p = ctx.profile;
    const owner = generateEd25519(ctx.env);
    const id = await ctx.api(p.server).createAddress(auth(ctx), owner.publicKey);
    const link = encodeAddressLink({
      server: p.server,
      identity: publicIdentity(p.identity),
      device: deviceId(p.device),
      addressId: id,
    });
    const record: AddressRecord = { v: 2, id, owner, link, createdAt: ctx.env.now(), lastSeq: 0 };
    await ctx.commit([put('address', 'self', record)]);
    return { link, createdAt: record.createdAt };
  });
}

export async function address(ctx: ClientContext): Promise<AddressView | null> {
  const a = await getRecord(ctx, 'address', 'self');
  return a ? { link: a.link, createdAt: a.createdAt } : null;
}

/** Revokes our address: the server deletes it with its pending requests; links to it stop working. */
export async function revokeAddress(ctx: ClientContext): Promise<boolean> {
  return ctx.serial(async () => {
    const a = await getRecord(ctx, 'address', 'self');
    if (!a) return false;
    await ctx
      .api(ctx.profile.server)
      .deleteAddress({ id: a.id, ownerPrivateKey: a.owner.privateKey })
      .catch(ignoreGone);
    const pending = await listRecords(ctx, 'request');
    await ctx.commit([del('address', 'self'), ...pending.map((r) => del('request', r.id))]);
    return true;
  });
}

/** Sends a contact request to someone's address, with an introduction. */
export async function sendRequest(
  ctx: ClientContext,
  link: string,
  options: { message?: string; name?: string },
): Promise<ContactView> {
  const env = ctx.env;
  const addr = decodeAddressLink(env, link);
  const message = options.message ?? '';
  if (message.length > MAX_INTRO)
    throw new ClientError('usage', `The introduction is longer than ${MAX_INTRO} characters.`);
  if (options.name !== undefined) checkName(options.name);
  const target = { server: addr.server, identity: addr.identity, device: addr.device, keySource: 'address' } as const;
  const { peer, envelope } = await startContact(ctx, target, options.name, (myMailbox) =>
    requestPayload(env, ctx.profile, addr.addressId, message, myMailbox),
  );
  return introduce(
    ctx,
    peer,
    () => ctx.api(addr.server).postRequest(addr.addressId, envelope),
    new ClientError('address-revoked', 'This contact address was revoked by its owner.'),
  );
}

export async function requests(ctx: ClientContext): Promise<RequestView[]> {
  return (await listRecords(ctx, 'request')).map(requestView);
}

async function pendingRequest(ctx: ClientContext, requestId: string): Promise<RequestRecord> {
  const r = await getRecord(ctx, 'request', requestId);
  if (!r) throw new ClientError('unknown-request', 'There is no pending request with that id: run `requests`.');
  return r;
}

/** Accepts a contact request: the requester becomes a contact and learns where to reach us. */
export async function acceptRequest(
  ctx: ClientContext,
  requestId: string,
  options: { name?: string },
): Promise<ContactView> {
  if (options.name !== undefined) checkName(options.name);
  const accepted = await ctx.serial(async () => {
    const r = await pendingRequest(ctx, requestId);
    const env = ctx.env;
    // Someone we already have (docs/client.md "Names"): the same contact on the request's session.
    const known = await contactWithIdentity(ctx, r.identity);
    const events: DomainEvent[] = [];
    const created: RecordWrite[] = [];
    let base: Peer;
    if (known !== undefined) {
      base = reconnected(await peerFor(ctx, known, r.device), r.session, r.theirMailbox, r.name);
      if (options.name !== undefined) {
        base = {
          ...base,
          contact: { ...base.contact, name: await uniqueName(ctx, options.name, known.id), aliasSet: true },
        };
      }
    } else {
      const myMailbox = await newMailbox(ctx);
      const id = ctx.newId();
      const { name, clashesWith } = await chooseName(ctx, options.name ?? r.name);
      const peer = contactFromRequest(
        env,
        { id, name, conversationId: ctx.newId(), myMailbox },
        r,
        options.name !== undefined,
      );
      base = peer;
      created.push(put('conversation', peer.conversation.id, peer.conversation));
      if (clashesWith !== undefined && options.name === undefined) {
        events.push({ type: 'name-clash', contact: peer.contact, suggestedName: r.name, clashesWith });
      }
    }
    const myMailbox = base.device.myMailbox;
    const { device, envelope } = seal(env, base.device, {
      t: 'accept',
      name: ctx.profile.displayName,
      mailbox: peerMailboxOf(ctx.profile.server, myMailbox),
    });
    const peer = { ...base, device };
    const contact = peer.contact;
    await ctx.commit([
      ...peerWrites(peer),
      ...created,
      del('request', r.id),
      outboxWrite(device, envelope, null, ctx.newId()),
    ]);
    if (created.length > 0) ctx.push?.subscribe(ownedMailbox(myMailbox));
    ctx.emit(events);
    return contactView(contact);
  });
  // Accepted and committed: if the requester's server cannot take the answer now, it stays
  // queued (retried at the next sync or reconnect) rather than failing an accept that happened.
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  return accepted;
}

/** Rejects a request: it is deleted here; the requester is not told (their contact stays pending). */
export async function rejectRequest(ctx: ClientContext, requestId: string): Promise<void> {
  await ctx.serial(async () => {
    const r = await pendingRequest(ctx, requestId);
    await ctx.commit([del('request', r.id)]);
  });
}

/** Requests fetched per page; pages are read until one comes back short. */
const REQUEST_PAGE = 100;

/** Fetches new requests left at our address, opens them and keeps the authentic ones. */
export async function checkRequests(ctx: ClientContext): Promise<void> {
  await ctx.serial(async () => {
    for (;;) {
      const fetched = await checkRequestPage(ctx);
      if (fetched < REQUEST_PAGE) return;
    }
  });
}

/** One page of requests, committed with the address's new `lastSeq`; returns how many came. */
async function checkRequestPage(ctx: ClientContext): Promise<number> {
  const a = await getRecord(ctx, 'address', 'self');
  if (!a) return 0;
  const owned = { id: a.id, ownerPrivateKey: a.owner.privateKey };
  const api = ctx.api(ctx.profile.server);
  const batch = await api.listRequests(owned, a.lastSeq, REQUEST_PAGE).catch((e: unknown) => {
    if (refused(e, 'not-owner', 'gone')) return []; // the address is gone
    throw e;
  });
  if (batch.length === 0) return 0;
  const writes: RecordWrite[] = [];
  const events: DomainEvent[] = [];
  for (const item of batch) {
    const r = await openStored(ctx, a, item.request, item.receivedAt).catch((e: unknown) => {
      if (ClientError.is(e, 'bad-message')) return null;
      throw e;
    });
    if (r === null) continue;
    writes.push(...r.writes, put('request', r.record.id, r.record));
    events.push({ type: 'contact-request', request: r.record });
  }
  const lastSeq = (batch[batch.length - 1] as { seq: number }).seq;
  await ctx.commit([...writes, put('address', 'self', { ...a, lastSeq })]);
  await api
    .deleteRequests(
      owned,
      batch.map((b) => b.seq),
    )
    .catch(() => undefined);
  ctx.emit(events);
  return batch.length;
}

/** Opens one request from the server with the prekeys it names (engine/contact-request.ts). */
async function openStored(
  ctx: ClientContext,
  a: AddressRecord,
  bytes: Uint8Array,
  receivedAt: number,
): Promise<OpenedRequest> {
  const initial = tryInitialMessage(bytes);
  if (initial === null) throw new ClientError('bad-message', 'A contact request could not be read.');
  const keys = await responderKeys(ctx, initial);
  return openRequest(ctx.env, ctx.profile, a.id, initial, keys, receivedAt, ctx.newId);
}
