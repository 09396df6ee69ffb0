/**
 * The profile record: our identity, device keys and current prekeys (docs/client.md §5, §7).
 * Pure: keys come from the protocol's `ProtocolEnv`; the driver commits the record before it
 * registers anything on a server.
 */
import {
  accountIdOf,
  generateEd25519,
  generateIdentity,
  generateKemPreKey,
  generateSignedPreKey,
  type ProtocolEnv,
  publicIdentity,
} from '@parley/protocol';
import type { ProfileRecord } from './records.ts';

type FreshKeys = Pick<
  ProfileRecord,
  'registered' | 'signedPreKey' | 'previousSignedPreKey' | 'lastResortKem' | 'previousLastResortKem' | 'nextPreKeyId'
>;

/**
 * A signed prekey and a last-resort KEM prekey with ids `firstId` and `firstId + 1`, nothing
 * previous, not yet uploaded: what a new identity, a rotated one and a linked device start with.
 */
export function freshPreKeys(env: ProtocolEnv, identity: ProfileRecord['identity'], firstId: number): FreshKeys {
  return {
    registered: false,
    signedPreKey: generateSignedPreKey(env, identity, firstId),
    previousSignedPreKey: null,
    lastResortKem: generateKemPreKey(env, identity, firstId + 1, true),
    previousLastResortKem: null,
    nextPreKeyId: firstId + 2,
  };
}

/** A new identity and first device, not yet registered on `server`. */
export function newProfile(env: ProtocolEnv, displayName: string, server: string): ProfileRecord {
  const identity = generateIdentity(env);
  return {
    v: 2,
    displayName,
    server,
    accountId: accountIdOf(publicIdentity(identity)),
    device: 1,
    identity,
    deviceKeys: generateEd25519(env),
    ...freshPreKeys(env, identity, 1),
    lastMaintenance: 0,
  };
}

/**
 * `old` with a new identity, device keys and prekeys (to be registered); name and server stay.
 * It remembers the old account and the `contacts` to reset until the rotation is finished.
 */
export function rotatedProfile(env: ProtocolEnv, old: ProfileRecord, contacts: readonly string[]): ProfileRecord {
  const identity = generateIdentity(env);
  // The new identity has no device list yet (rotation is refused while there are other devices).
  const { deviceList: _, ...rest } = old;
  return {
    ...rest,
    retiring: {
      account: old.accountId,
      device: old.device,
      devicePrivateKey: old.deviceKeys.privateKey,
      contacts,
    },
    accountId: accountIdOf(publicIdentity(identity)),
    identity,
    deviceKeys: generateEd25519(env),
    ...freshPreKeys(env, identity, old.nextPreKeyId),
  };
}
