/**
 * Record ids (contacts, messages, outbox entries, requests): they sort in creation order, so the
 * store's id order is history order. The clock comes from the protocol's `ProtocolEnv`.
 */
import type { ProtocolEnv } from '@parley/protocol';

/** A source of fresh record ids. */
export type NewId = () => string;

/**
 * Ids that sort in creation order: 18 digits, the ms times 1,000 plus a counter within the ms.
 * The sequence remembers the last id it gave and takes the next number when the clock stands
 * still or steps back (past 999 in one ms it runs into the next ms), so ids stay increasing and
 * of one width, which makes text order number order.
 *
 * @example
 * ```ts
 * const newId = idSequence(env);
 * newId() < newId(); // true
 * ```
 */
export function idSequence(env: ProtocolEnv): NewId {
  let last = -1;
  return () => {
    last = Math.max(env.now() * 1000, last + 1);
    return String(last).padStart(ID_DIGITS, '0');
  };
}

/** 15 digits of ms (enough until the year 33658) and 3 of counter. */
const ID_DIGITS = 18;
