/**
 * Both backends must accept exactly the same Ed25519 signatures (docs/protocol.md §1). OpenSSL
 * alone does not check the public key A, so with a small-order or non-canonical A the signature
 * (R = identity, S = 0) verifies for any message; the node backend refuses such keys.
 */
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  decodeBundle,
  deviceId,
  encodeBundle,
  fromHex,
  generateIdentity,
  generateKemPreKey,
  generateSignedPreKey,
  kemPreKeyPublic,
  publicIdentity,
  signedPreKeyPublic,
  utf8,
  verifyBundle,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

const IDENTITY = fromHex(`01${'00'.repeat(31)}`); // the neutral point, order 1
const ORDER_2 = fromHex(`ec${'ff'.repeat(30)}7f`); // y = -1, order 2
const Y_EQUALS_P_PLUS_1 = fromHex(`ee${'ff'.repeat(30)}7f`); // non-canonical encoding of y = 1
const NOT_ON_CURVE = fromHex(`02${'00'.repeat(31)}`);
const TRIVIAL_SIGNATURE = concatBytes(IDENTITY, new Uint8Array(32)); // R = identity, S = 0

describe.each(backends.map((b) => [b.name, b] as const))('Ed25519 strictness (%s backend)', (_name, crypto) => {
  it.each([
    ['the neutral point', IDENTITY],
    ['a point of order 2', ORDER_2],
    ['a non-canonical encoding (y = p + 1)', Y_EQUALS_P_PLUS_1],
    ['bytes that are not a point', NOT_ON_CURVE],
  ])('refuses %s as a public key, whatever the message', (_what, key) => {
    for (const msg of [utf8(''), utf8('any message'), new Uint8Array(1200)]) {
      expect(crypto.ed25519Verify(key, msg, TRIVIAL_SIGNATURE)).toBe(false);
    }
  });

  it('refuses a bundle forged for a small-order account key', () => {
    const env = testEnv('forge', crypto);
    const real = generateIdentity(env);
    const spk = generateSignedPreKey(env, real, 1);
    const kem = generateKemPreKey(env, real, 1, true);
    const forged = {
      identity: { signingKey: IDENTITY, agreementKey: real.agreement.publicKey, certificate: TRIVIAL_SIGNATURE },
      deviceId: deviceId(1),
      signedPreKey: { ...signedPreKeyPublic(spk), signature: TRIVIAL_SIGNATURE },
      oneTimePreKey: null,
      kemPreKey: { ...kemPreKeyPublic(kem), signature: TRIVIAL_SIGNATURE },
    };
    expect(codeOf(() => verifyBundle(env, decodeBundle(encodeBundle(forged))))).toBe('bad-signature');
    // The genuine bundle still verifies.
    const genuine = { ...forged, identity: publicIdentity(real), signedPreKey: signedPreKeyPublic(spk) };
    expect(() => verifyBundle(env, { ...genuine, kemPreKey: kemPreKeyPublic(kem) })).not.toThrow();
  });
});
