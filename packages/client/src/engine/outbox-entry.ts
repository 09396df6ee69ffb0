/**
 * An outbox entry: an envelope committed together with the state change that sealed it, waiting
 * for the contact's server to accept it (docs/client.md §4.3, §6).
 */
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type DeviceRecord, type OutboxRecord, put } from './records.ts';

/** The write that queues `envelope` for a device's mailbox; `message` becomes `sent` once delivered. */
export function outboxWrite(
  d: DeviceRecord,
  envelope: Uint8Array,
  message: OutboxRecord['message'],
  id: string,
): RecordWrite {
  if (d.theirMailbox === null) throw new ClientError('internal', 'no mailbox to send to');
  const record: OutboxRecord = { v: 2, mailbox: d.theirMailbox, envelope, message };
  return put('outbox', id, record);
}
