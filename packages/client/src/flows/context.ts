/**
 * What the driver's modules share of one `ParleyClient` (client.ts): the store, the environment,
 * the profile as last committed, and the client's commit, serial queue, events and server APIs —
 * plus the few store and server steps every flow uses. Functions here and in the flow modules take
 * the context first; only client.ts creates one.
 */
import { accountIdOf, deviceId, generateEd25519, type ProtocolEnv, publicIdentity } from '@parley/protocol';
import type { ClientOptions, PushConnection } from '../client-options.ts';
import type { DomainEvent } from '../engine/events.ts';
import type { NewId } from '../engine/id-sequence.ts';
import { decodeAs, type RecordType, type RecordTypes } from '../engine/record-schemas.ts';
import { type MessageRecord, messageKind, type OwnMailbox, type ProfileRecord } from '../engine/records.ts';
import { ClientError, type ServerRefusal } from '../errors.ts';
import type { DeviceAuth, OwnedMailbox, ServerApiLike } from '../net/server-api-types.ts';
import type { RecordStore, RecordWrite } from '../store/record-store.ts';
import type { Lanes } from './lanes.ts';
import type { ListFetches } from './list-fetches.ts';
import type { MailboxRoutes } from './mailbox-routes.ts';

export interface ClientContext {
  readonly store: RecordStore;
  readonly env: ProtocolEnv;
  readonly options: ClientOptions;
  /** The profile as last committed (prekey refills and identity rotation replace it). */
  profile: ProfileRecord;
  /** The push connection while the client is started: new mailboxes are subscribed on it. */
  push: PushConnection | null;
  /** Which record owns each of our mailboxes; `commit` keeps it current. */
  readonly routes: MailboxRoutes;
  readonly newId: NewId;
  /** Commits one atomic batch. */
  commit(writes: readonly RecordWrite[]): Promise<void>;
  /**
   * Runs `f` after every operation queued before it (one state change at a time). Never hold it
   * across a call to another server: commit the intent, leave, act, and come back to record the
   * outcome (the outbox, introductions and session restarts do so).
   */
  serial<T>(f: () => Promise<T>): Promise<T>;
  /** The outbox's per-server delivery queues (outbox.ts). */
  readonly lanes: Lanes;
  /** Device-list fetches for unlisted intros, one per person and read (list-fetches.ts). */
  readonly listFetches: ListFetches;
  /** Hands committed events to the app's listeners (the facade turns them into views). */
  emit(events: readonly DomainEvent[]): void;
  /** A server API for a base URL. */
  api(url: string): ServerApiLike;
}

/** A record of `kind`, checked against its schema (`store-corrupt` if it does not match). */
export async function getRecord<K extends RecordType>(
  ctx: ClientContext,
  kind: K,
  id: string,
): Promise<RecordTypes[K] | undefined> {
  const bytes = await ctx.store.get(kind, id);
  return bytes === undefined ? undefined : decodeAs(kind, bytes);
}

/** Every record of `kind`, in id order, each checked against its schema. */
export async function listRecords<K extends RecordType>(ctx: ClientContext, kind: K): Promise<RecordTypes[K][]> {
  return (await ctx.store.list(kind)).map((r) => decodeAs(kind, r.value));
}

/** A message of a conversation's history. */
export async function getMessage(
  ctx: ClientContext,
  conversationId: string,
  id: string,
): Promise<MessageRecord | undefined> {
  const bytes = await ctx.store.get(messageKind(conversationId), id);
  return bytes === undefined ? undefined : decodeAs('message', bytes);
}

export function auth(ctx: ClientContext): DeviceAuth {
  const p = ctx.profile;
  return {
    account: accountIdOf(publicIdentity(p.identity)),
    device: deviceId(p.device),
    devicePrivateKey: p.deviceKeys.privateKey,
  };
}

/** A new mailbox on our server, with fresh recipient and sender key pairs. */
export async function newMailbox(ctx: ClientContext): Promise<OwnMailbox> {
  const env = ctx.env;
  const recipient = generateEd25519(env);
  const sender = generateEd25519(env);
  const id = await ctx.api(ctx.profile.server).createMailbox(auth(ctx), recipient.publicKey, sender.publicKey);
  return { id, recipient, sender, lastSeq: 0 };
}

export function ownedMailbox(m: OwnMailbox): OwnedMailbox {
  return { id: m.id, recipientPrivateKey: m.recipient.privateKey };
}

/** A refusal of this meaning (errors.ts `ServerRefusal`), as the transport reported it. */
export function refused(e: unknown, ...meanings: readonly ServerRefusal[]): e is ClientError {
  return ClientError.is(e, 'server-error') && e.refusal !== undefined && meanings.includes(e.refusal);
}

/** For deletions on the server: what is already gone or no longer ours is done. */
export function ignoreGone(e: unknown): void {
  if (refused(e, 'gone', 'not-owner')) return;
  throw e;
}
