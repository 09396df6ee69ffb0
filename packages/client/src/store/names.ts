/**
 * The argument checks every {@link RecordStore} backend shares, so that all of them accept and
 * refuse exactly the same calls (the conformance suite checks this).
 *
 * Kinds and ids are printable ASCII (0x20–0x7E), 1 to {@link MAX_NAME_LENGTH} characters. Keeping
 * them ASCII makes every natural order agree: JS string order (UTF-16 code units), SQLite's BINARY
 * collation (UTF-8 bytes) and IndexedDB's key order are the same for ASCII, so a backend can sort
 * natively and still list exactly what the in-memory store lists. It also keeps NUL out of kinds,
 * which the encrypted store relies on to frame `kind ‖ 0x00 ‖ id` unambiguously.
 *
 * Kinds and ids are not encrypted at rest (see encrypted.ts): callers use random or otherwise
 * meaningless ids, never names, addresses or message text.
 */
import { ClientError } from '../errors.ts';
import type { ListOptions, RecordWrite } from './record-store.ts';

export const MAX_NAME_LENGTH = 1024;

const NAME = /^[\x20-\x7e]+$/;

/** True when `name` may be used as a kind or an id. */
export function isValidRecordName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function checkKind(kind: unknown): asserts kind is string {
  if (!isValidRecordName(kind)) {
    throw new ClientError('usage', 'A record kind must be 1 to 1024 printable ASCII characters.');
  }
}

export function checkId(id: unknown): asserts id is string {
  if (!isValidRecordName(id)) {
    throw new ClientError('usage', 'A record id must be 1 to 1024 printable ASCII characters.');
  }
}

/**
 * The options of `list`, checked: `after` any string (every id compares with it in UTF-16 order),
 * `limit` a non-negative integer. Returns the limit to apply, `undefined` for "all".
 */
export function checkListOptions(options: ListOptions | undefined): {
  readonly after: string | undefined;
  readonly limit: number | undefined;
  readonly reverse: boolean;
} {
  if (options === undefined) return { after: undefined, limit: undefined, reverse: false };
  if (typeof options !== 'object' || options === null) {
    throw new ClientError('usage', 'List options must be an object.');
  }
  const { after, limit, reverse } = options;
  if (after !== undefined && typeof after !== 'string') {
    throw new ClientError('usage', 'The list option "after" must be a string.');
  }
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new ClientError('usage', 'The list option "limit" must be a non-negative integer.');
  }
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new ClientError('usage', 'The list option "reverse" must be true or false.');
  }
  return { after, limit, reverse: reverse === true };
}

/** Checks a whole batch before anything of it is applied. */
export function checkWrites(writes: readonly RecordWrite[]): void {
  if (!Array.isArray(writes)) throw new ClientError('usage', 'A commit takes an array of writes.');
  for (const w of writes) {
    if (typeof w !== 'object' || w === null) throw new ClientError('usage', 'Each write must be an object.');
    checkKind(w.kind);
    checkId(w.id);
    if (w.value !== null && !(w.value instanceof Uint8Array)) {
      throw new ClientError('usage', 'A record value must be a Uint8Array, or null to delete the record.');
    }
  }
}

export function closedError(): ClientError {
  return new ClientError('usage', 'The local store is closed.');
}
