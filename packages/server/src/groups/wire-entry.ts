/** A group log's entry as the wire contract shapes it (@parley/protocol groups.ts), for reads and pushes alike. */
import type { WireGroupEntry } from '@parley/protocol';
import type { GroupEntry } from '../storage/index.ts';
import { toB64url } from '../wire-json.ts';

export function wireEntry(e: GroupEntry): WireGroupEntry {
  return {
    seq: e.seq,
    epoch: e.epoch,
    kind: e.kind,
    message: toB64url(e.message),
    ...(e.nextWriteKey === null ? {} : { nextWriteKey: toB64url(e.nextWriteKey) }),
    receivedAt: e.receivedAt,
  };
}
