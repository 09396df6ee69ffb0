/**
 * The notices of a cluster's bus (docs/server.md "A cluster"), and their subjects under the
 * cluster's prefix (`--bus-prefix`, default `parley`):
 *
 *   <prefix>.mailbox.<id in hex>   a message was stored in the mailbox: 8 bytes, its seq
 *                                  (unsigned, big-endian). Only processes with a WebSocket
 *                                  subscribed to the mailbox listen to its subject.
 *   <prefix>.forget.mailbox        a mailbox was deleted: 16 bytes, its id. Every process
 *                                  listens, and drops the mailbox from its cache.
 *
 * A notice names only what the server already stores — a mailbox id and a row number — never an
 * account, a sender, an address or any content. Bytes from the bus are parsed like any other
 * input: a malformed notice is ignored (null).
 */
import { MAILBOX_ID_BYTES } from '@parley/protocol';

/** Subject tokens: letters, digits, `-` and `_`, dot-separated. */
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function validBusPrefix(prefix: string): boolean {
  return PREFIX.test(prefix) && prefix.length <= 64;
}

export function mailboxSubject(prefix: string, mailboxId: Uint8Array): string {
  return `${prefix}.mailbox.${Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('hex')}`;
}

export function forgetSubject(prefix: string): string {
  return `${prefix}.forget.mailbox`;
}

export function encodeStoredNotice(seq: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(seq));
  return out;
}

/** The seq a stored notice carries, or null if it is not one. */
export function parseStoredNotice(data: Uint8Array): number | null {
  if (data.length !== 8) return null;
  const seq = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0);
  return seq > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(seq);
}

/** The mailbox id a forget notice carries, or null if it is not one. */
export function parseForgetNotice(data: Uint8Array): Uint8Array | null {
  return data.length === MAILBOX_ID_BYTES ? data.slice() : null;
}
