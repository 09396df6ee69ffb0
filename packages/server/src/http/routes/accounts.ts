/**
 * Accounts without identifiers (issue 3 §3): a device creates an account by showing the account's
 * public identity, a device certificate signed by that identity and a proof — its device key's
 * signature over a fresh single-use challenge (docs/protocol-identities.md §3.4–3.5). No phone number,
 * e-mail, username or password; a private server may also require a registration key.
 *
 *   POST /v1/challenges  → 201 {"challenge", "expiresAt"}
 *   POST /v1/accounts    {"identity", "deviceCertificate", "challenge", "proof", "registrationKey"?}
 *                        → 201 {"accountId", "deviceId"}
 *   DELETE /v1/accounts/self  (authenticated) → 204
 */
import { timingSafeEqual } from 'node:crypto';
import {
  AuthPurpose,
  accountIdOf,
  CHALLENGE_BYTES,
  checkDeviceProof,
  DEVICE_CERTIFICATE_BYTES,
  decodeDeviceCertificate,
  MAX_REGISTRATION_KEY_LENGTH,
  ProtocolError,
  PUBLIC_IDENTITY_BYTES,
  type PublicIdentity,
  REGISTRATION_OPERATION,
  verifyDeviceCertificate,
  verifyIdentity,
} from '@parley/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { issueChallenge } from '../../challenges.ts';
import { StorageError } from '../../storage/index.ts';
import { b64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { readBody } from '../read-body.ts';

/** How long a challenge may be answered. */

const RegisterBody = z.strictObject({
  identity: b64url(PUBLIC_IDENTITY_BYTES),
  deviceCertificate: b64url(DEVICE_CERTIFICATE_BYTES),
  challenge: b64url(CHALLENGE_BYTES),
  proof: b64url(64),
  registrationKey: z.string().max(MAX_REGISTRATION_KEY_LENGTH).optional(),
});

function identityOf(bytes: Uint8Array): PublicIdentity {
  return { signingKey: bytes.slice(0, 32), agreementKey: bytes.slice(32, 64), certificate: bytes.slice(64) };
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Runs a protocol parse or check; a failure is the client's fault (`bad-request`). */
function check<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (ProtocolError.is(e)) throw new HttpError('bad-request', `${what} is not valid`);
    throw e;
  }
}

export function accountRoutes(deps: ApiDeps): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();

  api.post('/challenges', async (c) => {
    deps.quotas?.take(c, 'challenges', deps.quotas.sourceOf(c));
    const { challenge, expiresAt } = await issueChallenge(deps.challenges);
    return c.json({ challenge: toB64url(challenge), expiresAt }, 201);
  });

  api.post('/accounts', async (c) => {
    // Before anything is checked: an attempt costs the server a signature check either way.
    deps.quotas?.take(c, 'registrations', deps.quotas.sourceOf(c));
    const body = await readBody(c, RegisterBody);
    if (deps.registrationKey !== null && !sameSecret(body.registrationKey, deps.registrationKey)) {
      throw new HttpError('forbidden', 'this server requires a valid registration key');
    }
    const identity = identityOf(body.identity);
    check('identity', () => verifyIdentity(deps.env, identity));
    const cert = check('deviceCertificate', () => decodeDeviceCertificate(body.deviceCertificate));
    check('deviceCertificate', () => verifyDeviceCertificate(deps.env, identity, cert));
    const proofOk = checkDeviceProof(
      deps.env,
      cert.deviceKey,
      AuthPurpose.register,
      body.challenge,
      identity.signingKey,
      cert.deviceId,
      // §3.5.1: a registration proof is bound by what it signs (the account key, the device id)
      // and the certificate over the device key; it travels inside the request it authorises.
      REGISTRATION_OPERATION,
      body.proof,
    );
    // The challenge is consumed only by a valid proof, so a forged request cannot burn it.
    if (!proofOk || !(await deps.challenges.consume(body.challenge))) {
      throw new HttpError('unauthorized', 'proof does not answer a live challenge');
    }
    try {
      await deps.accounts.createAccount(identity, {
        deviceId: cert.deviceId,
        deviceKey: cert.deviceKey,
        certificate: body.deviceCertificate,
      });
    } catch (e) {
      if (StorageError.is(e, 'account-exists')) throw new HttpError('conflict', 'this identity already has an account');
      throw e;
    }
    return c.json({ accountId: accountIdOf(identity), deviceId: cert.deviceId }, 201);
  });

  // Deletes the caller's account and everything of it (devices, prekeys).
  api.delete('/accounts/self', requireDevice(deps), async (c) => {
    await deps.accounts.deleteAccount(c.var.caller.account);
    return c.body(null, 204);
  });

  return api;
}
