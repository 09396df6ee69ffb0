import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AuthPurpose,
  CHALLENGE_BYTES,
  certifyDevice,
  checkDeviceProof,
  DEVICE_CERTIFICATE_BYTES,
  decodeDeviceCertificate,
  deviceId,
  encodeDeviceCertificate,
  generateEd25519,
  generateIdentity,
  httpOperation,
  ProtocolError,
  proveDevice,
  publicIdentity,
  REGISTRATION_OPERATION,
  toHex,
  utf8,
  verifyDeviceCertificate,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('device certificates (%s backend)', (_name, crypto) => {
  const env = testEnv('device-cert', crypto);
  const owner = generateIdentity(env);
  const other = generateIdentity(env);
  const device = generateEd25519(env);
  const cert = certifyDevice(env, owner, deviceId(2), device.publicKey);

  it('verify under the certifying identity only', () => {
    expect(() => verifyDeviceCertificate(env, publicIdentity(owner), cert)).not.toThrow();
    expect(codeOf(() => verifyDeviceCertificate(env, publicIdentity(other), cert))).toBe('bad-signature');
  });

  it('bind the device id, the time and the key', () => {
    const id = publicIdentity(owner);
    const forged = [
      { ...cert, deviceId: deviceId(3) },
      { ...cert, createdAt: cert.createdAt + 1 },
      { ...cert, deviceKey: generateEd25519(env).publicKey },
    ];
    for (const f of forged) expect(codeOf(() => verifyDeviceCertificate(env, id, f))).toBe('bad-signature');
  });

  it('round-trip through their 110-byte encoding', () => {
    const bytes = encodeDeviceCertificate(cert);
    expect(bytes.length).toBe(DEVICE_CERTIFICATE_BYTES);
    expect(toHex(encodeDeviceCertificate(decodeDeviceCertificate(bytes)))).toBe(toHex(bytes));
  });

  it('a proof answers one challenge, for one purpose, account, device and operation', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const account = owner.signing.publicKey;
    const op = httpOperation(env, 'GET', '/v1/devices/self/prekey-counts', new Uint8Array(0));
    const proof = proveDevice(env, device.privateKey, AuthPurpose.connect, challenge, account, deviceId(2), op);
    const check = (
      over: Partial<{
        purpose: AuthPurpose;
        challenge: Uint8Array;
        account: Uint8Array;
        device: number;
        operation: Uint8Array;
      }>,
    ) =>
      checkDeviceProof(
        env,
        device.publicKey,
        over.purpose ?? AuthPurpose.connect,
        over.challenge ?? challenge,
        over.account ?? account,
        deviceId(over.device ?? 2),
        over.operation ?? op,
        proof,
      );
    expect(check({})).toBe(true);
    expect(check({ purpose: AuthPurpose.register })).toBe(false);
    expect(check({ challenge: env.random(CHALLENGE_BYTES) })).toBe(false);
    expect(check({ account: other.signing.publicKey })).toBe(false);
    expect(check({ device: 3 })).toBe(false);
    // §3.5.1: the proof of a read is not the proof of a write or of a deletion.
    expect(check({ operation: httpOperation(env, 'DELETE', '/v1/accounts/self', new Uint8Array(0)) })).toBe(false);
    const upload = httpOperation(env, 'POST', '/v1/devices/self/one-time-prekeys', utf8('{"keys":[]}'));
    expect(check({ operation: upload })).toBe(false);
    expect(check({ operation: REGISTRATION_OPERATION })).toBe(false);
    expect(codeOf(() => check({ challenge: new Uint8Array(31) }))).toBe('decode');
  });
});

describe('device certificate decoding', () => {
  it('refuses any bytes that are not exactly a certificate, with a ProtocolError', () => {
    const env = testEnv('device-cert-fuzz');
    const good = encodeDeviceCertificate(certifyDevice(env, generateIdentity(env), deviceId(1), new Uint8Array(32)));
    for (let n = 0; n < good.length; n++)
      expect(codeOf(() => decodeDeviceCertificate(good.subarray(0, n)))).toBe('decode');
    expect(codeOf(() => decodeDeviceCertificate(Uint8Array.of(...good, 0)))).toBe('decode');
    const zeroDevice = good.slice();
    zeroDevice.fill(0, 2, 6);
    expect(codeOf(() => decodeDeviceCertificate(zeroDevice))).toBe('decode');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeDeviceCertificate(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
