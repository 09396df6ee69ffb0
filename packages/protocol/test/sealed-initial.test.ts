/**
 * Sealed initial messages (docs/protocol-ratchet.md §6.5): the initiator's identity and device id
 * travel encrypted under K_seal, derived from DH(EK_A, IK_B), DH(EK_A, SPK_B) and the KEM secret,
 * so the server storing the message cannot tell who wrote it; every field stays bound, in the
 * first message by the seal and PQXDH, in repeats by the session's header digest.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  createInitiatorSession,
  decodeAnyInitialMessage,
  decodeInitialMessage,
  decodeSealedInitialMessage,
  decodeSession,
  decryptMessage,
  encodeIdentity,
  encodeSealedInitialMessage,
  encodeSession,
  encryptMessage,
  publicIdentity,
  SEALED_SENDER_BYTES,
  type SealedInitialMessage,
  type SessionVersion,
  toHex,
  utf8,
  WireType,
} from '../src/index.ts';
import type { ResponderKeys } from '../src/session.ts';
import { backends, bundleOf, codeOf, type Device, makeDevice, testEnv } from './kit.ts';

const keysOf = (d: Device): ResponderKeys => ({
  signedPreKey: d.signedPreKey,
  oneTimePreKey: d.oneTimePreKeys[0] ?? null,
  kemPreKey: d.kemPreKey,
});

/** Whether `needle` occurs anywhere in `hay`. */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const flip = (b: Uint8Array, i: number): Uint8Array => {
  const out = b.slice();
  out[i] = (out[i] as number) ^ 0x01;
  return out;
};

describe.each(backends.map((b) => [b.name, b] as const))('sealed initial messages (%s backend)', (_n, crypto) => {
  describe.each([1, 2] as SessionVersion[])('version %i', (version) => {
    const envA = testEnv(`sealed-a-${version}`, crypto);
    const envB = testEnv(`sealed-b-${version}`, crypto);
    const aliceDev = makeDevice(envA, 0x0a0b0c0d);
    const bobDev = makeDevice(envB, 5);
    const bundle = bundleOf(bobDev, { version });
    const start = () =>
      createInitiatorSession(envA, aliceDev.identity, aliceDev.device, bundle, undefined, { sealed: true });

    it('names no sender: neither identity key, the certificate nor the device id is in the bytes', () => {
      const sent = encryptMessage(envA, start(), utf8('hello'));
      expect(sent.message[0]).toBe(version);
      expect(sent.message[1]).toBe(WireType.sealedInitialMessage);
      const alice = publicIdentity(aliceDev.identity);
      for (const part of [alice.signingKey, alice.agreementKey, alice.certificate, encodeIdentity(alice)])
        expect(contains(sent.message, part)).toBe(false);
      expect(contains(sent.message, Uint8Array.of(0x0a, 0x0b, 0x0c, 0x0d))).toBe(false);
      // The wire cost of the seal: its GCM tag, 16 bytes over the plain message of §6.1.
      const plain = encryptMessage(
        envA,
        createInitiatorSession(envA, aliceDev.identity, aliceDev.device, bundle),
        utf8('hello'),
      );
      expect(sent.message.length - plain.message.length).toBe(16);
      expect(SEALED_SENDER_BYTES).toBe(148);
    });

    it('lets the responder learn the sender from the seal, and continues with sealed repeats', () => {
      let alice = start();
      const first = encryptMessage(envA, alice, utf8('one'));
      alice = first.session;
      const m = decodeAnyInitialMessage(first.message);
      expect(m.sealed).toBe(true);
      const accepted = acceptInitialMessage(envB, bobDev.identity, bobDev.device, m, keysOf(bobDev));
      expect(accepted.plaintext).toEqual(utf8('one'));
      expect(toHex(encodeIdentity(accepted.session.remoteIdentity))).toBe(
        toHex(encodeIdentity(publicIdentity(aliceDev.identity))),
      );
      expect(accepted.session.remoteDevice).toBe(aliceDev.device);
      let bob = accepted.session;
      // The initiator's pending sealed header survives saving; its repeats carry the same header.
      alice = decodeSession(encodeSession(alice));
      const second = encryptMessage(envA, alice, utf8('two'));
      const headerEnd = first.message.length - decodeSealedInitialMessage(first.message).ratchetMessage.length;
      expect(toHex(second.message.subarray(0, headerEnd))).toBe(toHex(first.message.subarray(0, headerEnd)));
      bob = decodeSession(encodeSession(bob));
      const d = decryptMessage(envB, bob, second.message);
      expect(d.plaintext).toEqual(utf8('two'));
      // The reply ends the repeats.
      const reply = encryptMessage(envB, d.session, utf8('back'));
      const back = decryptMessage(envA, second.session, reply.message);
      expect(back.session.pending).toBeNull();
      expect(encryptMessage(envA, back.session, utf8('three')).message[1]).toBe(WireType.ratchetMessage);
    });

    it('refuses a repeat with any byte of its header changed (wrong-session or decode), state unchanged', () => {
      let alice = start();
      const first = encryptMessage(envA, alice, utf8('one'));
      alice = first.session;
      const bob = acceptInitialMessage(
        envB,
        bobDev.identity,
        bobDev.device,
        decodeAnyInitialMessage(first.message),
        keysOf(bobDev),
      ).session;
      const second = encryptMessage(envA, alice, utf8('two')).message;
      const headerEnd = second.length - decodeSealedInitialMessage(second).ratchetMessage.length;
      const before = toHex(encodeSession(bob));
      // Every byte after the frame: EK_A, ids, the OPK flag, CT and the sealed sender.
      for (let i = 2; i < headerEnd; i += i < 50 || i > headerEnd - 160 ? 1 : 37) {
        const code = codeOf(() => decryptMessage(envB, bob, flip(second, i)));
        expect(['wrong-session', 'decode']).toContain(code);
      }
      // The plain form of the same PQXDH run is not this session's header either.
      expect(toHex(encodeSession(bob))).toBe(before);
      expect(decryptMessage(envB, bob, second).plaintext).toEqual(utf8('two'));
    });

    it('refuses a first message whose sealed sender, clear fields or KEM ciphertext were changed', () => {
      const first = encryptMessage(envA, start(), utf8('one')).message;
      const m = decodeSealedInitialMessage(first);
      const accept = (x: SealedInitialMessage) =>
        codeOf(() => acceptInitialMessage(envB, bobDev.identity, bobDev.device, x, keysOf(bobDev)));
      const h = m.header;
      for (let i = 0; i < SEALED_SENDER_BYTES; i += 7)
        expect(accept({ ...m, header: { ...h, sealedSender: flip(h.sealedSender, i) } })).toBe('decrypt-failed');
      expect(accept({ ...m, header: { ...h, kemCiphertext: flip(h.kemCiphertext, 100) } })).toBe('decrypt-failed');
      expect(accept({ ...m, header: { ...h, baseKey: flip(h.baseKey, 3) } })).toBe('decrypt-failed');
      // A prekey id the keys do not match is a caller error; re-encoded and decoded it is still refused.
      expect(accept({ ...m, header: { ...h, signedPreKeyId: h.signedPreKeyId + 1 } })).toBe('usage');
      const reencoded = decodeSealedInitialMessage(encodeSealedInitialMessage(m));
      expect(acceptInitialMessage(envB, bobDev.identity, bobDev.device, reencoded, keysOf(bobDev)).plaintext).toEqual(
        utf8('one'),
      );
    });

    it('checks the sealed sender against a pinned identity', () => {
      const first = encryptMessage(envA, start(), utf8('one')).message;
      const carol = publicIdentity(makeDevice(testEnv('sealed-carol', crypto)).identity);
      expect(
        codeOf(() =>
          acceptInitialMessage(envB, bobDev.identity, bobDev.device, decodeAnyInitialMessage(first), keysOf(bobDev), {
            knownIdentity: carol,
          }),
        ),
      ).toBe('identity-mismatch');
    });

    it('is not decoded as a plain initial message, and a plain one is still decoded by decodeAnyInitialMessage', () => {
      const sealed = encryptMessage(envA, start(), utf8('one')).message;
      expect(codeOf(() => decodeInitialMessage(sealed))).toBe('decode');
      const plain = encryptMessage(
        envA,
        createInitiatorSession(envA, aliceDev.identity, aliceDev.device, bundle),
        utf8('one'),
      ).message;
      expect(decodeAnyInitialMessage(plain).sealed).not.toBe(true);
    });
  });
});
