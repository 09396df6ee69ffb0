/**
 * The Map key for a mailbox, address or sender key: its bytes in hex. One helper for the
 * per-message lookups (subscriptions, push listeners, the mailbox cache, authorised senders),
 * which had each spelt `Buffer.from(id).toString('hex')` — a copy of the bytes on every
 * delivery, push and acknowledgement; a view reads them in place.
 */
export function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
