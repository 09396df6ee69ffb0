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
 * - The device checks at most every 10 minutes while running (and at every `sync`).
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
} as const;

export interface PreKeyPlan {
  readonly profile: ProfileRecord;
  readonly oneTime: OneTimePreKey[];
  readonly kem: KemPreKey[];
  readonly rotatedSigned: boolean;
  readonly rotatedLastResort: boolean;
}

/** What to generate given the server's counts (null: a new device with nothing uploaded). */
export function planPreKeys(
  env: ProtocolEnv,
  profile: ProfileRecord,
  counts: { oneTime: number; kem: number } | null,
): PreKeyPlan {
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
  const oneTime =
    oneTimeCount < PREKEY_POLICY.oneTimeLow
      ? generateOneTimePreKeys(
          env,
          take(PREKEY_POLICY.oneTimeTarget - oneTimeCount),
          PREKEY_POLICY.oneTimeTarget - oneTimeCount,
        )
      : [];
  const kem: KemPreKey[] = [];
  if (kemCount < PREKEY_POLICY.kemLow) {
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
  return {
    profile: { ...p, nextPreKeyId: next, lastMaintenance: now },
    oneTime,
    kem,
    rotatedSigned,
    rotatedLastResort,
  };
}
