/**
 * The profile of a device that joined an account by linking (docs/client.md §4.10): the
 * account's identity from the grant, this device's own device key (the one the existing device
 * certified) and fresh prekeys of its own, not yet uploaded (`registered` false until they are).
 * Pure, like profile.ts.
 */
import {
  encodeIdentity,
  generateKemPreKey,
  generateSignedPreKey,
  type ProtocolEnv,
  publicIdentity,
} from '@parley/protocol';
import type { GrantBody } from './link-wire.ts';
import { type ContactRecord, type KeyPairRecord, type ProfileRecord, put, SELF_CONTACT } from './records.ts';

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
    registered: false,
    signedPreKey: generateSignedPreKey(env, identity, 1),
    previousSignedPreKey: null,
    lastResortKem: generateKemPreKey(env, identity, 2, true),
    previousLastResortKem: null,
    nextPreKeyId: 3,
    lastMaintenance: 0,
    deviceList: grant.deviceList,
    deviceName,
  };
}

/**
 * The self contact (records.ts `SELF_CONTACT`): our own identity, connected and verified; its
 * devices are our other devices.
 */
export function selfContactRecord(env: ProtocolEnv, p: ProfileRecord): ContactRecord {
  return {
    v: 2,
    id: SELF_CONTACT,
    name: p.displayName,
    aliasSet: false,
    keySource: 'invitation',
    verification: 'verified',
    identity: encodeIdentity(publicIdentity(p.identity)),
    replacedIdentity: null,
    state: 'connected',
    createdAt: env.now(),
    conversationId: SELF_CONTACT,
  };
}

export const selfContactWrite = (env: ProtocolEnv, p: ProfileRecord) =>
  put('contact', SELF_CONTACT, selfContactRecord(env, p));
