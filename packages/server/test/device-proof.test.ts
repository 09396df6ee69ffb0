/**
 * Device authentication without a transport (src/accounts/device-proof.ts): a valid proof over a
 * live challenge authenticates once; anything else is the domain error `no-valid-proof`, which
 * every transport answers as `unauthorized`.
 */
import {
  AuthPurpose,
  accountIdFromKey,
  deviceId,
  defaultEnv as env,
  httpOperation,
  proveDevice,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateDevice, type DeviceClaim } from '../src/accounts/device-proof.ts';
import { DomainError, wireCodeOf } from '../src/domain-error.ts';
import { registered, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => {
  await server.close();
});

const OP = httpOperation(env, 'GET', '/v1/devices/self/prekey-counts', new Uint8Array(0));
const OTHER_OP = httpOperation(env, 'DELETE', '/v1/accounts/self', new Uint8Array(0));

describe('device proofs', () => {
  it('authenticate once per challenge; a wrong key, device or spent challenge is no-valid-proof', async () => {
    const r = await registered(server.app());
    const accountKey = r.identity.signing.publicKey;
    const claimWith = async (key = r.deviceKeys.privateKey, device = r.device): Promise<DeviceClaim> => {
      const { challenge } = await server.deps.challenges.issue(60_000);
      const proof = proveDevice(env, key, AuthPurpose.connect, challenge, accountKey, deviceId(device), OP);
      return { account: accountIdFromKey(accountKey), accountKey, device: deviceId(device), challenge, proof };
    };
    const refused = async (claim: DeviceClaim, operation = OP) => {
      const e = await authenticateDevice(server.deps, claim, operation).then(
        () => expect.unreachable('authenticated'),
        (e: unknown) => e,
      );
      expect(DomainError.is(e, 'no-valid-proof')).toBe(true);
      expect(wireCodeOf(e as DomainError)).toBe('unauthorized');
    };

    const claim = await claimWith();
    // Another operation (protocol §3.5.1) is refused and leaves the challenge live.
    await refused(claim, OTHER_OP);
    expect(await authenticateDevice(server.deps, claim, OP)).toEqual({ account: claim.account, device: claim.device });
    await refused(claim); // the challenge is spent
    await refused(await claimWith(r.identity.signing.privateKey)); // not the device key
    await refused(await claimWith(r.deviceKeys.privateKey, r.device + 1)); // no such device
  });
});
