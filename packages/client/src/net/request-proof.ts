/**
 * What every proof-carrying request of the server API shares (protocol §3.5.1): the operation a
 * request performs as a proof binds it — method, canonical target, SHA-256 of the body bytes
 * sent — the `challenge=…, proof=…` parameters of the Authorization header, the device proof's
 * header, and fetching a fresh single-use challenge. Used by ServerApi (server-api.ts) and
 * GroupApi (group-api.ts), so the two build proofs the same way.
 */
import {
  AuthPurpose,
  canonicalTarget,
  decodeWireBytes,
  encodeWireBytes,
  httpOperation,
  type Operation,
  type ProtocolEnv,
  proveDevice,
} from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';
import { ClientError } from '../errors.ts';
import { bodyBytes, type HttpRequest, type HttpTransport, parseAnswer } from './http.ts';
import type { DeviceAuth } from './server-api-types.ts';
import { signing } from './server-errors.ts';

const Challenge = z.object({ challenge: b64url(32) });

/** A fresh single-use challenge (valid for 5 minutes). */
export async function fetchChallenge(http: HttpTransport): Promise<Uint8Array> {
  const answer = await http.request({ method: 'POST', path: '/v1/challenges', ok: [201] });
  return parseAnswer(Challenge, answer).challenge;
}

/** The operation `r` performs, as its proof binds it (protocol §3.5.1). */
export function operationOf(env: ProtocolEnv, r: HttpRequest): Operation {
  const q = r.path.indexOf('?');
  const target = q < 0 ? r.path : canonicalTarget(r.path.slice(0, q), r.path.slice(q));
  return signing(() => httpOperation(env, r.method, target, bodyBytes(r)));
}

/** The `challenge=…, proof=…` parameters of an ownership or group proof's header. */
export function challengeProof(challenge: Uint8Array, proof: Uint8Array): string {
  return `challenge=${encodeWireBytes(challenge)}, proof=${encodeWireBytes(proof)}`;
}

/** `Parley account=…, device=…, challenge=…, proof=…`: the device key's proof for request `r`. */
export function deviceAuthorization(env: ProtocolEnv, auth: DeviceAuth, challenge: Uint8Array, r: HttpRequest): string {
  const accountKey = decodeWireBytes(auth.account, 32);
  if (accountKey === null) throw new ClientError('usage', 'Malformed account id.');
  const op = operationOf(env, r);
  const proof = signing(() =>
    proveDevice(env, auth.devicePrivateKey, AuthPurpose.connect, challenge, accountKey, auth.device, op),
  );
  return `Parley account=${auth.account}, device=${auth.device}, ${challengeProof(challenge, proof)}`;
}
