/**
 * Conversation summaries (records.ts `SummaryRecord`, docs/client.md §4.11): a conversation's
 * unread count and last message, kept in one small record per conversation so that a contact list
 * reads one record per conversation, not its history or the whole inbox.
 *
 * The summary is derived from the batch itself, in the same commit: the facade's `commit` passes
 * every batch through {@link summaryWrites}, which looks at its history writes (`msg.<id>`) and
 * inbox writes and updates the summaries they touch. No flow has to remember it, and a crash can
 * never leave a summary and the messages it counts apart. A conversation without a summary yet
 * (a profile from before summaries) has it rebuilt from the store once, at its next change.
 */
import { decodeAs } from '../engine/record-schemas.ts';
import { messageKind, put, type SummaryRecord } from '../engine/records.ts';
import type { RecordStore, RecordWrite } from '../store/record-store.ts';

const MSG_PREFIX = 'msg.';
/** Above this many inbox writes in a batch, the inbox is listed once rather than read entry by entry. */
const INBOX_LIST_OVER = 8;

/**
 * The summary writes a batch needs, computed against the store as it is before the batch. Call
 * with commits in order (one at a time): the facade chains them.
 */
export async function summaryWrites(store: RecordStore, writes: readonly RecordWrite[]): Promise<RecordWrite[]> {
  const summaries = new Map<string, SummaryRecord>();
  /** Inbox entries as the batch leaves them so far (conversation id, or null: absent). */
  const inbox = new Map<string, string | null>();
  let inboxRows: Map<string, string> | undefined;
  const load = async (conversationId: string): Promise<SummaryRecord> => {
    const known = summaries.get(conversationId);
    if (known !== undefined) return known;
    const bytes = await store.get('summary', conversationId);
    if (bytes === undefined && inboxRows === undefined) inboxRows = await inboxConversations(store);
    const s =
      bytes !== undefined ? decodeAs('summary', bytes) : await rebuild(store, conversationId, inboxRows ?? new Map());
    summaries.set(conversationId, s);
    return s;
  };
  // A batch that changes many inbox entries (a whole inbox read) lists the inbox once instead.
  const inboxWrites = writes.reduce((n, w) => n + (w.kind === 'inbox' ? 1 : 0), 0);
  if (inboxWrites > INBOX_LIST_OVER) inboxRows = await inboxConversations(store);
  const inboxBefore = async (id: string): Promise<string | null> => {
    if (inbox.has(id)) return inbox.get(id) ?? null;
    if (inboxRows !== undefined) return inboxRows.get(id) ?? null;
    const bytes = await store.get('inbox', id);
    return bytes === undefined ? null : decodeAs('inbox', bytes).conversationId;
  };
  for (const w of writes) {
    if (w.kind.startsWith(MSG_PREFIX) && w.value !== null) {
      const conversationId = w.kind.slice(MSG_PREFIX.length);
      const m = decodeAs('message', w.value);
      const s = await load(conversationId);
      if (s.lastId === null || m.storedAt > s.lastAt || (m.storedAt === s.lastAt && m.id >= s.lastId)) {
        summaries.set(conversationId, { ...s, lastId: m.id, lastAt: m.storedAt });
      }
    } else if (w.kind === 'inbox') {
      const before = await inboxBefore(w.id);
      const after = w.value === null ? null : decodeAs('inbox', w.value).conversationId;
      inbox.set(w.id, after);
      if (before === after) continue;
      if (before !== null) {
        const s = await load(before);
        summaries.set(before, { ...s, unread: Math.max(0, s.unread - 1) });
      }
      if (after !== null) {
        const s = await load(after);
        summaries.set(after, { ...s, unread: s.unread + 1 });
      }
    }
  }
  return [...summaries].map(([id, s]) => put('summary', id, s));
}

/**
 * Reads conversations' summaries as the store has them; one missing (a profile from before
 * summaries, until its conversation changes) is rebuilt from its history and the inbox, not written.
 */
export function summaryReader(store: RecordStore): (conversationId: string) => Promise<SummaryRecord> {
  let inbox: Map<string, string> | undefined;
  return async (conversationId) => {
    const bytes = await store.get('summary', conversationId);
    if (bytes !== undefined) return decodeAs('summary', bytes);
    if (inbox === undefined) inbox = await inboxConversations(store);
    return rebuild(store, conversationId, inbox);
  };
}

/** The inbox: entry id → its conversation. */
async function inboxConversations(store: RecordStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of await store.list('inbox')) out.set(r.id, decodeAs('inbox', r.value).conversationId);
  return out;
}

/** A summary from the store: the inbox entries of the conversation and its last message in history order. */
async function rebuild(
  store: RecordStore,
  conversationId: string,
  inbox: ReadonlyMap<string, string>,
): Promise<SummaryRecord> {
  let unread = 0;
  for (const c of inbox.values()) if (c === conversationId) unread++;
  const [last] = await store.list(messageKind(conversationId), { reverse: true, limit: 1 });
  const m = last === undefined ? undefined : decodeAs('message', last.value);
  return { v: 2, unread, lastId: m?.id ?? null, lastAt: m?.storedAt ?? 0 };
}
