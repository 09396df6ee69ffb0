/**
 * Device authentication, whatever carries it (protocol §3.5, purpose `connect`): a device proves
 * itself with its device key's signature over a fresh single-use challenge, its account's
 * signing key, its device id and the operation it authorises (§3.5.1), which the transport
 * computes from what it received. The challenge is consumed by the first valid proof, so a
 * captured proof authorises nothing once used, and nothing but its own operation before; a
 * proof that does not verify leaves the challenge live. Over HTTP the claim comes in the
 * Authorization header (http/device-auth.ts); any failure here is the same domain error, so a
 * prober learns nothing.
 */
import { type AccountId, AuthPurpose, checkDeviceProof, type DeviceId, type Operation } from '@parley/protocol';
import type { ApiDeps } from '../api-deps.ts';
import { DomainError } from '../domain-error.ts';

export interface AuthenticatedDevice {
  readonly account: AccountId;
  readonly device: DeviceId;
}

/** What a device claims: who it is, and its proof over a challenge. */
export interface DeviceClaim {
  readonly account: AccountId;
  /** The account id's bytes: the account's signing key. */
  readonly accountKey: Uint8Array;
  readonly device: DeviceId;
  readonly challenge: Uint8Array;
  readonly proof: Uint8Array;
}

export function noValidDeviceProof(): DomainError {
  return new DomainError('no-valid-proof', 'a valid Parley device proof is required');
}

/**
 * Checks the claim for `operation` against the device's key and consumes its challenge;
 * `no-valid-proof` otherwise (the challenge then stays live).
 */
export async function authenticateDevice(
  deps: ApiDeps,
  claim: DeviceClaim,
  operation: Operation,
): Promise<AuthenticatedDevice> {
  const record = await deps.devices.getDevice(claim.account, claim.device);
  if (record === null) throw noValidDeviceProof();
  const ok = checkDeviceProof(
    deps.env,
    record.deviceKey,
    AuthPurpose.connect,
    claim.challenge,
    claim.accountKey,
    claim.device,
    operation,
    claim.proof,
  );
  if (!ok || !(await deps.challenges.consume(claim.challenge))) throw noValidDeviceProof();
  await deps.devices.touch(claim.account, claim.device);
  return { account: claim.account, device: claim.device };
}
