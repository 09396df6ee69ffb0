/**
 * The contact records the flows create (docs/client.md §4.1, §4.2): pending after we used someone's
 * link, connected when their hello reached our invitation or when we accept their request. Every
 * new contact starts `unverified`, with no replaced identity and no earlier sessions. Pure: the
 * driver creates the mailbox and picks the id and a unique alias first.
 */
import {
  encodeIdentity,
  encodeSession,
  type ProtocolEnv,
  type PublicIdentity,
  publicIdentity,
  type Session,
  sameIdentity,
} from '@parley/protocol';
import type { RecordWrite } from '../store/record-store.ts';
import { type Accepted, MAX_PREVIOUS_SESSIONS } from './conversation.ts';
import { mailboxOf, type Payload } from './payload.ts';
import {
  type ContactRecord,
  type ConversationRecord,
  type DeviceRecord,
  deviceRecordId,
  type OwnMailbox,
  type Peer,
  type ProfileRecord,
  put,
  type RequestRecord,
} from './records.ts';

/**
 * What the driver decides for a new contact: its id, alias, the id of its conversation and the
 * mailbox it created for its device.
 */
export interface ContactSlot {
  readonly id: string;
  readonly name: string;
  readonly conversationId: string;
  readonly myMailbox: OwnMailbox;
}

/** A new contact: the person, their one device, and the conversation with them. */
export interface NewPeer extends Peer {
  readonly conversation: ConversationRecord;
}

type NewContactFields = ContactSlot &
  Pick<ContactRecord, 'aliasSet' | 'keySource' | 'identity' | 'state' | 'suggestedName'> &
  Pick<DeviceRecord, 'device' | 'theirMailbox' | 'session'>;

function newContact(env: ProtocolEnv, f: NewContactFields): NewPeer {
  const now = env.now();
  return {
    contact: {
      v: 2,
      id: f.id,
      name: f.name,
      aliasSet: f.aliasSet,
      ...(f.suggestedName ? { suggestedName: f.suggestedName } : {}),
      keySource: f.keySource,
      verification: 'unverified',
      identity: f.identity,
      replacedIdentity: null,
      state: f.state,
      createdAt: now,
      conversationId: f.conversationId,
    },
    device: {
      v: 2,
      id: deviceRecordId(f.id, f.device),
      contactId: f.id,
      device: f.device,
      theirMailbox: f.theirMailbox,
      myMailbox: f.myMailbox,
      session: f.session,
      previousSessions: [],
    },
    conversation: { v: 2, id: f.conversationId, kind: 'direct', contactId: f.id, createdAt: now },
  };
}

/** The writes that store a new contact with its device and conversation. */
export const newPeerWrites = (p: NewPeer): RecordWrite[] => [
  put('contact', p.contact.id, p.contact),
  put('device', p.device.id, p.device),
  put('conversation', p.conversation.id, p.conversation),
];

/** A contact we started with their link: pending until their welcome or accept tells us where to deliver. */
export function pendingContact(
  env: ProtocolEnv,
  slot: ContactSlot,
  link: { keySource: ContactRecord['keySource']; identity: PublicIdentity; device: number; aliasSet: boolean },
  session: Session,
): NewPeer {
  return newContact(env, {
    ...slot,
    aliasSet: link.aliasSet,
    keySource: link.keySource,
    identity: encodeIdentity(link.identity),
    device: link.device,
    state: 'pending',
    theirMailbox: null,
    session: encodeSession(session),
  });
}

export type Hello = Extract<Payload, { t: 'hello' }>;

/** The hello an invitation's initial message must carry; null for anything else, or from our own identity. */
export function helloOf(profile: ProfileRecord, accepted: Accepted): Hello | null {
  const hello = accepted.payload;
  if (hello.t !== 'hello' || sameIdentity(accepted.session.remoteIdentity, publicIdentity(profile.identity)))
    return null;
  return hello;
}

/** The contact an invitation's hello makes: connected, on the session the hello started. */
export function contactFromHello(env: ProtocolEnv, slot: ContactSlot, accepted: Accepted, hello: Hello): NewPeer {
  return newContact(env, {
    ...slot,
    aliasSet: false,
    suggestedName: hello.name,
    keySource: 'invitation',
    identity: encodeIdentity(accepted.session.remoteIdentity),
    device: accepted.session.remoteDevice,
    state: 'connected',
    theirMailbox: mailboxOf(hello.mailbox),
    session: encodeSession(accepted.session),
  });
}

/** The contact an accepted request makes: connected, on the session the request started. */
export function contactFromRequest(env: ProtocolEnv, slot: ContactSlot, r: RequestRecord, aliasSet: boolean): NewPeer {
  return newContact(env, {
    ...slot,
    aliasSet,
    suggestedName: r.name,
    keySource: 'address',
    identity: r.identity,
    device: r.device,
    state: 'connected',
    theirMailbox: r.theirMailbox,
    session: r.session,
  });
}

/**
 * An identity we already have as a contact connected again (our invitation used by them, or
 * their request accepted): the same contact — name, verification and conversation kept — on
 * the new session, which becomes the device's current one (the old ones stay, newest first,
 * for messages still under way). `theirMailbox` is where they now want to be reached; our
 * mailbox for them stays the one they had, and the welcome or accept names it.
 */
export function reconnected(
  existing: Peer,
  session: Uint8Array,
  theirMailbox: DeviceRecord['theirMailbox'],
  suggestedName: string,
): Peer {
  const d = existing.device;
  return {
    contact: {
      ...existing.contact,
      state: 'connected',
      ...(suggestedName === '' ? {} : { suggestedName }),
    },
    device: {
      ...d,
      session,
      previousSessions: [d.session, ...d.previousSessions].slice(0, MAX_PREVIOUS_SESSIONS),
      theirMailbox,
    },
  };
}
