/**
 * The group notice of a cluster's bus (docs/server.md "A cluster", "Groups"):
 *
 *   <prefix>.group.<id in hex>   an entry was stored in the group's log: 8 bytes, its seq
 *                                (unsigned, big-endian, as a mailbox notice's). Only processes
 *                                with a WebSocket subscribed to the group listen to its subject.
 *
 * Like a mailbox notice it names only what the database stores already — a group id and a seq —
 * never an epoch, a key, a member or any content.
 */
import { toHex } from '@parley/protocol';

export { encodeStoredNotice, parseStoredNotice } from './mailbox-notices.ts';

export function groupSubject(prefix: string, groupId: Uint8Array): string {
  return `${prefix}.group.${toHex(groupId)}`;
}
