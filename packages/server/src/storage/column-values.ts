/**
 * Conversions between the store API's values and column values, identical for both drivers.
 */
import { type AccountId, accountIdFromKey } from '@parley/protocol';
import type { SqlBool } from 'kysely';
import { StorageError } from './errors.ts';

/**
 * The account id's column value: its 32-byte identity signing key (the id is its base64url).
 * Node's base64 decoder skips characters outside the alphabet, so an id that did not come through
 * `parseAccountId` could decode to another account's key; the round trip rules that out.
 */
export function accountKey(account: AccountId): Uint8Array {
  const key = Buffer.from(account, 'base64url');
  if (key.length !== 32 || key.toString('base64url') !== account) {
    throw new StorageError('usage', 'malformed account id');
  }
  return key;
}

export function accountIdOfKey(key: Uint8Array): AccountId {
  return accountIdFromKey(key);
}

/**
 * Bytes to bind as a parameter. Both drivers take a `Buffer`; wrapping shares the caller's memory.
 */
export function toColumn(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Bytes read from a row, copied into a plain `Uint8Array`: a driver's `Buffer` may be a view into
 * a shared slab, and callers compare and keep these like any other key bytes.
 */
export function fromColumn(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A flag to bind: SQLite cannot bind booleans, and PostgreSQL reads '1'/'0' as true/false. */
export function flag(value: boolean): 0 | 1 {
  return value ? 1 : 0;
}

/** A flag read back: `true`/`false` from PostgreSQL, `1`/`0` from SQLite. */
export function isSet(value: SqlBool): boolean {
  return value === true || value === 1;
}
