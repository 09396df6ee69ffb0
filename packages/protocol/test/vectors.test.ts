import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  compareSafetyQr,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeIdentity,
  encodeSession,
  encryptMessage,
  fromHex,
  pqxdhHeaderDigest,
  safetyNumber,
  toHex,
  utf8,
  verifyBundle,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { asRecorded, identityFrom, loadVector, publicIdentityFrom } from './vectors/common.ts';
import {
  type BundleVector,
  buildBundleVector,
  buildPqRatchetVector,
  buildPqxdhVector,
  buildRatchetVector,
  buildSafetyNumberVector,
  type PqRatchetVector,
  type PqxdhVector,
  type RatchetStep,
  type RatchetVector,
  replayEnv,
  type SafetyNumberVector,
} from './vectors/generate.ts';

const bundleVector = loadVector<BundleVector>('bundle.json');
const pqxdhVector = loadVector<PqxdhVector>('pqxdh.json');
const ratchetVector = loadVector<RatchetVector>('ratchet.json');
const safetyVector = loadVector<SafetyNumberVector>('safety-number.json');
const pqVector = loadVector<PqRatchetVector>('pq-ratchet.json');

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Decrypts and re-encrypts every recorded step from its recorded states and draws alone. */
function checkSteps(crypto: (typeof backends)[number], steps: readonly RatchetStep[]): void {
  for (const step of steps) {
    const dec = replayEnv(crypto, step.receiverRandom);
    const got = decryptMessage(dec.env, decodeSession(fromHex(step.receiverStateBefore)), fromHex(step.message));
    expect(dec.remaining(), `step ${step.step}`).toBe(0);
    expect(text(got.plaintext), `step ${step.step}`).toBe(step.plaintext);
    expect(toHex(encodeSession(got.session)), `step ${step.step}`).toBe(step.receiverStateAfter);

    const enc = replayEnv(crypto, step.senderRandom);
    const sent = encryptMessage(enc.env, decodeSession(fromHex(step.senderStateBefore)), utf8(step.plaintext));
    expect(enc.remaining(), `step ${step.step}`).toBe(0);
    expect(toHex(sent.message), `step ${step.step}`).toBe(step.message);
    expect(toHex(encodeSession(sent.session)), `step ${step.step}`).toBe(step.senderStateAfter);
  }
}

/** Each party's states form one chain from its initial state through every recorded operation. */
function checkStateChains(initial: { alice: string; bob: string }, steps: readonly RatchetStep[]): void {
  for (const party of ['alice', 'bob'] as const) {
    const next = new Map<string, string>();
    for (const s of steps) {
      if (s.sender === party) next.set(s.senderStateBefore, s.senderStateAfter);
      if (s.receiver === party) next.set(s.receiverStateBefore, s.receiverStateAfter);
    }
    let state: string | undefined = initial[party];
    let count = 0;
    while (state !== undefined && next.has(state)) {
      state = next.get(state);
      count++;
    }
    expect(count, party).toBe(next.size);
  }
}

describe.each(backends.map((b) => [b.name, b] as const))('known-answer vectors (%s backend)', (_name, crypto) => {
  const noRandom = () => replayEnv(crypto, []).env;

  describe('bundle.json', () => {
    it('regenerates byte for byte from the seed', () => {
      expect(buildBundleVector(crypto)).toEqual(bundleVector);
    });

    it('is consistent: public keys from private keys, and the bundle decodes, verifies and re-encodes', () => {
      const v = bundleVector;
      const id = v.identity;
      expect(toHex(crypto.ed25519PublicKey(fromHex(id.signingPrivateKey)))).toBe(id.signingPublicKey);
      expect(toHex(crypto.x25519PublicKey(fromHex(id.agreementPrivateKey)))).toBe(id.agreementPublicKey);
      expect(id.random).toEqual([id.signingPrivateKey, id.agreementPrivateKey]);
      expect(toHex(crypto.x25519PublicKey(fromHex(v.signedPreKey.privateKey)))).toBe(v.signedPreKey.publicKey);
      expect(toHex(crypto.x25519PublicKey(fromHex(v.oneTimePreKey.privateKey)))).toBe(v.oneTimePreKey.publicKey);
      const kem = crypto.mlKemKeygen(fromHex(v.kemPreKey.keygenSeed));
      expect(toHex(kem.publicKey)).toBe(v.kemPreKey.publicKey);
      expect(toHex(kem.secretKey)).toBe(v.kemPreKey.secretKey);

      const bundle = decodeBundle(fromHex(v.bundle));
      verifyBundle(noRandom(), bundle);
      expect(toHex(encodeBundle(bundle))).toBe(v.bundle);
      expect(toHex(encodeIdentity(bundle.identity))).toBe(id.encoded);
      expect(bundle.deviceId).toBe(v.deviceId);
      expect(bundle.signedPreKey).toEqual({
        id: v.signedPreKey.id,
        createdAt: v.signedPreKey.createdAt,
        publicKey: fromHex(v.signedPreKey.publicKey),
        signature: fromHex(v.signedPreKey.signature),
      });
      expect(bundle.oneTimePreKey).toEqual({ id: v.oneTimePreKey.id, publicKey: fromHex(v.oneTimePreKey.publicKey) });
      expect(bundle.kemPreKey).toEqual({
        id: v.kemPreKey.id,
        lastResort: v.kemPreKey.lastResort,
        createdAt: v.kemPreKey.createdAt,
        publicKey: fromHex(v.kemPreKey.publicKey),
        signature: fromHex(v.kemPreKey.signature),
      });
    });
  });

  describe('pqxdh.json', () => {
    it('regenerates byte for byte from the seeds', () => {
      expect(buildPqxdhVector(crypto)).toEqual(pqxdhVector);
    });

    it("reproduces Alice's initial message from the recorded keys and random draws", () => {
      const v = pqxdhVector;
      expect(v.bob.bundle).toBe(bundleVector.bundle);
      const r = v.alice.random;
      const replay = replayEnv(crypto, [...r.createSession, ...r.encrypt]);
      const alice = identityFrom(v.alice.identity);
      const session = createInitiatorSession(
        replay.env,
        alice,
        deviceId(v.alice.deviceId),
        decodeBundle(fromHex(v.bob.bundle)),
      );
      const sent = encryptMessage(replay.env, session, utf8(v.plaintext));
      expect(replay.remaining()).toBe(0);
      expect(toHex(sent.message)).toBe(v.initialMessage);
      expect(toHex(sent.session.associatedData)).toBe(v.associatedData);
      expect(toHex(sent.session.baseKey)).toBe(v.baseKey);
      expect(toHex(encodeSession(sent.session))).toBe(v.aliceState);
      const u32 = (n: number) => n.toString(16).padStart(8, '0');
      expect(v.associatedData).toBe(
        v.alice.identity.signingPublicKey +
          v.alice.identity.agreementPublicKey +
          u32(v.alice.deviceId) +
          bundleVector.identity.signingPublicKey +
          bundleVector.identity.agreementPublicKey +
          u32(bundleVector.deviceId),
      );
    });

    it('lets Bob accept the recorded initial message with the recorded private keys', () => {
      const v = pqxdhVector;
      const b = bundleVector;
      const replay = replayEnv(crypto, v.bob.random.accept);
      const x25519 = (priv: string) => ({
        privateKey: fromHex(priv),
        publicKey: crypto.x25519PublicKey(fromHex(priv)),
      });
      const accepted = acceptInitialMessage(
        replay.env,
        identityFrom(b.identity),
        deviceId(b.deviceId),
        decodeInitialMessage(fromHex(v.initialMessage)),
        {
          signedPreKey: {
            id: b.signedPreKey.id,
            keyPair: x25519(b.signedPreKey.privateKey),
            createdAt: b.signedPreKey.createdAt,
            signature: fromHex(b.signedPreKey.signature),
          },
          oneTimePreKey: { id: b.oneTimePreKey.id, keyPair: x25519(b.oneTimePreKey.privateKey) },
          kemPreKey: {
            id: b.kemPreKey.id,
            keyPair: { publicKey: fromHex(b.kemPreKey.publicKey), secretKey: fromHex(b.kemPreKey.secretKey) },
            lastResort: b.kemPreKey.lastResort,
            createdAt: b.kemPreKey.createdAt,
            signature: fromHex(b.kemPreKey.signature),
          },
        },
      );
      expect(replay.remaining()).toBe(0);
      expect(text(accepted.plaintext)).toBe(v.plaintext);
      expect(toHex(accepted.plaintext)).toBe(v.bobPlaintext);
      expect(toHex(accepted.session.associatedData)).toBe(v.associatedData);
      expect(v.bobAssociatedData).toBe(v.associatedData);
      expect(toHex(accepted.session.baseKey)).toBe(v.baseKey);
      expect(accepted.consumed).toEqual({
        oneTimePreKeyId: v.consumed.oneTimePreKeyId,
        kemPreKeyId: v.consumed.kemPreKeyId,
        lastResortBaseKey: null,
      });
      // The state recorded then, and today's: the same, with the header digest (§8) added.
      expect(toHex(encodeSession(asRecorded(accepted).session))).toBe(v.bobState);
      const digest = pqxdhHeaderDigest(replay.env, decodeInitialMessage(fromHex(v.initialMessage)).header);
      const today = decodeSession(encodeSession(accepted.session));
      expect(today.headerDigest && toHex(today.headerDigest)).toBe(toHex(digest));
      expect(toHex(encodeSession(asRecorded({ session: today }).session))).toBe(v.bobState);
    });
  });

  describe('ratchet.json', () => {
    it('regenerates byte for byte from the seeds', () => {
      expect(buildRatchetVector(crypto)).toEqual(ratchetVector);
    });

    it('decrypts (and re-encrypts) every step from the recorded state bytes and draws', () => {
      const v = ratchetVector;
      expect(v.initialStates).toEqual({ alice: pqxdhVector.aliceState, bob: pqxdhVector.bobState });
      for (const step of v.steps) {
        const dec = replayEnv(crypto, step.receiverRandom);
        const got = decryptMessage(dec.env, decodeSession(fromHex(step.receiverStateBefore)), fromHex(step.message));
        expect(dec.remaining(), `step ${step.step}`).toBe(0);
        expect(text(got.plaintext), `step ${step.step}`).toBe(step.plaintext);
        expect(toHex(encodeSession(got.session)), `step ${step.step}`).toBe(step.receiverStateAfter);

        const enc = replayEnv(crypto, step.senderRandom);
        const sent = encryptMessage(enc.env, decodeSession(fromHex(step.senderStateBefore)), utf8(step.plaintext));
        expect(enc.remaining(), `step ${step.step}`).toBe(0);
        expect(toHex(sent.message), `step ${step.step}`).toBe(step.message);
        expect(toHex(encodeSession(sent.session)), `step ${step.step}`).toBe(step.senderStateAfter);
      }
    });

    it("chains each party's states from its initial state through every recorded operation", () => {
      const v = ratchetVector;
      for (const party of ['alice', 'bob'] as const) {
        const next = new Map<string, string>();
        for (const s of v.steps) {
          if (s.sender === party) next.set(s.senderStateBefore, s.senderStateAfter);
          if (s.receiver === party) next.set(s.receiverStateBefore, s.receiverStateAfter);
        }
        let state: string | undefined = v.initialStates[party];
        let count = 0;
        while (state !== undefined && next.has(state)) {
          state = next.get(state);
          count++;
        }
        expect(count, party).toBe(next.size);
      }
    });
  });

  describe('pq-ratchet.json (protocol v2)', () => {
    const v = pqVector;

    it('regenerates byte for byte from the seeds', () => {
      expect(buildPqRatchetVector(crypto)).toEqual(v);
    });

    it('sets up a version 2 session from the recorded bundle, keys and draws', () => {
      const bundle = decodeBundle(fromHex(v.setup.bob.bundle));
      expect(bundle.version).toBe(2);
      expect(v.setup.bob.bundle.slice(0, 4)).toBe('0201');
      const r = v.setup.alice.random;
      const replay = replayEnv(crypto, [...r.createSession, ...r.encrypt]);
      const session = createInitiatorSession(
        replay.env,
        identityFrom(v.setup.alice.identity),
        deviceId(v.setup.alice.deviceId),
        bundle,
      );
      const sent = encryptMessage(replay.env, session, utf8(v.setup.plaintext));
      expect(replay.remaining()).toBe(0);
      expect(toHex(sent.message)).toBe(v.setup.initialMessage);
      expect(v.setup.initialMessage.slice(0, 4)).toBe('0202');
      expect(toHex(encodeSession(sent.session))).toBe(v.setup.aliceState);

      const k = v.bobKeys;
      const x25519 = (priv: string) => ({
        privateKey: fromHex(priv),
        publicKey: crypto.x25519PublicKey(fromHex(priv)),
      });
      const bob = replayEnv(crypto, v.setup.bob.random.accept);
      const accepted = acceptInitialMessage(
        bob.env,
        identityFrom(k.identity),
        deviceId(v.setup.bob.deviceId),
        decodeInitialMessage(fromHex(v.setup.initialMessage)),
        {
          signedPreKey: {
            id: bundle.signedPreKey.id,
            keyPair: x25519(k.signedPreKey.privateKey),
            createdAt: k.signedPreKey.createdAt,
            signature: fromHex(k.signedPreKey.signature),
          },
          oneTimePreKey: { id: bundle.oneTimePreKey?.id ?? 0, keyPair: x25519(k.oneTimePreKey.privateKey) },
          kemPreKey: {
            id: bundle.kemPreKey.id,
            keyPair: { publicKey: fromHex(k.kemPreKey.publicKey), secretKey: fromHex(k.kemPreKey.secretKey) },
            lastResort: false,
            createdAt: k.kemPreKey.createdAt,
            signature: fromHex(k.kemPreKey.signature),
          },
        },
      );
      expect(bob.remaining()).toBe(0);
      expect(text(accepted.plaintext)).toBe(v.setup.plaintext);
      expect(toHex(encodeSession(asRecorded(accepted).session))).toBe(v.setup.bobState);
    });

    it('decrypts (and re-encrypts) every step from the recorded state bytes and draws', () => {
      checkSteps(crypto, v.steps);
    });

    it("chains each party's states, and the conversation completes KEM epoch 1 on both sides", () => {
      checkStateChains(v.initialStates, v.steps);
      const last = v.steps[v.steps.length - 1];
      expect(decodeSession(fromHex(last?.senderStateAfter ?? '')).ratchet.kem?.epoch).toBe(2);
      expect(decodeSession(fromHex(last?.receiverStateAfter ?? '')).ratchet.kem?.epoch).toBe(2);
    });
  });

  describe('safety-number.json', () => {
    it('regenerates byte for byte from the seeds', () => {
      expect(buildSafetyNumberVector(crypto)).toEqual(safetyVector);
    });

    it('computes the recorded digits and QR payloads from the recorded identities', () => {
      const v = safetyVector;
      expect(v.alice).toBe(pqxdhVector.alice.identity.encoded);
      expect(v.bob).toBe(bundleVector.identity.encoded);
      const alice = publicIdentityFrom(v.alice);
      const bob = publicIdentityFrom(v.bob);
      const fromAlice = safetyNumber(noRandom(), alice, bob);
      const fromBob = safetyNumber(noRandom(), bob, alice);
      expect(fromAlice.digits).toBe(v.digits);
      expect(fromBob.digits).toBe(v.digits);
      expect(fromAlice.display).toBe(v.display);
      expect(toHex(fromAlice.qrPayload)).toBe(v.aliceQrPayload);
      expect(toHex(fromBob.qrPayload)).toBe(v.bobQrPayload);
      expect(compareSafetyQr(fromAlice, fromHex(v.bobQrPayload))).toBe(true);
      expect(compareSafetyQr(fromBob, fromHex(v.aliceQrPayload))).toBe(true);
    });
  });
});
