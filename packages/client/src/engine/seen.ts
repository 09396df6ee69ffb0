/**
 * Envelopes already opened from a device, by digest (docs/client.md §4.6): the ratchet recognises
 * a redelivered message while it still holds that chain's keys; a replay of an older one, whose
 * keys are gone, would otherwise look damaged. The window is bounded ({@link MAX_SEEN}).
 */
import type { ProtocolEnv } from '@parley/protocol';
import { type DeviceRecord, MAX_SEEN, SEEN_DIGEST } from './records.ts';

/** The first {@link SEEN_DIGEST} bytes of the envelope's SHA-256 (the crypto backend's). */
export function envelopeDigest(env: ProtocolEnv, envelope: Uint8Array): Uint8Array {
  return env.crypto.sha256(envelope).subarray(0, SEEN_DIGEST);
}

export function hasSeen(d: DeviceRecord, digest: Uint8Array): boolean {
  const seen = d.seen;
  if (seen === undefined) return false;
  outer: for (let i = 0; i + SEEN_DIGEST <= seen.length; i += SEEN_DIGEST) {
    for (let j = 0; j < SEEN_DIGEST; j++) if (seen[i + j] !== digest[j]) continue outer;
    return true;
  }
  return false;
}

/** The device with `digest` added, the oldest dropped past {@link MAX_SEEN}. */
export function remember(d: DeviceRecord, digest: Uint8Array): DeviceRecord {
  const old = d.seen ?? new Uint8Array(0);
  const keep = Math.min(old.length, (MAX_SEEN - 1) * SEEN_DIGEST);
  const seen = new Uint8Array(keep + SEEN_DIGEST);
  seen.set(old.subarray(old.length - keep), 0);
  seen.set(digest, keep);
  return { ...d, seen };
}
