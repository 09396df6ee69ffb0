/**
 * Reading a group's log (docs/client.md §4.12): the entries of our epoch after our cursor, in
 * order — application messages decrypted and stored, a commit processed to the next epoch, whose
 * entries are read with the next write key — until the log has nothing newer. An entry the engine
 * refuses (a replay, a forgery, garbage from a member or the server) changes nothing but the
 * cursor: MLS authenticates every message (RFC 9420 §6), so a hostile server can only withhold.
 */

import { GroupError, type GroupState, type Member } from '@parley/groups';
import { accountIdFromKey } from '@parley/protocol';
import type { DomainEvent } from '../../engine/events.ts';
import { decodeGroupPayload, type GroupPayload } from '../../engine/group-payload.ts';
import type { GroupRecord } from '../../engine/group-records.ts';
import { type ContactRecord, type InboxRecord, type MessageRecord, messageKind, put } from '../../engine/records.ts';
import { ClientError } from '../../errors.ts';
import type { GroupEntry } from '../../net/group-api.ts';
import type { RecordWrite } from '../../store/record-store.ts';
import { identityFrom } from '../contact-lookup.ts';
import { type ClientContext, listRecords } from '../context.ts';
import { groupApi, groupEngine, groupIdBytes, putGroup, stateOf, writeKey } from './group-context.ts';
import { followGroup } from './group-follow.ts';

/** What applying some entries did: the group as it became, its writes, events, leave requests. */
export interface Applied {
  readonly group: GroupRecord;
  readonly state: GroupState;
  readonly writes: RecordWrite[];
  readonly events: DomainEvent[];
  /** Accounts (base64url of their identity key) that asked to leave. */
  readonly leaving: string[];
}

/** Who a member is to us: a contact (by identity key), ourselves, or a stranger (by account id). */
export async function senderResolver(ctx: ClientContext): Promise<(m: Member) => { contactId: string; own: boolean }> {
  const contacts = await listRecords(ctx, 'contact');
  const byAccount = new Map<string, ContactRecord>();
  for (const c of contacts) {
    if (c.state === 'connected') byAccount.set(accountIdFromKey(identityFrom(c.identity).signingKey), c);
  }
  const me = accountIdFromKey(ctx.profile.identity.signing.publicKey);
  return (m) => {
    const account = accountIdFromKey(m.accountKey);
    if (account === me) return { contactId: 'self', own: true };
    return { contactId: byAccount.get(account)?.id ?? `account:${account}`, own: false };
  };
}

/**
 * Applies `entries` (one epoch's, in order) to `group` at `state`; stops after a commit, or
 * before `stopAt` (a seq: our own commit's). Pure but for the engine's async crypto.
 */
export async function applyEntries(
  ctx: ClientContext,
  group: GroupRecord,
  state: GroupState,
  entries: readonly GroupEntry[],
  stopAt?: number,
): Promise<Applied> {
  const engine = groupEngine();
  const who = await senderResolver(ctx);
  let g = group;
  let s = state;
  const writes: RecordWrite[] = [];
  const events: DomainEvent[] = [];
  const leaving: string[] = [];
  for (const e of entries) {
    if (e.seq <= g.cursor) continue;
    if (stopAt !== undefined && e.seq >= stopAt) break;
    if (g.mine.includes(e.seq)) {
      g = { ...g, cursor: e.seq, mine: g.mine.filter((x) => x !== e.seq) };
      continue;
    }
    g = { ...g, cursor: e.seq };
    let processed: Awaited<ReturnType<typeof engine.process>>;
    try {
      processed = await engine.process(s, e.message);
    } catch (err) {
      if (err instanceof GroupError) continue; // refused: a replay, a forgery, another epoch's
      throw err;
    }
    if (processed.kind === 'commit') {
      const changes = processed.added.length > 0 || processed.removed.length > 0;
      if (changes && !g.admins.includes(accountIdFromKey(processed.sender.accountKey))) {
        // Not an admin's change: refused, as every honest member refuses it (the state stays).
        g = { ...g, status: 'stalled' };
        break;
      }
      s = processed.state;
      if (processed.removedSelf) g = { ...g, status: 'removed' };
      break; // the next epoch's entries are read with its own key
    }
    s = processed.state;
    let payload: GroupPayload;
    try {
      payload = decodeGroupPayload(processed.plaintext);
    } catch (err) {
      if (ClientError.is(err, 'bad-message')) continue;
      throw err;
    }
    const from = who(processed.sender);
    const admin = g.admins.includes(accountIdFromKey(processed.sender.accountKey));
    if (payload.t === 'info') g = { ...g, name: payload.name, description: payload.description };
    else if (payload.t === 'admins') g = admin ? { ...g, admins: payload.admins } : g;
    else if (payload.t === 'leave') {
      const account = accountIdFromKey(processed.sender.accountKey);
      leaving.push(account);
      if (!(g.leaving ?? []).includes(account)) g = { ...g, leaving: [...(g.leaving ?? []), account] };
    } else {
      const now = ctx.env.now();
      const id = ctx.newId();
      const record: MessageRecord = {
        v: 2,
        id,
        conversationId: g.id,
        direction: from.own ? 'out' : 'in',
        from: from.own ? null : { contactId: from.contactId, device: processed.sender.deviceId },
        text: payload.body,
        sentAt: payload.sentAt,
        storedAt: now,
        status: from.own ? 'sent' : 'received',
        wireId: payload.id,
      };
      writes.push(put(messageKind(g.id), id, record));
      if (from.own) events.push({ type: 'sent-elsewhere', message: record, contactId: 'self' });
      else {
        const inbox: InboxRecord = { v: 2, conversationId: g.id };
        writes.push(put('inbox', id, inbox));
        events.push({ type: 'message', message: record, contactId: from.contactId });
      }
    }
  }
  return { group: { ...g, state: engine.encodeState(s) }, state: s, writes, events, leaving };
}

/**
 * Reads the group's log up to now (each epoch with its own write key), committing as it goes.
 * Returns the group as it is after, and the accounts that asked to leave meanwhile.
 */
export async function catchUpGroup(
  ctx: ClientContext,
  group: GroupRecord,
): Promise<{ group: GroupRecord; leaving: string[] }> {
  const api = groupApi(ctx, group.server);
  let g = group;
  const leaving: string[] = [];
  for (let pages = 0; g.status === 'active' && pages < 1_000; pages++) {
    const state = stateOf(g);
    const r = await api.read(groupIdBytes(g), await writeKey(state), { after: g.cursor });
    if (r.status === 'rejoin') {
      // The server no longer keeps what comes next for us: we are out until added again.
      g = { ...g, status: 'removed' };
      await ctx.commit([putGroup(g)]);
      break;
    }
    if (r.entries.length === 0) break;
    const applied = await applyEntries(ctx, g, state, r.entries);
    await ctx.commit([putGroup(applied.group), ...applied.writes]);
    const a = applied.group;
    const changed =
      a.status !== g.status ||
      a.name !== g.name ||
      a.description !== g.description ||
      groupEngine().epoch(applied.state) !== groupEngine().epoch(state);
    ctx.emit(
      changed
        ? [...applied.events, { type: 'group', change: 'changed', groupId: a.id, status: a.status }]
        : applied.events,
    );
    leaving.push(...applied.leaving);
    g = applied.group;
  }
  await followGroup(ctx, g);
  return { group: g, leaving };
}
