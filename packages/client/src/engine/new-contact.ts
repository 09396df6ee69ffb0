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
import type { Accepted } from './conversation.ts';
import { mailboxOf, type Payload } from './payload.ts';
import type { ContactRecord, OwnMailbox, ProfileRecord, RequestRecord } from './records.ts';

/** What the driver decides for a new contact: its id, alias and the mailbox it created for it. */
export interface ContactSlot {
  readonly id: string;
  readonly name: string;
  readonly myMailbox: OwnMailbox;
}

type NewContactFields = ContactSlot &
  Pick<ContactRecord, 'aliasSet' | 'keySource' | 'identity' | 'device' | 'state' | 'theirMailbox' | 'session'>;

function newContact(env: ProtocolEnv, f: NewContactFields): ContactRecord {
  return {
    v: 1,
    id: f.id,
    name: f.name,
    aliasSet: f.aliasSet,
    keySource: f.keySource,
    verification: 'unverified',
    identity: f.identity,
    device: f.device,
    replacedIdentity: null,
    state: f.state,
    createdAt: env.now(),
    theirMailbox: f.theirMailbox,
    myMailbox: f.myMailbox,
    session: f.session,
    previousSessions: [],
  };
}

/** A contact we started with their link: pending until their welcome or accept tells us where to deliver. */
export function pendingContact(
  env: ProtocolEnv,
  slot: ContactSlot,
  link: { keySource: ContactRecord['keySource']; identity: PublicIdentity; device: number; aliasSet: boolean },
  session: Session,
): ContactRecord {
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
export function contactFromHello(env: ProtocolEnv, slot: ContactSlot, accepted: Accepted, hello: Hello): ContactRecord {
  return newContact(env, {
    ...slot,
    aliasSet: false,
    keySource: 'invitation',
    identity: encodeIdentity(accepted.session.remoteIdentity),
    device: accepted.session.remoteDevice,
    state: 'connected',
    theirMailbox: mailboxOf(hello.mailbox),
    session: encodeSession(accepted.session),
  });
}

/** The contact an accepted request makes: connected, on the session the request started. */
export function contactFromRequest(
  env: ProtocolEnv,
  slot: ContactSlot,
  r: RequestRecord,
  aliasSet: boolean,
): ContactRecord {
  return newContact(env, {
    ...slot,
    aliasSet,
    keySource: 'address',
    identity: r.identity,
    device: r.device,
    state: 'connected',
    theirMailbox: r.theirMailbox,
    session: r.session,
  });
}
