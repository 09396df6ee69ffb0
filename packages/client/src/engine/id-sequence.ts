/**
 * Record ids (contacts, messages, outbox entries, requests): they sort in creation order, so the
 * store's id order is history order. The clock comes from the protocol's `ProtocolEnv`.
 */
import type { ProtocolEnv } from '@parley/protocol';

/** A source of fresh record ids. */
export type NewId = () => string;

/**
 * Ids that sort in creation order: 15 digits of ms, then a counter within the ms. The sequence
 * remembers the last id it gave, so ids stay increasing when the clock stands still or steps back.
 *
 * @example
 * ```ts
 * const newId = idSequence(env);
 * newId() < newId(); // true
 * ```
 */
export function idSequence(env: ProtocolEnv): NewId {
  let lastId = '';
  return () => {
    const base = String(env.now()).padStart(15, '0');
    let id = `${base}000`;
    if (id <= lastId) {
      const n = Number(lastId.slice(15)) + 1;
      id = `${lastId.slice(0, 15)}${String(n).padStart(3, '0')}`;
    }
    lastId = id;
    return id;
  };
}
