/**
 * What arrives on our mailboxes (docs/client.md §4, §6): reading them over HTTP or taking what the
 * push connection hands us, routing each envelope to the contact's device or invitation that owns the
 * mailbox, and committing what it changes before it is acknowledged.
 */

import { decodeSession, encodeIdentity, encodeSession, equalBytes, publicIdentity } from '@parley/protocol';
import {
  acceptNewSession,
  continuesSession,
  type Opened,
  openFromPeer,
  seal,
  tryInitialMessage,
} from '../engine/conversation.ts';
import { sessionProven } from '../engine/device-proof.ts';
import type { DomainEvent } from '../engine/events.ts';
import { contactFromHello, helloOf, reconnected } from '../engine/new-contact.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { mailboxOf, type Payload, SYNC_TYPES } from '../engine/payload.ts';
import { applyPayload, payloadMessageIds } from '../engine/payload-effects.ts';
import {
  type InvitationRecord,
  type MessageRecord,
  mailboxKey,
  type OwnMailbox,
  type Peer,
  peerMailboxOf,
  put,
  SELF_CONTACT,
} from '../engine/records.ts';
import { envelopeDigest, hasSeen, remember } from '../engine/seen.ts';
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
import { acceptIntro, introduceDevices } from './device-intro.ts';
import { afterList, applyDeviceList, type ListOutcome, listCommitted, refreshDeviceList } from './device-list.ts';
import { acceptGroupWelcome, afterJoin } from './groups/group-welcome.ts';
import { withdrawInvitation } from './invitations.ts';
import { flushOutbox } from './outbox.ts';
import { applySync, type SyncOutcome } from './own-sync.ts';
import { peerFor, peerWrites } from './peers.ts';
import { responderKeys } from './prekey-maintenance.ts';
import { restartSession } from './sessions.ts';

/** Every mailbox we own: one per contact's device, one per open invitation. */
export async function ownMailboxes(ctx: ClientContext): Promise<OwnMailbox[]> {
  return [
    ...(await listRecords(ctx, 'device')).map((d) => d.myMailbox),
    ...(await listRecords(ctx, 'invitation')).filter((i) => !i.used).map((i) => i.mailbox),
  ];
}

/**
 * Reads every mailbox we own over HTTP and the address's requests. Each mailbox is read from its
 * start: what the server still holds is what we have not acknowledged, and a position the server
 * gave earlier is never trusted to skip anything (docs/client.md §4.6). The page cursor is the
 * server's too, so a hostile one can at most make us stop early until the next sync.
 */
export async function catchUp(ctx: ClientContext): Promise<void> {
  for (const m of await ownMailboxes(ctx)) await readMailbox(ctx, m);
  await checkRequests(ctx);
  // What catching up queued (receipts, welcomes, answers) goes out once, at the end.
  await flushOutbox(ctx).catch(() => undefined);
}

/** Reads one of our mailboxes over HTTP from its start and processes what it holds (see {@link catchUp}). */
async function readMailbox(ctx: ClientContext, m: OwnMailbox): Promise<void> {
  const api = ctx.api(ctx.profile.server);
  let after = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = await api.readMailbox(ownedMailbox(m), after, PAGE).catch((e: unknown) => {
      if (refused(e, 'not-owner', 'gone')) return []; // mailbox gone
      throw e;
    });
    // The page is in hand: a device-list fetch started from now on answers for all of it.
    const readAt = ctx.listFetches.mark();
    for (const item of batch) await receive(ctx, mailboxKey(m.id), item.seq, item.envelope, true, readAt);
    const last = batch[batch.length - 1]?.seq ?? after;
    if (batch.length < PAGE || last <= after) break;
    after = last;
  }
}

const PAGE = 200;
/** Pages read per mailbox and sync: a server that never ends a mailbox cannot hold us forever. */
const MAX_PAGES = 50;

/**
 * Processes one envelope from one of our mailboxes after committing what it changes, and says
 * whether it may be acknowledged (`ack`: over HTTP here; pushed messages are acknowledged by the
 * connection when this resolves true). `seq` only names the copy to the server: it is never used
 * to decide that an envelope is old. A redelivery is recognised by the ratchet (its key is spent)
 * or by the envelope's digest, and acknowledged without effect.
 */
export async function receive(
  ctx: ClientContext,
  mailbox: string,
  seq: number,
  envelope: Uint8Array,
  ack: boolean,
  readAt: number = ctx.listFetches.mark(),
): Promise<boolean> {
  // A typing indicator counts only when pushed as it happens, not read later from storage (§4.11).
  const live = !ack;
  let processed = await ctx.serial(() => processEnvelope(ctx, mailbox, envelope, undefined, false, live));
  if (processed.refreshList !== undefined && !ack && processed.readFrom !== undefined) {
    // Pushed: left on the server, and its mailbox read again over HTTP, coalesced and paced
    // (list-fetches.ts) — a burst of intros from unlisted devices costs one fetch, not one each.
    const m = processed.readFrom;
    ctx.listFetches.readLater(mailbox, processed.refreshList, async () => {
      await readMailbox(ctx, m);
      await flushOutbox(ctx).catch(() => undefined);
    });
    return false;
  }
  if (processed.refreshList !== undefined) {
    // A device not on the list we hold introduced itself: their latest list decides (fetched
    // outside the queue), then the envelope is processed once more with it.
    // A list that cannot be fetched now refuses nothing: the intro stays for the next read. One
    // fetched since this envelope's page was read answers for it too (list-fetches.ts): a flood
    // of intros costs one fetch per person and page.
    const contactId = processed.refreshList;
    processed = (await ctx.listFetches.fetchFor(contactId, readAt, () => refreshDeviceList(ctx, contactId)))
      ? await ctx.serial(() => processEnvelope(ctx, mailbox, envelope, undefined, true, live))
      : { ack: null };
  }
  if (processed.refetch !== undefined) {
    // An undecryptable copy is not the last word: read the copy the server stores at that
    // position; a different one is processed instead, only the same bytes are given up on.
    const stored = await storedCopy(ctx, processed.refetch, seq);
    processed =
      stored === undefined ? { ack: null } : await ctx.serial(() => processEnvelope(ctx, mailbox, stored, envelope));
  }
  // Starting over fetches the contact's bundle from their server: never inside the queue.
  const restart = async () => {
    const r = processed.restart;
    if (r !== undefined)
      await restartSession(ctx, r.contact, { unlessPending: true, device: r.device }).catch(() => undefined);
  };
  if (ack) {
    if (processed.ack !== null) {
      await ctx
        .api(ctx.profile.server)
        .ackMailbox(ownedMailbox(processed.ack), [seq])
        .catch(() => undefined);
    }
    await restart();
    return processed.ack !== null; // catchUp flushes once it has read everything
  }
  // A pushed message is acknowledged when this resolves: the reset or receipt it queued goes out
  // after, so a slow contact server never holds back our acknowledgements.
  void restart()
    .then(() => flushOutbox(ctx))
    .catch(() => undefined);
  return processed.ack !== null;
}

/**
 * The copy the server stores at `seq` of a mailbox, read again over HTTP; undefined when it holds
 * none there (the position we were given was not its own) or cannot be asked now.
 */
async function storedCopy(ctx: ClientContext, m: OwnMailbox, seq: number): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  const batch = await ctx
    .api(ctx.profile.server)
    .readMailbox(ownedMailbox(m), seq - 1, 1)
    .catch(() => []);
  const item = batch[0];
  return item !== undefined && item.seq === seq ? item.envelope : undefined;
}

/** What processing an envelope leaves to do once the queue is released. */
interface Processed {
  /** The mailbox to acknowledge it on (null: not to be acknowledged). */
  readonly ack: OwnMailbox | null;
  /** A contact's device whose session must start over (a stored message that is itself unreadable). */
  readonly restart?: { readonly contact: string; readonly device: string };
  /** Undecryptable as received: read the stored copy on this mailbox before giving up. */
  readonly refetch?: OwnMailbox;
  /** A device of this contact not on its list we hold introduced itself: fetch the list first. */
  readonly refreshList?: string;
  /** With `refreshList`: the mailbox it came on (a pushed one is read again from there). */
  readonly readFrom?: OwnMailbox;
}

async function processEnvelope(
  ctx: ClientContext,
  mailbox: string,
  envelope: Uint8Array,
  received?: Uint8Array,
  listChecked = false,
  live = false,
): Promise<Processed> {
  const route = await ctx.routes.get(ctx.store, mailbox);
  if (route === undefined) return { ack: null };
  if (route.kind === 'device') {
    const d = await getRecord(ctx, 'device', route.id);
    const c = d && (await getRecord(ctx, 'contact', d.contactId));
    return d && c
      ? processFromPeer(ctx, { contact: c, device: d }, envelope, received, listChecked, live)
      : { ack: null };
  }
  const inv = await getRecord(ctx, 'invitation', route.id);
  return { ack: inv ? await processOnInvitation(ctx, inv, envelope) : null };
}
async function processOnInvitation(
  ctx: ClientContext,
  inv: InvitationRecord,
  envelope: Uint8Array,
): Promise<OwnMailbox | null> {
  const env = ctx.env;
  const p = ctx.profile;
  // Not a hello we can open: acknowledged (nothing else can come of it). No position is trusted.
  const skip = async () => inv.mailbox;
  if (inv.used) return inv.mailbox;
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
    const existing = await peerFor(ctx, known, accepted.session.remoteDevice);
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

/**
 * An envelope from a contact's device. `received` is set when `envelope` is the stored copy read
 * again after the received one did not decrypt: then an unreadable copy is given up on.
 */
async function processFromPeer(
  ctx: ClientContext,
  peer: Peer,
  envelope: Uint8Array,
  received: Uint8Array | undefined,
  listChecked: boolean,
  live: boolean,
): Promise<Processed> {
  const { contact: c, device: d } = peer;
  const env = ctx.env;
  const initial = tryInitialMessage(envelope);
  const keys = initial !== null && !continuesSession(d, initial) ? await responderKeys(ctx, initial) : null;
  const opened: Opened = openFromPeer(env, ctx.profile, peer, envelope, keys);
  const digest = envelopeDigest(env, envelope);
  if (opened.kind === 'duplicate' || (opened.kind === 'undecryptable' && hasSeen(d, digest))) {
    return { ack: d.myMailbox }; // a redelivery or a replay: nothing to do, nothing to report
  }
  if (opened.kind === 'undecryptable') {
    if (received === undefined) return { ack: null, refetch: d.myMailbox };
    if (!equalBytes(received, envelope)) {
      // The stored copy differs from the one pushed and is unreadable too: neither is given up on
      // the strength of the other; the stored one stays for the next read.
      return { ack: null };
    }
    // The copy the server holds is itself unreadable: altered, or for a session we no longer
    // have. Start over unless we already did and await an answer (docs/client.md §4.4). A
    // device we have no session with yet (an intro pending either way) has nothing to restart.
    if (d.session.length === 0) return { ack: d.myMailbox };
    const pending = decodeSession(d.session).pending !== null;
    ctx.emit([{ type: 'undecryptable', contact: c }]);
    return !pending && c.state === 'connected'
      ? { ack: d.myMailbox, restart: { contact: c.id, device: d.id } }
      : { ack: d.myMailbox };
  }
  if (
    opened.kind === 'new-session' &&
    !opened.identityChanged &&
    (opened.accepted.remoteDevice !== d.device || d.awaitingIntro === true)
  ) {
    // Another device of theirs (or the one we await) introducing itself (§4.9).
    return acceptIntro(ctx, c, d, opened, digest, listChecked);
  }
  if (d.awaitingIntro === true || d.needsIntro === true) return { ack: d.myMailbox }; // no session to speak in yet
  if (
    opened.kind === 'new-session' &&
    !opened.identityChanged &&
    !sessionProven(
      env,
      c.id === SELF_CONTACT ? ctx.profile.deviceList : c.deviceList,
      opened.accepted,
      publicIdentity(ctx.profile.identity),
      opened.payload,
    )
  ) {
    // A new session claiming a device of theirs it cannot prove to be (§4.9): a device removed
    // from their account still holds the identity. Not adopted; its prekeys are not spent, so
    // the device's own reset, if it comes, still opens.
    ctx.emit([{ type: 'unknown-device', contact: c, device: opened.accepted.remoteDevice }]);
    return { ack: d.myMailbox };
  }
  const events: DomainEvent[] = [];
  const writes: RecordWrite[] = opened.kind === 'new-session' ? [...opened.writes] : [];
  const { stale: _s, dropped: _d, ...heard } = remember(opened.peer.device, digest);
  let next: Peer = { ...opened.peer, device: { ...heard, lastHeardAt: env.now() } };
  if (opened.kind === 'new-session' && opened.identityChanged) {
    events.push({ type: 'identity-changed', contact: next.contact });
  }
  const own = c.id === SELF_CONTACT;
  const payload = opened.payload;
  if (SYNC_TYPES.has(payload.t) || payload.t === 'devices' || (own && !OWN_TYPES.has(payload.t))) {
    // Sync payloads only from our own devices; a text or answer never from them.
    let after: ListOutcome | null = null;
    let synced: SyncOutcome | null = null;
    if (payload.t === 'devices') {
      after = await applyDeviceList(ctx, next.contact, payload.list);
      next = { ...next, contact: after.contact };
      writes.push(...after.writes);
      events.push(...after.events);
    } else if (own && isSync(payload)) {
      synced = await applySync(ctx, payload);
      writes.push(...synced.writes);
      events.push(...synced.events);
    }
    const dropped = new Set(after?.dropped ?? []);
    // The list may have dropped the very device it came from: then its record goes too.
    const keep = dropped.has(next.device.id) ? [put('contact', next.contact.id, next.contact)] : peerWrites(next);
    await ctx.commit([...keep, ...writes]);
    if (after !== null) listCommitted(ctx, after);
    if (synced?.profile) ctx.profile = synced.profile;
    for (const m of synced?.subscribe ?? []) ctx.push?.subscribe(ownedMailbox(m));
    // A device of ours to introduce ourselves to: at once, not at the next sync (after this turn).
    if (synced?.introduce === true) void introduceDevices(ctx).catch(() => undefined);
    ctx.emit(events);
    if (after !== null && after.mailboxes.length > 0) void afterList(ctx, after);
    return { ack: d.myMailbox };
  }
  if (payload.t === 'group-welcome') {
    const joined = await acceptGroupWelcome(ctx, payload);
    await ctx.commit([...peerWrites(next), ...writes, ...joined.writes]);
    const g = joined.group;
    ctx.emit(g === null ? events : [...events, { type: 'group', change: 'joined', groupId: g.id, status: g.status }]);
    if (g !== null) afterJoin(ctx, g);
    return { ack: d.myMailbox };
  }
  const messages = new Map<string, MessageRecord>();
  for (const id of payloadMessageIds(opened.payload)) {
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
  } else events.push(...outcome.events.filter((e) => live || e.type !== 'typing'));
  await ctx.commit([...peerWrites(next), ...writes]);
  ctx.emit(events);
  return { ack: d.myMailbox };
}

/** What our own devices may send us besides sync payloads: the session's own messages. */
const OWN_TYPES: ReadonlySet<string> = new Set([
  'group-welcome',
  'introduce',
  'settings',
  'welcome',
  'reset',
  'sent',
  'contact',
  'read',
  'device-names',
  'devices',
]);

const isSync = (
  p: Payload,
): p is Extract<Payload, { t: 'sent' | 'contact' | 'read' | 'device-names' | 'introduce' | 'settings' }> =>
  SYNC_TYPES.has(p.t);
