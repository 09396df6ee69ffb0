/**
 * The profile of a device that joined an account by linking (docs/client.md §4.10): the
 * account's identity from the grant, this device's own device key (the one the existing device
 * certified) and fresh prekeys of its own, not yet uploaded (`registered` false until they are).
 * Pure, like profile.ts.
 */
import type { ProtocolEnv } from '@parley/protocol';
import type { GrantBody } from './link-wire.ts';
import { freshPreKeys } from './profile.ts';
import type { KeyPairRecord, ProfileRecord } from './records.ts';

export function linkedProfile(
  env: ProtocolEnv,
  grant: GrantBody,
  server: string,
  deviceKeys: KeyPairRecord,
  deviceName: string,
): ProfileRecord {
  const identity = grant.identity;
  return {
    v: 2,
    displayName: grant.displayName,
    server,
    accountId: grant.accountId,
    device: grant.device,
    identity,
    deviceKeys,
    ...freshPreKeys(env, identity, 1),
    lastMaintenance: 0,
    deviceList: grant.deviceList,
    deviceName,
  };
}
