/**
 * Stale devices (docs/client.md §4.9): a device not heard from for `staleAfterMs` is marked
 * stale (still sent to); stale for `dropAfterMs` more, it is dropped from fan-out. Each step is
 * reported once; a device heard again is fresh (inbound.ts clears the marks). Pure.
 */
import { type DeviceTimes, isDropped } from './fan-out.ts';
import type { DeviceRecord } from './records.ts';

export type StaleStep =
  /** First seen by the check (records older than the feature): its clock starts now. */
  | { readonly kind: 'start'; readonly device: DeviceRecord }
  | { readonly kind: 'stale'; readonly device: DeviceRecord }
  | { readonly kind: 'dropped'; readonly device: DeviceRecord };

/** What the check does to `d` at `now`, or null when nothing changes. */
export function staleStep(d: DeviceRecord, now: number, times: DeviceTimes): StaleStep | null {
  // A device we await, or have not introduced ourselves to, has nothing to be heard from yet.
  if (d.needsIntro === true || d.awaitingIntro === true) return null;
  if (d.lastHeardAt === undefined) return { kind: 'start', device: { ...d, lastHeardAt: now } };
  if (d.stale !== true) {
    return now - d.lastHeardAt >= times.staleAfterMs ? { kind: 'stale', device: { ...d, stale: true } } : null;
  }
  if (d.dropped !== true && isDropped(d, now, times)) return { kind: 'dropped', device: { ...d, dropped: true } };
  return null;
}
