/**
 * A repeated initial message (docs/protocol-identities.md §6.1): until the responder answers, the
 * initiator attaches the same PQXDH fields to every message. Every field is bound: the responder
 * compares the whole header with the one its session was created from, so a copy whose prekey ids
 * or KEM ciphertext were altered in transit is refused (`wrong-session`) and the state is
 * unchanged, where before only the base key, the identity and the device were compared.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  encodeInitialMessage,
  encodeSession,
  encryptMessage,
  type InitialMessage,
  type PqxdhHeader,
  type SessionVersion,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, establish, makeDevice, testEnv } from './kit.ts';

type Alteration = readonly [string, (h: PqxdhHeader) => PqxdhHeader];

const flipFirst = (b: Uint8Array): Uint8Array => {
  const out = b.slice();
  out[0] = (out[0] as number) ^ 0x01;
  return out;
};

const ALTERATIONS: readonly Alteration[] = [
  ['the signed prekey id', (h) => ({ ...h, signedPreKeyId: h.signedPreKeyId + 1 })],
  ['the one-time prekey id', (h) => ({ ...h, oneTimePreKeyId: (h.oneTimePreKeyId ?? 0) + 1 })],
  ['the one-time prekey id, dropped', (h) => ({ ...h, oneTimePreKeyId: null })],
  ['the KEM prekey id', (h) => ({ ...h, kemPreKeyId: h.kemPreKeyId + 1 })],
  ['the first byte of the KEM ciphertext', (h) => ({ ...h, kemCiphertext: flipFirst(h.kemCiphertext) })],
  [
    'the last byte of the KEM ciphertext',
    (h) => {
      const ct = h.kemCiphertext.slice();
      ct[ct.length - 1] = (ct[ct.length - 1] as number) ^ 0x80;
      return { ...h, kemCiphertext: ct };
    },
  ],
];

describe.each(backends.map((b) => [b.name, b] as const))('repeated initial messages (%s backend)', (_n, crypto) => {
  describe.each([1, 2] as SessionVersion[])('version %i', (version) => {
    const envA = testEnv(`repeat-a-${version}`, crypto);
    const envB = testEnv(`repeat-b-${version}`, crypto);
    const aliceDev = makeDevice(envA, 3);
    const bobDev = makeDevice(envB, 5);

    it.each(ALTERATIONS)('refuses a repeat whose %s was altered, and keeps its state', (_what, alter) => {
      const { alice, bob } = establish(envA, envB, aliceDev, bobDev, false, version);
      const second = encryptMessage(envA, alice, utf8('second'));
      const original: InitialMessage = decodeInitialMessage(second.message);
      const altered = encodeInitialMessage({ ...original, header: alter(original.header) });
      const before = toHex(encodeSession(bob));
      expect(codeOf(() => decryptMessage(envB, bob, altered))).toBe('wrong-session');
      expect(toHex(encodeSession(bob))).toBe(before);
      // The digest survives saving and loading the state (session-codec.ts, flag bit 7).
      const loaded = decodeSession(encodeSession(bob));
      expect(codeOf(() => decryptMessage(envB, loaded, altered))).toBe('wrong-session');
      // The genuine repeat still decrypts.
      expect(decryptMessage(envB, loaded, second.message).plaintext).toEqual(utf8('second'));
    });

    it('accepts the genuine repeats, and a plain ratchet message after the reply', () => {
      const pair = establish(envA, envB, aliceDev, bobDev, false, version);
      let { alice, bob } = pair;
      for (const text of ['two', 'three']) {
        const m = encryptMessage(envA, alice, utf8(text));
        alice = m.session;
        const d = decryptMessage(envB, bob, m.message);
        bob = d.session;
        expect(d.plaintext).toEqual(utf8(text));
      }
    });
  });
});
