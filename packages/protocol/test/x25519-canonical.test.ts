/**
 * X25519 public keys on the wire must be canonical (docs/protocol.md §2.3 rule 6): u < 2^255 − 19.
 * RFC 7748 §5 masks the top bit, so a key with that bit set is the same key under a second
 * encoding; decoders refuse it wherever a peer or the server hands us one.
 */
import { describe, expect, it } from 'vitest';
import { isCanonicalX25519, Reader } from '../src/codec.ts';
import {
  concatBytes,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  defaultEnv,
  encodeBundle,
  encodeInitialMessage,
  encryptMessage,
  publicIdentity,
  readIdentity,
  utf8,
} from '../src/index.ts';
import { bundleOf, codeOf, makeDevice, testEnv } from './kit.ts';

const le = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex').reverse()); // big-endian text → LE bytes
const P_MINUS_1 = le('7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffec');
const P = le('7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed');
const TOP = le('8000000000000000000000000000000000000000000000000000000000000009');

describe('canonical X25519 public keys', () => {
  it('are exactly the u-coordinates below p = 2^255 − 19', () => {
    expect(isCanonicalX25519(new Uint8Array(32))).toBe(true);
    expect(isCanonicalX25519(P_MINUS_1)).toBe(true);
    expect(isCanonicalX25519(P)).toBe(false);
    expect(isCanonicalX25519(le(`7f${'ff'.repeat(31)}`))).toBe(false); // 2^255 − 1
    expect(isCanonicalX25519(TOP)).toBe(false); // 9 with the top bit set
    const env = testEnv('x25519-canonical', defaultEnv.crypto);
    for (let i = 0; i < 200; i++) {
      expect(isCanonicalX25519(env.crypto.x25519PublicKey(env.random(32)))).toBe(true);
    }
  });

  it('an initial message whose base key is re-encoded with the top bit does not decode', () => {
    const env = testEnv('x25519-canonical-im', defaultEnv.crypto);
    const alice = makeDevice(env, 1);
    const bob = makeDevice(env, 2);
    const session = createInitiatorSession(env, alice.identity, alice.device, bundleOf(bob));
    const bytes = encryptMessage(env, session, utf8('first')).message;
    const header = decodeInitialMessage(bytes).header;
    const at = 2 + 128 + 4 + 31; // version, type, identity_A, device_A, then EK_A's last byte
    expect(bytes[at]).toBe(header.baseKey[31]);
    const reencoded = bytes.slice();
    reencoded[at] = (reencoded[at] as number) | 0x80;
    expect(codeOf(() => decodeInitialMessage(reencoded))).toBe('decode');
    expect(encodeInitialMessage(decodeInitialMessage(bytes))).toEqual(bytes);
  });

  it('bundles and identities with a non-canonical X25519 key do not decode', () => {
    const env = testEnv('x25519-canonical-bundle', defaultEnv.crypto);
    const bob = makeDevice(env, 2);
    const bundle = bundleOf(bob);
    const withTop = (k: Uint8Array) => {
      const out = k.slice();
      out[31] = (out[31] as number) | 0x80;
      return out;
    };
    const opk = bundle.oneTimePreKey;
    if (opk === null) throw new Error('the test bundle has a one-time prekey');
    const badOpk = { ...bundle, oneTimePreKey: { ...opk, publicKey: withTop(opk.publicKey) } };
    expect(codeOf(() => decodeBundle(encodeBundle(badOpk)))).toBe('decode');
    const badSpk = {
      ...bundle,
      signedPreKey: { ...bundle.signedPreKey, publicKey: withTop(bundle.signedPreKey.publicKey) },
    };
    expect(codeOf(() => decodeBundle(encodeBundle(badSpk)))).toBe('decode');
    const id = publicIdentity(bob.identity);
    const badId = concatBytes(id.signingKey, withTop(id.agreementKey), id.certificate);
    expect(codeOf(() => readIdentity(new Reader(badId, 'identity')))).toBe('decode');
    expect(decodeBundle(encodeBundle(bundle))).toEqual(bundle);
  });
});
