/**
 * Which history a new device gets (docs/client.md §4.10), chosen once when the grant is sent so
 * that a restart resends the same items: the contacts, then per conversation a range of message
 * ids. Pure: the driver scans the store and hands in what it found.
 *
 * Bound: the newest messages, at most {@link MAX_HISTORY_MESSAGES} and {@link MAX_HISTORY_BYTES}
 * of JSON, whichever comes first — a count alone would let a few huge texts blow past the memory
 * of a small device, a size alone would make the count unbounded for tiny ones.
 */
import { type HistoryChoice, MAX_HISTORY_BYTES, MAX_HISTORY_MESSAGES } from './link-wire.ts';

/** The messages of one conversation to send: ids in (`after`, `to`], in id order. */
export interface HistoryRange {
  readonly conversationId: string;
  /** The newest id left out before the range ('' for none). */
  readonly after: string;
  readonly to: string;
  readonly count: number;
}

export interface HistoryPlan {
  readonly contacts: readonly string[];
  readonly ranges: readonly HistoryRange[];
  /** Contacts plus messages. */
  readonly total: number;
}

/** Where the sending stands: segment 0 is the contacts, segment i ≥ 1 is `ranges[i - 1]`. */
export interface HistoryCursor {
  readonly seg: number;
  /** The last id sent in that segment ('' for none). */
  readonly after: string;
}

export const START: HistoryCursor = { seg: 0, after: '' };

/** One stored message as the scan saw it. */
export interface ScannedMessage {
  readonly id: string;
  readonly storedAt: number;
  readonly bytes: number;
}

/**
 * The plan for `choice` at `now`: `conversations` maps each transferred conversation to its
 * messages in id order (ids sort in creation order across conversations, records.ts).
 */
export function planHistory(
  choice: HistoryChoice,
  now: number,
  contacts: readonly string[],
  conversations: ReadonlyMap<string, readonly ScannedMessage[]>,
): HistoryPlan {
  const since = choice.kind === 'days' ? now - choice.days * 24 * 3600_000 : -Infinity;
  const all: { conversationId: string; m: ScannedMessage }[] = [];
  if (choice.kind !== 'none') {
    for (const [conversationId, ms] of conversations) {
      for (const m of ms) if (m.storedAt >= since) all.push({ conversationId, m });
    }
  }
  all.sort((a, b) => (a.m.id < b.m.id ? 1 : a.m.id > b.m.id ? -1 : 0)); // newest first
  const kept = new Map<string, ScannedMessage[]>();
  let bytes = 0;
  let n = 0;
  for (const { conversationId, m } of all) {
    if (n >= MAX_HISTORY_MESSAGES || bytes + m.bytes > MAX_HISTORY_BYTES) break;
    n += 1;
    bytes += m.bytes;
    const list = kept.get(conversationId) ?? [];
    list.push(m);
    kept.set(conversationId, list);
  }
  const ranges: HistoryRange[] = [];
  for (const [conversationId, ms] of conversations) {
    const mine = kept.get(conversationId);
    if (mine === undefined) continue;
    const first = mine[mine.length - 1];
    const last = mine[0];
    if (first === undefined || last === undefined) continue;
    const before = ms.filter((m) => m.id < first.id);
    ranges.push({ conversationId, after: before[before.length - 1]?.id ?? '', to: last.id, count: mine.length });
  }
  return { contacts, ranges, total: contacts.length + n };
}
