/**
 * PQXDH session setup through the session API: bundle verification on the initiator's side,
 * prekey handling and replay protection on the responder's side, the initiator's pending PQXDH
 * fields, and sessions moving between the node and noble backends.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  type CryptoBackend,
  concatBytes,
  createInitiatorSession,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  defaultEnv,
  deviceId,
  encodeInitialMessage,
  encodeSession,
  encryptMessage,
  generateKemPreKey,
  generateSignedPreKey,
  type InitialMessage,
  kemPreKeyMessage,
  type OneTimePreKey,
  type PlainInitialMessage,
  type PreKeyBundle,
  type ProtocolEnv,
  publicIdentity,
  type Session,
  sessionCanSend,
  signedPreKeyMessage,
  toHex,
  utf8,
  WireType,
} from '../src/index.ts';
import type { ResponderKeys } from '../src/session.ts';
import { backends, bundleOf, codeOf, type Device, establish, makeDevice, testEnv } from './kit.ts';

/** A copy of `b` with one bit of byte `i` flipped (key arrays are never mutated in place). */
function flipped(b: Uint8Array, i = 0): Uint8Array {
  const out = b.slice();
  out[i] = (out[i] as number) ^ 0x01;
  return out;
}

function keysOf(d: Device, opts: { oneTime?: boolean; lastResort?: boolean } = {}): ResponderKeys {
  return {
    signedPreKey: d.signedPreKey,
    oneTimePreKey: opts.oneTime === false ? null : (d.oneTimePreKeys[0] ?? null),
    kemPreKey: opts.lastResort ? d.lastResortKemPreKey : d.kemPreKey,
  };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Sends `n` messages each way, in turns, and checks every plaintext. */
function pingPong(
  envA: ProtocolEnv,
  envB: ProtocolEnv,
  alice: Session,
  bob: Session,
  n: number,
): { alice: Session; bob: Session } {
  let a = alice;
  let b = bob;
  for (let i = 0; i < n; i++) {
    const m = encryptMessage(envA, a, utf8(`a${i}`));
    a = m.session;
    const d = decryptMessage(envB, b, m.message);
    b = d.session;
    expect(text(d.plaintext)).toBe(`a${i}`);
    const r = encryptMessage(envB, b, utf8(`b${i}`));
    b = r.session;
    const e = decryptMessage(envA, a, r.message);
    a = e.session;
    expect(text(e.plaintext)).toBe(`b${i}`);
  }
  return { alice: a, bob: b };
}

const crypto = defaultEnv.crypto;

describe(`PQXDH session setup (${crypto.name} backend)`, () => {
  const envA = testEnv('pqxdh-a', crypto);
  const envB = testEnv('pqxdh-b', crypto);
  const aliceDev = makeDevice(envA, 1);
  const bobDev = makeDevice(envB, 2);
  const carolDev = makeDevice(testEnv('pqxdh-c', crypto), 3);
  const good = bundleOf(bobDev);
  const start = (bundle: PreKeyBundle, known?: Parameters<typeof createInitiatorSession>[4]) =>
    createInitiatorSession(envA, aliceDev.identity, aliceDev.device, bundle, known);

  describe('the initiator verifies the bundle', () => {
    it('accepts a good bundle and names its owner and device', () => {
      const s = start(good);
      expect(toHex(s.remoteIdentity.signingKey)).toBe(toHex(good.identity.signingKey));
      expect(s.remoteDevice).toBe(bobDev.device);
      expect(s.localDevice).toBe(aliceDev.device);
      expect(s.pending).not.toBeNull();
      expect(sessionCanSend(s)).toBe(true);
    });

    it('rejects a bundle whose identity certificate does not verify with bad-signature', () => {
      const cert = { ...good, identity: { ...good.identity, certificate: flipped(good.identity.certificate, 10) } };
      expect(codeOf(() => start(cert))).toBe('bad-signature');
      // Another account's agreement key under Bob's signing key: the certificate covers it.
      const swapped = {
        ...good,
        identity: { ...good.identity, agreementKey: publicIdentity(carolDev.identity).agreementKey },
      };
      expect(codeOf(() => start(swapped))).toBe('bad-signature');
    });

    it('rejects a bundle whose signed-prekey signature does not verify with bad-signature', () => {
      const spk = good.signedPreKey;
      for (const bad of [
        { ...spk, signature: flipped(spk.signature, 5) },
        { ...spk, publicKey: carolDev.signedPreKey.keyPair.publicKey },
        { ...spk, id: spk.id + 1 },
        { ...spk, createdAt: spk.createdAt + 1 },
      ]) {
        expect(codeOf(() => start({ ...good, signedPreKey: bad }))).toBe('bad-signature');
      }
    });

    it('rejects a bundle whose KEM-prekey signature does not verify with bad-signature', () => {
      const kem = good.kemPreKey;
      for (const bad of [
        { ...kem, signature: flipped(kem.signature, 63) },
        { ...kem, publicKey: carolDev.kemPreKey.keyPair.publicKey },
        { ...kem, id: kem.id + 1 },
        { ...kem, lastResort: !kem.lastResort },
        { ...kem, createdAt: kem.createdAt + 1 },
      ]) {
        expect(codeOf(() => start({ ...good, kemPreKey: bad }))).toBe('bad-signature');
      }
    });

    it('rejects prekeys signed by another identity with bad-signature', () => {
      const carols = bundleOf(carolDev);
      expect(codeOf(() => start({ ...good, signedPreKey: carols.signedPreKey }))).toBe('bad-signature');
      expect(codeOf(() => start({ ...good, kemPreKey: carols.kemPreKey }))).toBe('bad-signature');
    });

    it('rejects a bundle whose identity differs from the pinned knownIdentity with identity-mismatch', () => {
      expect(codeOf(() => start(good, publicIdentity(carolDev.identity)))).toBe('identity-mismatch');
      // Carol's complete, validly signed bundle is still not Bob.
      expect(codeOf(() => start(bundleOf(carolDev), publicIdentity(bobDev.identity)))).toBe('identity-mismatch');
      expect(start(good, publicIdentity(bobDev.identity)).pending).not.toBeNull();
    });

    it('a pinned knownIdentity must match every byte of the bundle identity, certificate included; prekey signatures are still checked', () => {
      const known = publicIdentity(bobDev.identity);
      const badCert = { ...good, identity: { ...good.identity, certificate: new Uint8Array(64) } };
      expect(codeOf(() => start(badCert, known))).toBe('identity-mismatch');
      const badSpk = { ...good, signedPreKey: { ...good.signedPreKey, signature: new Uint8Array(64) } };
      expect(codeOf(() => start(badSpk, known))).toBe('bad-signature');
      const badKem = { ...good, kemPreKey: { ...good.kemPreKey, signature: new Uint8Array(64) } };
      expect(codeOf(() => start(badKem, known))).toBe('bad-signature');
    });

    it('rejects a validly signed low-order signed prekey with decode', () => {
      const one = new Uint8Array(32);
      one[0] = 1;
      for (const publicKey of [new Uint8Array(32), one]) {
        const createdAt = 1_767_225_600_000;
        const signature = crypto.ed25519Sign(
          bobDev.identity.signing.privateKey,
          signedPreKeyMessage(9, createdAt, publicKey),
        );
        const bundle = { ...good, signedPreKey: { id: 9, createdAt, publicKey, signature } };
        expect(codeOf(() => start(bundle))).toBe('decode');
      }
    });

    it('rejects a validly signed KEM prekey that is not a valid ML-KEM-768 key with decode', () => {
      // Every coefficient 0xfff ≥ q fails the FIPS 203 §7.2 modulus check in encapsulation.
      const publicKey = new Uint8Array(1184).fill(0xff);
      const createdAt = 1_767_225_600_000;
      const signature = crypto.ed25519Sign(
        bobDev.identity.signing.privateKey,
        kemPreKeyMessage(9, false, createdAt, publicKey),
      );
      const bundle = { ...good, kemPreKey: { id: 9, lastResort: false, createdAt, publicKey, signature } };
      expect(codeOf(() => start(bundle))).toBe('decode');
    });
  });

  describe('both sides derive the same session', () => {
    for (const oneTime of [true, false]) {
      for (const lastResort of [false, true]) {
        it(`${oneTime ? 'with' : 'without'} a one-time prekey, ${lastResort ? 'last-resort' : 'one-time'} KEM prekey`, () => {
          const alice0 = start(bundleOf(bobDev, { oneTime, lastResort }));
          const first = encryptMessage(envA, alice0, utf8('hello'));
          const initial = decodeInitialMessage(first.message);
          expect(initial.header.oneTimePreKeyId).toBe(oneTime ? 100 : null);
          expect(initial.header.kemPreKeyId).toBe(lastResort ? 300 : 200);
          expect(initial.header.initiatorDevice).toBe(aliceDev.device);
          const got = acceptInitialMessage(
            envB,
            bobDev.identity,
            bobDev.device,
            initial,
            keysOf(bobDev, { oneTime, lastResort }),
            {
              isBaseKeyUsed: () => false,
            },
          );
          expect(text(got.plaintext)).toBe('hello');
          const bob = got.session;
          expect(toHex(bob.associatedData)).toBe(toHex(first.session.associatedData));
          expect(toHex(bob.baseKey)).toBe(toHex(first.session.baseKey));
          expect(toHex(bob.remoteIdentity.signingKey)).toBe(toHex(aliceDev.identity.signing.publicKey));
          expect(bob.remoteDevice).toBe(aliceDev.device);
          expect(bob.localDevice).toBe(bobDev.device);
          expect(bob.pending).toBeNull();
          pingPong(envA, envB, first.session, bob, 3);
        });
      }
    }

    it('the associated data is IK_A ‖ u32 device_A ‖ IK_B ‖ u32 device_B on both sides', () => {
      const alice0 = start(good);
      const first = encryptMessage(envA, alice0, utf8('ad'));
      const bob = acceptInitialMessage(
        envB,
        bobDev.identity,
        bobDev.device,
        decodeInitialMessage(first.message),
        keysOf(bobDev),
      ).session;
      const a = publicIdentity(aliceDev.identity);
      const b = publicIdentity(bobDev.identity);
      const expected = concatBytes(
        a.signingKey,
        a.agreementKey,
        u32(aliceDev.device),
        b.signingKey,
        b.agreementKey,
        u32(bobDev.device),
      );
      expect(toHex(alice0.associatedData)).toBe(toHex(expected));
      expect(toHex(bob.associatedData)).toBe(toHex(expected));
    });

    it('a relabeled initiator device or a relabeled bundle device makes the first message fail with decrypt-failed', () => {
      const first = encryptMessage(envA, start(good), utf8('relabel'));
      const initial = decodeInitialMessage(first.message);
      const relabeled = { ...initial, header: { ...initial.header, initiatorDevice: deviceId(aliceDev.device + 1) } };
      expect(codeOf(() => acceptInitialMessage(envB, bobDev.identity, bobDev.device, relabeled, keysOf(bobDev)))).toBe(
        'decrypt-failed',
      );
      // The server handed Alice Bob's bundle under another device id.
      const wrongDevice = encryptMessage(envA, start({ ...good, deviceId: deviceId(bobDev.device + 1) }), utf8('x'));
      expect(
        codeOf(() =>
          acceptInitialMessage(
            envB,
            bobDev.identity,
            bobDev.device,
            decodeInitialMessage(wrongDevice.message),
            keysOf(bobDev),
          ),
        ),
      ).toBe('decrypt-failed');
      // Bob accepting under another of his device ids.
      expect(
        codeOf(() => acceptInitialMessage(envB, bobDev.identity, deviceId(bobDev.device + 1), initial, keysOf(bobDev))),
      ).toBe('decrypt-failed');
    });

    it('a different one-time prekey or a different signed prekey with the same id gives a different secret (decrypt-failed)', () => {
      const alice = start(good);
      const initial = decodeInitialMessage(encryptMessage(envA, alice, utf8('x')).message);
      const second = bobDev.oneTimePreKeys[1] as OneTimePreKey;
      const wrongOtk = { ...keysOf(bobDev), oneTimePreKey: { id: 100, keyPair: second.keyPair } };
      expect(codeOf(() => acceptInitialMessage(envB, bobDev.identity, bobDev.device, initial, wrongOtk))).toBe(
        'decrypt-failed',
      );
      const otherSpk = generateSignedPreKey(envB, bobDev.identity, bobDev.signedPreKey.id);
      const wrongSpk = { ...keysOf(bobDev), signedPreKey: otherSpk };
      expect(codeOf(() => acceptInitialMessage(envB, bobDev.identity, bobDev.device, initial, wrongSpk))).toBe(
        'decrypt-failed',
      );
      const otherKem = generateKemPreKey(envB, bobDev.identity, bobDev.kemPreKey.id, false);
      const wrongKem = { ...keysOf(bobDev), kemPreKey: otherKem };
      expect(codeOf(() => acceptInitialMessage(envB, bobDev.identity, bobDev.device, initial, wrongKem))).toBe(
        'decrypt-failed',
      );
    });
  });

  describe('the responder', () => {
    const firstMessage = (bundle: PreKeyBundle): { initial: PlainInitialMessage; bytes: Uint8Array } => {
      const m = encryptMessage(envA, start(bundle), utf8('first'));
      return { initial: decodeInitialMessage(m.message), bytes: m.message };
    };
    const accept = (
      initial: InitialMessage,
      keys: ResponderKeys,
      options?: Parameters<typeof acceptInitialMessage>[5],
    ) => acceptInitialMessage(envB, bobDev.identity, bobDev.device, initial, keys, options);

    it('consumed names the one-time X25519 and KEM prekeys that were used', () => {
      const withOtk = accept(firstMessage(good).initial, keysOf(bobDev));
      expect(withOtk.consumed).toEqual({ oneTimePreKeyId: 100, kemPreKeyId: 200, lastResortBaseKey: null });
      const noOtk = accept(
        firstMessage(bundleOf(bobDev, { oneTime: false })).initial,
        keysOf(bobDev, { oneTime: false }),
      );
      expect(noOtk.consumed).toEqual({ oneTimePreKeyId: null, kemPreKeyId: 200, lastResortBaseKey: null });
    });

    it('a last-resort KEM prekey is accepted once per base key; the same initial message again is replayed-initial-message', () => {
      const used = new Map<string, number>();
      const calls: [number, string][] = [];
      const isBaseKeyUsed = (kemPreKeyId: number, baseKey: Uint8Array) => {
        calls.push([kemPreKeyId, toHex(baseKey)]);
        return used.get(toHex(baseKey)) === kemPreKeyId;
      };
      const { initial } = firstMessage(bundleOf(bobDev, { lastResort: true }));
      const keys = keysOf(bobDev, { lastResort: true });
      const got = accept(initial, keys, { isBaseKeyUsed });
      expect(text(got.plaintext)).toBe('first');
      expect(got.consumed.oneTimePreKeyId).toBe(100);
      expect(got.consumed.kemPreKeyId).toBeNull(); // a last-resort key is kept
      const remembered = got.consumed.lastResortBaseKey;
      expect(remembered?.kemPreKeyId).toBe(300);
      expect(toHex(remembered?.baseKey ?? new Uint8Array())).toBe(toHex(initial.header.baseKey));
      expect(calls).toEqual([[300, toHex(initial.header.baseKey)]]);
      used.set(toHex(initial.header.baseKey), 300);

      expect(codeOf(() => accept(initial, keys, { isBaseKeyUsed }))).toBe('replayed-initial-message');
      // Without a one-time prekey, nothing else would stop the replay either.
      const bare = firstMessage(bundleOf(bobDev, { lastResort: true, oneTime: false })).initial;
      const bareKeys = keysOf(bobDev, { lastResort: true, oneTime: false });
      accept(bare, bareKeys, { isBaseKeyUsed });
      used.set(toHex(bare.header.baseKey), 300);
      expect(codeOf(() => accept(bare, bareKeys, { isBaseKeyUsed }))).toBe('replayed-initial-message');
      // A new PQXDH run (new base key) with the same last-resort key is fine.
      expect(
        text(accept(firstMessage(bundleOf(bobDev, { lastResort: true })).initial, keys, { isBaseKeyUsed }).plaintext),
      ).toBe('first');
    });

    it('a one-time KEM prekey does not consult isBaseKeyUsed', () => {
      let called = false;
      accept(firstMessage(good).initial, keysOf(bobDev), {
        isBaseKeyUsed: () => {
          called = true;
          return true;
        },
      });
      expect(called).toBe(false);
    });

    it('omitting isBaseKeyUsed for a last-resort KEM prekey is a usage error', () => {
      const { initial } = firstMessage(bundleOf(bobDev, { lastResort: true }));
      expect(codeOf(() => accept(initial, keysOf(bobDev, { lastResort: true })))).toBe('usage');
      expect(codeOf(() => accept(initial, keysOf(bobDev, { lastResort: true }), {}))).toBe('usage');
    });

    it('prekeys that do not match the ids in the initial message are a usage error', () => {
      const { initial } = firstMessage(good);
      const otherSpk = generateSignedPreKey(envB, bobDev.identity, 2);
      const secondOtk = bobDev.oneTimePreKeys[1] ?? null;
      expect(secondOtk?.id).toBe(101);
      for (const keys of [
        { ...keysOf(bobDev), signedPreKey: otherSpk },
        { ...keysOf(bobDev), kemPreKey: bobDev.lastResortKemPreKey },
        { ...keysOf(bobDev), oneTimePreKey: secondOtk },
        keysOf(bobDev, { oneTime: false }),
      ]) {
        expect(codeOf(() => accept(initial, keys))).toBe('usage');
      }
      // A one-time prekey supplied for a message that used none.
      const noOtk = firstMessage(bundleOf(bobDev, { oneTime: false })).initial;
      expect(codeOf(() => accept(noOtk, keysOf(bobDev)))).toBe('usage');
    });

    it('rejects an initial message whose initiator certificate does not verify with bad-signature', () => {
      const { initial } = firstMessage(good);
      const h = initial.header;
      const forged = {
        ...initial,
        header: { ...h, initiator: { ...h.initiator, certificate: flipped(h.initiator.certificate) } },
      };
      expect(codeOf(() => accept(forged, keysOf(bobDev)))).toBe('bad-signature');
    });

    it('a pinned knownIdentity never lets a bad initiator certificate through (it is not the pinned identity)', () => {
      const { initial } = firstMessage(good);
      const h = initial.header;
      const alice = publicIdentity(aliceDev.identity);
      expect(text(accept(initial, keysOf(bobDev), { knownIdentity: alice }).plaintext)).toBe('first');
      const badCert = { ...initial, header: { ...h, initiator: { ...h.initiator, certificate: new Uint8Array(64) } } };
      expect(codeOf(() => accept(badCert, keysOf(bobDev), { knownIdentity: alice }))).toBe('identity-mismatch');
      const carol = publicIdentity(carolDev.identity);
      expect(codeOf(() => accept(badCert, keysOf(bobDev), { knownIdentity: carol }))).toBe('identity-mismatch');
    });

    it('rejects an initiator whose identity differs from the pinned knownIdentity with identity-mismatch, as createInitiatorSession does', () => {
      // Bob pinned Carol for this sender, but the (valid) initial message comes from Alice.
      const { initial } = firstMessage(good);
      const carol = publicIdentity(carolDev.identity);
      expect(codeOf(() => accept(initial, keysOf(bobDev), { knownIdentity: carol }))).toBe('identity-mismatch');
    });

    it('rejects a tampered KEM ciphertext, base key or ratchet message, and accepts nothing twice from one failure', () => {
      const { initial } = firstMessage(good);
      const h = initial.header;
      const cases: InitialMessage[] = [
        { ...initial, header: { ...h, kemCiphertext: flipped(h.kemCiphertext, 500) } },
        { ...initial, header: { ...h, baseKey: flipped(h.baseKey, 7) } },
        { ...initial, ratchetMessage: flipped(initial.ratchetMessage, initial.ratchetMessage.length - 1) },
      ];
      for (const bad of cases) expect(codeOf(() => accept(bad, keysOf(bobDev)))).toBe('decrypt-failed');
      expect(text(accept(initial, keysOf(bobDev)).plaintext)).toBe('first');
    });
  });

  describe('the initiator attaches its PQXDH fields until it hears back', () => {
    it('sends initial messages until a reply decrypts, then ratchet messages only', () => {
      let alice = start(good);
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 3; i++) {
        const m = encryptMessage(envA, alice, utf8(`early ${i}`));
        alice = m.session;
        expect(m.message[1]).toBe(WireType.initialMessage);
        expect(alice.pending).not.toBeNull();
        sent.push(m.message);
      }
      // All three carry the same PQXDH fields; only the embedded ratchet message differs.
      const headers = sent.map((m) => {
        const d = decodeInitialMessage(m);
        return toHex(encodeInitialMessage({ ...d, ratchetMessage: new Uint8Array() }));
      });
      expect(new Set(headers).size).toBe(1);

      // Persisting and restoring keeps the pending fields.
      alice = decodeSession(encodeSession(alice));
      expect(encryptMessage(envA, alice, utf8('restored')).message[1]).toBe(WireType.initialMessage);

      // Bob starts from the second message to arrive; the others decrypt in his session.
      const got = acceptInitialMessage(
        envB,
        bobDev.identity,
        bobDev.device,
        decodeInitialMessage(sent[1] as Uint8Array),
        keysOf(bobDev),
      );
      let bob = got.session;
      expect(text(got.plaintext)).toBe('early 1');
      for (const i of [2, 0]) {
        const d = decryptMessage(envB, bob, sent[i] as Uint8Array);
        bob = d.session;
        expect(text(d.plaintext)).toBe(`early ${i}`);
      }

      // A tampered reply does not count as hearing back.
      const reply = encryptMessage(envB, bob, utf8('reply'));
      bob = reply.session;
      expect(reply.message[1]).toBe(WireType.ratchetMessage);
      const before = toHex(encodeSession(alice));
      expect(codeOf(() => decryptMessage(envA, alice, flipped(reply.message, reply.message.length - 1)))).toBe(
        'decrypt-failed',
      );
      expect(toHex(encodeSession(alice))).toBe(before);
      expect(alice.pending).not.toBeNull();

      const back = decryptMessage(envA, alice, reply.message);
      alice = back.session;
      expect(text(back.plaintext)).toBe('reply');
      expect(alice.pending).toBeNull();
      for (let i = 0; i < 3; i++) {
        const m = encryptMessage(envA, alice, utf8(`late ${i}`));
        alice = m.session;
        expect(m.message[1]).toBe(WireType.ratchetMessage);
        const d = decryptMessage(envB, bob, m.message);
        bob = d.session;
        expect(text(d.plaintext)).toBe(`late ${i}`);
      }
      // The restored state keeps the cleared flag.
      expect(decodeSession(encodeSession(alice)).pending).toBeNull();
    });

    it('an initial message of another PQXDH run is a wrong-session error for an existing session', () => {
      const { alice, bob } = establish(envA, envB, aliceDev, bobDev, false);
      expect(alice.pending).not.toBeNull();
      const other = encryptMessage(envA, start(good), utf8('new run')).message;
      const before = toHex(encodeSession(bob));
      expect(codeOf(() => decryptMessage(envB, bob, other))).toBe('wrong-session');
      expect(toHex(encodeSession(bob))).toBe(before);
    });
  });
});

describe('sessions move between backends', () => {
  const [node, noble] = backends as [CryptoBackend, CryptoBackend];

  for (const [from, to] of [
    [node, noble],
    [noble, node],
  ] as const) {
    it(`a session started on the ${from.name} backend continues on the ${to.name} backend after encodeSession/decodeSession`, () => {
      const envA = testEnv(`move-a-${from.name}`, from);
      const envB = testEnv(`move-b-${from.name}`, from);
      const aliceDev = makeDevice(envA, 1);
      const bobDev = makeDevice(envB, 2);
      let { alice, bob } = establish(envA, envB, aliceDev, bobDev);
      ({ alice, bob } = pingPong(envA, envB, alice, bob, 1));
      // Leave a skipped key behind before moving.
      const held = encryptMessage(envA, alice, utf8('held'));
      const sent = encryptMessage(envA, held.session, utf8('sent'));
      alice = sent.session;
      bob = decryptMessage(envB, bob, sent.message).session;

      const envA2 = testEnv(`move-a2-${to.name}`, to);
      const envB2 = testEnv(`move-b2-${to.name}`, to);
      alice = decodeSession(encodeSession(alice));
      bob = decodeSession(encodeSession(bob));
      const d = decryptMessage(envB2, bob, held.message);
      bob = d.session;
      expect(text(d.plaintext)).toBe('held');
      pingPong(envA2, envB2, alice, bob, 2);
    });

    it(`an initial message from the ${from.name} backend is accepted on the ${to.name} backend`, () => {
      const envA = testEnv('cross-a', from);
      const envB = testEnv('cross-b', to);
      const aliceDev = makeDevice(envA, 1);
      const bobDev = makeDevice(envB, 2);
      const { alice, bob } = establish(envA, envB, aliceDev, bobDev);
      pingPong(envA, envB, alice, bob, 2);
    });
  }

  it('both backends produce byte-identical devices, sessions and messages from the same seed', () => {
    const run = (crypto: CryptoBackend) => {
      const envA = testEnv('same-a', crypto);
      const envB = testEnv('same-b', crypto);
      const pair = establish(envA, envB, makeDevice(envA, 1), makeDevice(envB, 2));
      const m = encryptMessage(envA, pair.alice, utf8('same'));
      return [encodeSession(pair.alice), encodeSession(pair.bob), m.message, encodeSession(m.session)].map(toHex);
    };
    expect(run(noble)).toEqual(run(node));
  });
});
