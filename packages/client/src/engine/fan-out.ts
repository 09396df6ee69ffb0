/**
 * Fan-out (docs/client.md §4.9): one payload sealed for every device of a person that can take
 * it, each in its own session and into its own mailbox, one outbox entry per envelope. Pure: the
 * driver lists the devices and commits the writes in one batch with what caused them.
 */
import type { ProtocolEnv } from '@parley/protocol';
import type { RecordWrite } from '../store/record-store.ts';
import { seal } from './conversation.ts';
import type { NewId } from './id-sequence.ts';
import { outboxWrite } from './outbox-entry.ts';
import type { OutgoingPayload } from './payload.ts';
import { type DeviceRecord, type OutboxRecord, put } from './records.ts';

/** When a device unheard from is marked stale, then dropped from fan-out (docs/client.md §4.9). */
export interface DeviceTimes {
  /** A device unheard from this long is marked stale (shown as such; still sent to). */
  readonly staleAfterMs: number;
  /** A stale device unheard from this much longer is dropped from fan-out. */
  readonly dropAfterMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_DEVICE_TIMES: DeviceTimes = { staleAfterMs: 30 * DAY_MS, dropAfterMs: 60 * DAY_MS };

/** Whether a device has been unheard from for both periods (stale, then dropped). */
export function isDropped(d: DeviceRecord, now: number, times: DeviceTimes): boolean {
  return (
    d.stale === true && d.lastHeardAt !== undefined && now - d.lastHeardAt >= times.staleAfterMs + times.dropAfterMs
  );
}

/**
 * Whether we can encrypt to a device now: it has a session and told us where to deliver (no
 * intro pending either way), and it was not dropped for staleness.
 */
export function canSendTo(d: DeviceRecord, now: number, times: DeviceTimes): boolean {
  return (
    d.theirMailbox !== null &&
    d.needsIntro !== true &&
    d.awaitingIntro !== true &&
    d.session.length > 0 &&
    !isDropped(d, now, times)
  );
}

export interface FannedOut {
  /** The devices as they became (their sessions advanced). */
  readonly devices: DeviceRecord[];
  /** The device records and one outbox entry per envelope. */
  readonly writes: RecordWrite[];
}

/**
 * Seals `payload` for each of `devices` (the caller picked them with {@link canSendTo}).
 * `message` is the history record each envelope's delivery marks `sent`; `firstId`, if given,
 * is the first outbox entry's id (a text's own id), the others are fresh.
 */
export function fanOut(
  env: ProtocolEnv,
  devices: readonly DeviceRecord[],
  payload: OutgoingPayload,
  message: OutboxRecord['message'],
  newId: NewId,
  firstId?: string,
): FannedOut {
  const out: DeviceRecord[] = [];
  const writes: RecordWrite[] = [];
  for (const d of devices) {
    const { device, envelope } = seal(env, d, payload);
    out.push(device);
    const id = out.length === 1 && firstId !== undefined ? firstId : newId();
    writes.push(put('device', device.id, device), outboxWrite(device, envelope, message, id));
  }
  return { devices: out, writes };
}

/**
 * Seals several payloads for each of `devices`, one after the other in each device's session (a
 * device's state advances from one payload to the next: sealing two payloads from the same state
 * would reuse a message key). For payloads that mark no message (`message` null), e.g. receipts
 * and sync payloads split in chunks.
 */
export function fanOutAll(
  env: ProtocolEnv,
  devices: readonly DeviceRecord[],
  payloads: readonly OutgoingPayload[],
  newId: NewId,
): FannedOut {
  let now = [...devices];
  const writes: RecordWrite[] = [];
  for (const p of payloads) {
    const out = fanOut(env, now, p, null, newId);
    now = out.devices;
    writes.push(...out.writes);
  }
  return { devices: now, writes };
}
