/**
 * negative.json (test/vectors/negative.ts): inputs that must be refused, with the exact error
 * code of each. Regenerated on both backends and compared with the committed JSON, then every
 * case is run from the recorded bytes alone, checking the code, that the session state given is
 * not modified, and that nothing but the recorded draws is consumed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  compareSafetyQr,
  createInitiatorSession,
  decodeBundle,
  decodeDeviceCertificate,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeSession,
  fromHex,
  type IdentityKeyPair,
  ProtocolError,
  parseAccountId,
  proveMailboxAccess,
  safetyNumber,
  socketOperation,
  toHex,
  verifyBundle,
  verifyDeviceCertificate,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { identityFrom, replayEnv } from './vectors/common.ts';
import { buildNegativeVector, type NegativeCase, type NegativeVector } from './vectors/negative.ts';

const v = JSON.parse(readFileSync(new URL('./vectors/negative.json', import.meta.url), 'utf8')) as NegativeVector;

describe.each(backends.map((b) => [b.name, b] as const))('negative.json (%s backend)', (_name, crypto) => {
  it('regenerates byte for byte from the seeds', () => {
    expect(buildNegativeVector(crypto)).toEqual(v);
  });

  const alice = identityFrom(v.alice.identity);
  const bob = identityFrom(v.bob.identity);
  const pub = (id: IdentityKeyPair) => ({
    signingKey: id.signing.publicKey,
    agreementKey: id.agreement.publicKey,
    certificate: id.certificate,
  });
  const spk = fromHex(v.bob.signedPreKey.privateKey);
  const keys = {
    signedPreKey: {
      id: v.bob.signedPreKey.id,
      keyPair: { privateKey: spk, publicKey: crypto.x25519PublicKey(spk) },
      createdAt: v.bob.signedPreKey.createdAt,
      signature: fromHex(v.bob.signedPreKey.signature),
    },
    oneTimePreKey: null,
    kemPreKey: {
      id: v.bob.kemPreKey.id,
      keyPair: { publicKey: fromHex(v.bob.kemPreKey.publicKey), secretKey: fromHex(v.bob.kemPreKey.secretKey) },
      lastResort: false,
      createdAt: v.bob.kemPreKey.createdAt,
      signature: fromHex(v.bob.kemPreKey.signature),
    },
  };

  function run(c: NegativeCase): string {
    const replay = replayEnv(crypto, c.random ?? []);
    const env = replay.env;
    const input = fromHex(c.input);
    const state = c.state === undefined ? undefined : fromHex(c.state);
    let code = 'no error';
    try {
      switch (c.operation) {
        case 'decodeBundle':
          decodeBundle(input);
          break;
        case 'verifyBundle':
          verifyBundle(env, decodeBundle(input));
          break;
        case 'createInitiatorSession':
          createInitiatorSession(env, alice, deviceId(v.alice.deviceId), decodeBundle(input));
          break;
        case 'decodeInitialMessage':
          decodeInitialMessage(input);
          break;
        case 'acceptInitialMessage':
          acceptInitialMessage(env, bob, deviceId(v.bob.deviceId), decodeInitialMessage(input), keys);
          break;
        case 'decryptMessage':
          decryptMessage(env, decodeSession(state ?? new Uint8Array()), input);
          break;
        case 'decodeSession':
          decodeSession(input);
          break;
        case 'decodeDeviceCertificate':
          decodeDeviceCertificate(input);
          break;
        case 'verifyDeviceCertificate':
          verifyDeviceCertificate(env, pub(bob), decodeDeviceCertificate(input));
          break;
        case 'compareSafetyQr':
          compareSafetyQr(safetyNumber(env, pub(alice), pub(bob)), input);
          break;
        case 'parseAccountId':
          parseAccountId(new TextDecoder().decode(input));
          break;
        case 'proveMailboxAccess':
          // Any operation: the challenge's length is refused before anything is signed.
          proveMailboxAccess(
            env,
            fromHex(v.bobDeviceKey.privateKey),
            new Uint8Array(16),
            input,
            socketOperation('subscribe'),
          );
          break;
      }
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      code = e.code;
    }
    expect(replay.remaining(), c.name).toBe(0);
    if (state !== undefined) expect(toHex(encodeSession(decodeSession(state))), c.name).toBe(c.state);
    return code;
  }

  it.each(v.cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    expect(run(c)).toBe(c.error);
  });

  it('covers every code a peer or the server can cause, apart from those with their own vectors', () => {
    const codes = new Set(v.cases.map((c) => c.error));
    for (const code of [
      'decode',
      'unsupported-version',
      'bad-signature',
      'decrypt-failed',
      'duplicate-message',
      'wrong-session',
      'usage',
    ]) {
      expect(codes.has(code), code).toBe(true);
    }
  });
});
