/**
 * What arrives on our mailboxes (docs/client.md §4, §6): reading them over HTTP or taking what the
 * push connection hands us, routing each envelope to the contact's device or invitation that owns the
 * mailbox, and committing what it changes before it is acknowledged.
 */
import { decodeSession, encodeIdentity, encodeSession } from '@parley/protocol';
import {
  acceptNewSession,
  continuesSession,
  type Opened,
  openFromPeer,
  seal,
  tryInitialMessage,
} from '../engine/conversation.ts';
import type { DomainEvent } from '../engine/events.ts';
import { contactFromHello, helloOf, reconnected } from '../engine/new-contact.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { mailboxOf } from '../engine/payload.ts';
import { applyPayload, receiptIds } from '../engine/payload-effects.ts';
import {
  type DeviceRecord,
  type InvitationRecord,
  type MessageRecord,
  mailboxKey,
  type OwnMailbox,
  type Peer,
  peerMailboxOf,
  put,
} from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { chooseName, contactWithIdentity, nameFromSuggestion } from './contact-lookup.ts';
import { checkRequests } from './contact-requests.ts';
import {
  type ClientContext,
  getMessage,
  getRecord,
  listRecords,
  newMailbox,
  ownedMailbox,
  refused,
} from './context.ts';
import { withdrawInvitation } from './invitations.ts';
import { flushOutbox } from './outbox.ts';
import { peerOf, peerWrites } from './peers.ts';
import { responderKeys } from './prekey-maintenance.ts';
import { restartSession } from './sessions.ts';

/** Every mailbox we own: one per contact's device, one per open invitation. */
export async function ownMailboxes(ctx: ClientContext): Promise<OwnMailbox[]> {
  return [
    ...(await listRecords(ctx, 'device')).map((d) => d.myMailbox),
    ...(await listRecords(ctx, 'invitation')).filter((i) => !i.used).map((i) => i.mailbox),
  ];
}

/** Reads every mailbox we own over HTTP, in order, and the address's requests. */
export async function catchUp(ctx: ClientContext): Promise<void> {
  const api = ctx.api(ctx.profile.server);
  for (const m of await ownMailboxes(ctx)) {
    let after = m.lastSeq;
    for (;;) {
      const batch = await api.readMailbox(ownedMailbox(m), after, 200).catch((e: unknown) => {
        if (refused(e, 'not-owner', 'gone')) return []; // mailbox gone
        throw e;
      });
      for (const item of batch) await receive(ctx, mailboxKey(m.id), item.seq, item.envelope, true);
      if (batch.length < 200) break;
      after = (batch[batch.length - 1] as { seq: number }).seq;
    }
  }
  await checkRequests(ctx);
  // What catching up queued (receipts, welcomes, answers) goes out once, at the end.
  await flushOutbox(ctx).catch(() => undefined);
}

/**
 * Processes one envelope from one of our mailboxes after committing what it changes; then
 * acknowledges it (`ack`: over HTTP here; pushed messages are acknowledged by the connection
 * when this resolves). A crash before the acknowledgement means a redelivery, which the
 * mailbox's `lastSeq` turns into a no-op.
 */
export async function receive(
  ctx: ClientContext,
  mailbox: string,
  seq: number,
  envelope: Uint8Array,
  ack: boolean,
): Promise<void> {
  const processed = await ctx.serial(() => processEnvelope(ctx, mailbox, seq, envelope));
  // Starting over fetches the contact's bundle from their server: never inside the queue.
  const restart = async () => {
    if (processed.restart !== undefined)
      await restartSession(ctx, processed.restart, { unlessPending: true }).catch(() => undefined);
  };
  if (ack) {
    if (processed.ack !== null) {
      await ctx
        .api(ctx.profile.server)
        .ackMailbox(ownedMailbox(processed.ack), [seq])
        .catch(() => undefined);
    }
    await restart();
    return; // catchUp flushes once it has read everything
  }
  // A pushed message is acknowledged when this resolves: the reset or receipt it queued goes out
  // after, so a slow contact server never holds back our acknowledgements.
  void restart()
    .then(() => flushOutbox(ctx))
    .catch(() => undefined);
}

/** What processing an envelope leaves to do once the queue is released. */
interface Processed {
  /** The mailbox to acknowledge it on (null: nothing to acknowledge). */
  readonly ack: OwnMailbox | null;
  /** A contact whose session must start over (an undecryptable message). */
  readonly restart?: string;
}

async function processEnvelope(
  ctx: ClientContext,
  mailbox: string,
  seq: number,
  envelope: Uint8Array,
): Promise<Processed> {
  const route = await ctx.routes.get(ctx.store, mailbox);
  if (route === undefined) return { ack: null };
  if (route.kind === 'device') {
    const d = await getRecord(ctx, 'device', route.id);
    const c = d && (await getRecord(ctx, 'contact', d.contactId));
    return d && c ? processFromPeer(ctx, { contact: c, device: d }, seq, envelope) : { ack: null };
  }
  const inv = await getRecord(ctx, 'invitation', route.id);
  return { ack: inv ? await processOnInvitation(ctx, inv, seq, envelope) : null };
}

async function processOnInvitation(
  ctx: ClientContext,
  inv: InvitationRecord,
  seq: number,
  envelope: Uint8Array,
): Promise<OwnMailbox | null> {
  const env = ctx.env;
  const p = ctx.profile;
  const skip = async () => {
    await ctx.commit([put('invitation', inv.id, { ...inv, mailbox: { ...inv.mailbox, lastSeq: seq } })]);
    return inv.mailbox;
  };
  if (seq <= inv.mailbox.lastSeq || inv.used) return inv.mailbox;
  const initial = tryInitialMessage(envelope);
  if (initial === null) return skip();
  let accepted: ReturnType<typeof acceptNewSession>;
  try {
    accepted = acceptNewSession(env, p, initial, await responderKeys(ctx, initial));
  } catch (e) {
    if (ClientError.is(e, 'bad-message')) return skip();
    throw e;
  }
  const hello = helloOf(p, accepted);
  if (hello === null) return skip();
  // Someone we already have (docs/client.md "Names"): the same contact on a new session, not a second one.
  const known = await contactWithIdentity(ctx, encodeIdentity(accepted.session.remoteIdentity));
  const events: DomainEvent[] = [];
  let base: Peer;
  /** The new conversation, for a new contact. */
  const created: RecordWrite[] = [];
  if (known !== undefined) {
    const existing = await peerOf(ctx, known);
    base = reconnected(existing, encodeSession(accepted.session), mailboxOf(hello.mailbox), hello.name);
  } else {
    const myMailbox = await newMailbox(ctx);
    const id = ctx.newId();
    const { name, clashesWith } = await chooseName(ctx, hello.name || 'contact');
    const peer = contactFromHello(env, { id, name, conversationId: ctx.newId(), myMailbox }, accepted, hello);
    base = peer;
    created.push(put('conversation', peer.conversation.id, peer.conversation));
    if (clashesWith !== undefined) {
      events.push({ type: 'name-clash', contact: base.contact, suggestedName: hello.name, clashesWith });
    }
  }
  const myMailbox = base.device.myMailbox;
  const { device, envelope: welcome } = seal(env, base.device, {
    t: 'welcome',
    name: p.displayName,
    mailbox: peerMailboxOf(p.server, myMailbox),
  });
  const peer = { ...base, device };
  const used: InvitationRecord = { ...inv, used: true };
  await ctx.commit([
    ...peerWrites(peer),
    ...created,
    put('invitation', inv.id, used),
    ...accepted.writes,
    outboxWrite(device, welcome, null, ctx.newId()),
  ]);
  ctx.push?.unsubscribe(inv.mailbox.id);
  // The invitation is used: its mailbox goes, so a second use of the link is refused. If the
  // server cannot delete it now, the record stays (used) and every sync tries again.
  await withdrawInvitation(ctx, used).catch(() => undefined);
  if (created.length > 0) ctx.push?.subscribe(ownedMailbox(myMailbox));
  ctx.emit([{ type: 'contact-connected', contact: peer.contact }, ...events]);
  return null; // the mailbox is deleted: nothing to acknowledge
}

async function processFromPeer(ctx: ClientContext, peer: Peer, seq: number, envelope: Uint8Array): Promise<Processed> {
  const { contact: c, device: d } = peer;
  if (seq <= d.myMailbox.lastSeq) return { ack: d.myMailbox };
  const env = ctx.env;
  const initial = tryInitialMessage(envelope);
  const keys = initial !== null && !continuesSession(d, initial) ? await responderKeys(ctx, initial) : null;
  const opened: Opened = openFromPeer(env, ctx.profile, peer, envelope, keys);
  const bump = (x: DeviceRecord): DeviceRecord => ({ ...x, myMailbox: { ...x.myMailbox, lastSeq: seq } });
  if (opened.kind === 'duplicate') {
    await ctx.commit([put('device', d.id, bump(d))]);
    return { ack: d.myMailbox };
  }
  if (opened.kind === 'undecryptable') {
    // A gap the user should know of. Start over unless we already did and await an answer.
    const pending = decodeSession(d.session).pending !== null;
    await ctx.commit([put('device', d.id, bump(d))]);
    ctx.emit([{ type: 'undecryptable', contact: c }]);
    // The reset fetches their bundle from their server: after the queue is released (receive()).
    return !pending && c.state === 'connected' ? { ack: d.myMailbox, restart: c.id } : { ack: d.myMailbox };
  }
  const events: DomainEvent[] = [];
  const writes: RecordWrite[] = opened.kind === 'new-session' ? [...opened.writes] : [];
  let next: Peer = { ...opened.peer, device: bump(opened.peer.device) };
  if (opened.kind === 'new-session' && opened.identityChanged) {
    events.push({ type: 'identity-changed', contact: next.contact });
  }
  const messages = new Map<string, MessageRecord>();
  for (const id of receiptIds(opened.payload)) {
    const m = await getMessage(ctx, c.conversationId, id);
    if (m) messages.set(id, m);
  }
  const outcome = applyPayload(env, next, opened.payload, ctx.newId, messages);
  next = outcome.peer;
  writes.push(...outcome.writes);
  const answer = opened.payload;
  if ((answer.t === 'welcome' || answer.t === 'accept') && outcome.events.some((e) => e.type === 'contact-connected')) {
    // Their name for themselves is a suggestion: made unique here, a clash made visible.
    const named = await nameFromSuggestion(ctx, { ...next.contact, name: c.name }, answer.name);
    next = { ...next, contact: named.contact };
    for (const e of outcome.events) events.push(e.type === 'contact-connected' ? { ...e, contact: named.contact } : e);
    events.push(...named.events);
  } else events.push(...outcome.events);
  await ctx.commit([...peerWrites(next), ...writes]);
  ctx.emit(events);
  return { ack: d.myMailbox };
}
