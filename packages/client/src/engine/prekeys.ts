/**
 * Prekey policy (docs/client.md §5): how many one-time keys a device keeps on its server, when it
 * refills, and when it rotates the signed and last-resort keys. Pure: it says what to generate;
 * the driver uploads, then commits.
 *
 * - One-time X25519 prekeys: 100 uploaded; refilled to 100 when fewer than 25 remain.
 * - One-time ML-KEM-768 prekeys: 20 uploaded (1.2 KB each); refilled to 20 when fewer than 5 remain.
 * - Signed X25519 prekey: replaced every 7 days; the previous private key is kept until the next
 *   rotation, so initial messages sent against it within a week still open.
 * - Last-resort ML-KEM prekey: replaced every 30 days; the previous one is kept likewise.
 * - The device checks at most every 10 minutes while running (and at every `sync`); after a check
 *   that saw a drain — a count below its low mark, or the server handing out the last-resort key
 *   since the last check — it checks again after 1 minute, until a check sees none.
 * - When the server has handed out the last-resort KEM key since the last check (the counter
 *   `lastResortServed`, docs/server.md, "Bundle budgets"), both kinds are refilled to their targets even above
 *   their low marks, and the driver reports it (`last-resort-used`).
 *
 * The server's one-time budget per device (10, then 20 an hour) takes fewer than the 15 ML-KEM
 * keys between the target and the low mark in 10 minutes, so a device that is online keeps ahead
 * of an anonymous drainer.
 */
import {
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  type KemPreKey,
  type OneTimePreKey,
  type ProtocolEnv,
} from '@parley/protocol';
import type { ProfileRecord } from './records.ts';

export const PREKEY_POLICY = {
  oneTimeTarget: 100,
  oneTimeLow: 25,
  kemTarget: 20,
  kemLow: 5,
  signedRotationMs: 7 * 24 * 3600_000,
  lastResortRotationMs: 30 * 24 * 3600_000,
  checkIntervalMs: 10 * 60_000,
  drainCheckIntervalMs: 60_000,
} as const;

/** The server's counts (GET /v1/devices/self/prekey-counts); `lastResortServed` only grows. */
export interface PreKeyCounts {
  readonly oneTime: number;
  readonly kem: number;
  /** Absent from servers that do not count it. */
  readonly lastResortServed?: number | undefined;
}

/** Whether a check is due at `now` (not counting a forced one, at `sync`). */
export function maintenanceDue(profile: ProfileRecord, now: number): boolean {
  const interval = profile.preKeysDraining ? PREKEY_POLICY.drainCheckIntervalMs : PREKEY_POLICY.checkIntervalMs;
  return now - profile.lastMaintenance >= interval;
}

export interface PreKeyPlan {
  readonly profile: ProfileRecord;
  readonly oneTime: OneTimePreKey[];
  readonly kem: KemPreKey[];
  readonly rotatedSigned: boolean;
  readonly rotatedLastResort: boolean;
  /** Bundles the server handed out with our last-resort KEM key since the last check. */
  readonly lastResortUsed: number;
}

/** What to generate given the server's counts (null: a new device with nothing uploaded). */
export function planPreKeys(env: ProtocolEnv, profile: ProfileRecord, counts: PreKeyCounts | null): PreKeyPlan {
  const now = env.now();
  const identity: IdentityKeyPair = profile.identity;
  let next = profile.nextPreKeyId;
  const take = (n: number) => {
    const first = next;
    next += n;
    return first;
  };
  const oneTimeCount = counts === null ? 0 : counts.oneTime;
  const kemCount = counts === null ? 0 : counts.kem;
  const seen = profile.lastResortServed ?? 0;
  const served = counts?.lastResortServed ?? seen;
  // A counter below what we saw is a new account's (after an identity rotation): all of it is new.
  const lastResortUsed = counts === null ? 0 : served >= seen ? served - seen : served;
  const refill = lastResortUsed > 0;
  const oneTime =
    oneTimeCount < PREKEY_POLICY.oneTimeLow || (refill && oneTimeCount < PREKEY_POLICY.oneTimeTarget)
      ? generateOneTimePreKeys(
          env,
          take(PREKEY_POLICY.oneTimeTarget - oneTimeCount),
          PREKEY_POLICY.oneTimeTarget - oneTimeCount,
        )
      : [];
  const kem: KemPreKey[] = [];
  if (kemCount < PREKEY_POLICY.kemLow || refill) {
    for (let i = kemCount; i < PREKEY_POLICY.kemTarget; i++) kem.push(generateKemPreKey(env, identity, take(1), false));
  }
  const rotatedSigned = counts === null || now - profile.signedPreKey.createdAt >= PREKEY_POLICY.signedRotationMs;
  const rotatedLastResort =
    counts === null || now - profile.lastResortKem.createdAt >= PREKEY_POLICY.lastResortRotationMs;
  let p: ProfileRecord = profile;
  if (rotatedSigned && counts !== null) {
    p = { ...p, previousSignedPreKey: p.signedPreKey, signedPreKey: generateSignedPreKey(env, identity, take(1)) };
  }
  if (rotatedLastResort && counts !== null) {
    p = {
      ...p,
      previousLastResortKem: p.lastResortKem,
      lastResortKem: generateKemPreKey(env, identity, take(1), true),
    };
  }
  const draining =
    counts !== null &&
    (counts.oneTime < PREKEY_POLICY.oneTimeLow || counts.kem < PREKEY_POLICY.kemLow || lastResortUsed > 0);
  const { preKeysDraining: _, ...rest } = p;
  return {
    profile: {
      ...rest,
      nextPreKeyId: next,
      lastMaintenance: now,
      lastResortServed: counts === null ? 0 : served,
      ...(draining ? { preKeysDraining: true as const } : {}),
    },
    oneTime,
    kem,
    rotatedSigned,
    rotatedLastResort,
    lastResortUsed,
  };
}
