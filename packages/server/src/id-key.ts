/**
 * The Map key for a mailbox, address or sender key. One helper for the per-message lookups
 * (subscriptions, push listeners, the mailbox cache, authorised senders), which had each spelt
 * `Buffer.from(id).toString('hex')` — a copy of the bytes on every delivery, push and
 * acknowledgement.
 *
 * A 16-byte id (mailboxes, addresses: the keys of every per-message lookup) becomes eight UTF-16
 * code units, two bytes each, built in JavaScript: three of these a message as hex strings (a
 * call into native code each) were 4.4% of the event loop at full load in bench:server. Other
 * lengths (32-byte sender keys) are hex. Either way one key names one id — within a map all ids
 * have one length — and a key is never shown to anyone: it is not hex, and not for logs.
 */
export function idKey(id: Uint8Array): string {
  if (id.length === 16) {
    return String.fromCharCode(
      (id[0] as number) | ((id[1] as number) << 8),
      (id[2] as number) | ((id[3] as number) << 8),
      (id[4] as number) | ((id[5] as number) << 8),
      (id[6] as number) | ((id[7] as number) << 8),
      (id[8] as number) | ((id[9] as number) << 8),
      (id[10] as number) | ((id[11] as number) << 8),
      (id[12] as number) | ((id[13] as number) << 8),
      (id[14] as number) | ((id[15] as number) << 8),
    );
  }
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}
