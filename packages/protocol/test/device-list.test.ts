import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  certifyDevice,
  compareDeviceLists,
  DEVICE_CERTIFICATE_BYTES,
  type DeviceCertificate,
  decodeDeviceList,
  deviceId,
  deviceListBytes,
  deviceListIds,
  generateEd25519,
  generateIdentity,
  MAX_DEVICE_LIST_DEVICES,
  openDeviceList,
  ProtocolError,
  publicIdentity,
  signDeviceList,
  toHex,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('device lists (%s backend)', (_name, crypto) => {
  const env = testEnv('device-list', crypto);
  const owner = generateIdentity(env);
  const other = generateIdentity(env);
  const id = publicIdentity(owner);
  const cert = (n: number, who = owner) => certifyDevice(env, who, deviceId(n), generateEd25519(env).publicKey);
  const [c1, c2, c7] = [cert(1), cert(2), cert(7)];
  const certs = [c1, c2, c7];
  const v1 = signDeviceList(env, owner, { version: 1, issuedAt: 1000, devices: certs.slice(0, 2) });
  const v2 = signDeviceList(env, owner, { version: 2, issuedAt: 2000, devices: certs });

  it('round-trip: open returns what was signed, at the documented length', () => {
    expect(v2.length).toBe(deviceListBytes(3));
    expect(v2.length).toBe(51 + 3 * DEVICE_CERTIFICATE_BYTES + 64);
    const list = openDeviceList(env, v2, id);
    expect(toHex(list.account)).toBe(toHex(owner.signing.publicKey));
    expect(list.version).toBe(2);
    expect(list.issuedAt).toBe(2000);
    expect(deviceListIds(list)).toEqual([1, 2, 7]);
    expect(list.devices.map((d) => toHex(d.deviceKey))).toEqual(certs.map((c) => toHex(c.deviceKey)));
  });

  it('opens only under the identity that signed it', () => {
    expect(codeOf(() => openDeviceList(env, v2, publicIdentity(other)))).toBe('identity-mismatch');
    // Another identity's list relabelled with our account key: the signature fails.
    const theirs = signDeviceList(env, other, { version: 1, issuedAt: 1, devices: [cert(1, other)] });
    const relabelled = theirs.slice();
    relabelled.set(owner.signing.publicKey, 2);
    expect(codeOf(() => openDeviceList(env, relabelled, id))).toBe('bad-signature');
  });

  it('refuses any changed byte of the body or the signature', () => {
    for (const at of [2, 35, 43, 50, 51 + 6, 51 + 20, v2.length - 1]) {
      const flipped = v2.slice();
      flipped[at] = (flipped[at] as number) ^ 0x01;
      expect(codeOf(() => openDeviceList(env, flipped, id))).toMatch(/^(bad-signature|identity-mismatch|decode)$/);
    }
    // Changing a version byte within the safe range is a signature failure, not a parse failure.
    const bumped = v2.slice();
    bumped[41] = 9;
    expect(codeOf(() => openDeviceList(env, bumped, id))).toBe('bad-signature');
  });

  it('refuses a device certificate that the identity did not sign (a ghost device)', () => {
    // The owner cannot be made to sign it …
    expect(codeOf(() => signDeviceList(env, owner, { version: 3, issuedAt: 1, devices: [cert(1, other)] }))).toBe(
      'usage',
    );
    // … and a list carrying one is refused even with a valid list signature (built by hand here).
    const ghost = cert(9, other);
    const good = signDeviceList(env, owner, { version: 3, issuedAt: 1, devices: [cert(9)] });
    const body = good.slice(0, good.length - 64);
    body.set(encodeCert(ghost), 51);
    const resigned = resign(body);
    expect(codeOf(() => openDeviceList(env, resigned, id))).toBe('bad-signature');
  });

  function resign(body: Uint8Array): Uint8Array {
    const label = new TextEncoder().encode('Parley device list v1');
    const sig = env.crypto.ed25519Sign(owner.signing.privateKey, Uint8Array.from([...label, ...body]));
    return Uint8Array.from([...body, ...sig]);
  }
  function encodeCert(c: DeviceCertificate): Uint8Array {
    const good = signDeviceList(env, other, { version: 1, issuedAt: 1, devices: [c] });
    return good.slice(51, 51 + DEVICE_CERTIFICATE_BYTES);
  }

  it('refuses unordered, duplicate, empty and oversized lists, even when signed', () => {
    const two = signDeviceList(env, owner, { version: 1, issuedAt: 1, devices: [c1, c2] });
    const body = two.slice(0, two.length - 64);
    const a = body.slice(51, 51 + 110);
    const b = body.slice(51 + 110, 51 + 220);
    const swapped = body.slice();
    swapped.set(b, 51);
    swapped.set(a, 51 + 110);
    expect(codeOf(() => openDeviceList(env, resign(swapped), id))).toBe('decode');
    const dup = body.slice();
    dup.set(a, 51 + 110);
    expect(codeOf(() => openDeviceList(env, resign(dup), id))).toBe('decode');
    const empty = body.slice(0, 51);
    empty[50] = 0;
    expect(codeOf(() => openDeviceList(env, resign(empty), id))).toBe('decode');
    const zeroVersion = body.slice();
    zeroVersion.fill(0, 34, 42);
    expect(codeOf(() => openDeviceList(env, resign(zeroVersion), id))).toBe('decode');
    expect(codeOf(() => signDeviceList(env, owner, { version: 1, issuedAt: 1, devices: [] }))).toBe('usage');
    expect(codeOf(() => signDeviceList(env, owner, { version: 0, issuedAt: 1, devices: certs }))).toBe('usage');
    expect(codeOf(() => signDeviceList(env, owner, { version: 1, issuedAt: 1, devices: [c2, c1] }))).toBe('usage');
    const many = Array.from({ length: MAX_DEVICE_LIST_DEVICES + 1 }, (_, i) => cert(i + 1));
    expect(codeOf(() => signDeviceList(env, owner, { version: 1, issuedAt: 1, devices: many }))).toBe('usage');
    const full = signDeviceList(env, owner, { version: 1, issuedAt: 1, devices: many.slice(0, 32) });
    expect(openDeviceList(env, full, id).devices).toHaveLength(32);
  });

  it('any single bit flip anywhere in a list is refused with a ProtocolError', () => {
    fc.assert(
      fc.property(fc.nat({ max: v2.length * 8 - 1 }), (bit) => {
        const flipped = v2.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        let error: unknown;
        try {
          openDeviceList(env, flipped, id);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 200 },
    );
  });

  it('rollback rule: newer accepted, older and forks refused, same is same', () => {
    expect(compareDeviceLists(null, v1)).toBe('newer');
    expect(compareDeviceLists(v1, v2)).toBe('newer');
    expect(compareDeviceLists(v2, v1)).toBe('older');
    expect(compareDeviceLists(v2, v2.slice())).toBe('same');
    const fork = signDeviceList(env, owner, { version: 2, issuedAt: 2000, devices: certs.slice(1) });
    expect(compareDeviceLists(v2, fork)).toBe('conflict');
    const theirs = signDeviceList(env, other, { version: 5, issuedAt: 1, devices: [cert(1, other)] });
    expect(codeOf(() => compareDeviceLists(v2, theirs))).toBe('usage');
  });
});

describe('device list decoding', () => {
  it('refuses every truncation and extension, and random bytes, with a ProtocolError', () => {
    const env = testEnv('device-list-fuzz');
    const owner = generateIdentity(env);
    const good = signDeviceList(env, owner, {
      version: 1,
      issuedAt: 1,
      devices: [certifyDevice(env, owner, deviceId(1), new Uint8Array(32))],
    });
    for (let n = 0; n < good.length; n++) expect(codeOf(() => decodeDeviceList(good.subarray(0, n)))).toBe('decode');
    expect(codeOf(() => decodeDeviceList(Uint8Array.of(...good, 0)))).toBe('decode');
    const future = good.slice();
    future[0] = 2;
    expect(codeOf(() => decodeDeviceList(future))).toBe('unsupported-version');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        try {
          decodeDeviceList(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
