/**
 * Profile names, the same on every platform: 1–32 letters, digits, `-` or `_`, starting with a
 * letter or digit — safe as a directory name in Node, inside an IndexedDB database name and a
 * Web Lock name in a browser, and as a record id (store/names.ts).
 */
import { ClientError } from '../errors.ts';

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export function checkProfileName(name: string): string {
  if (typeof name !== 'string' || !PROFILE_NAME.test(name)) {
    throw new ClientError('usage', 'Profile names are 1–32 letters, digits, - or _, starting with a letter or digit.');
  }
  return name;
}
