/**
 * sealed-initial.json (docs/protocol-ratchet.md §6.5) on both backends: the file regenerates byte
 * for byte, and from its recorded keys and draws alone Bob recomputes K_seal, opens the sealed
 * sender, accepts the first message into the recorded state and decrypts the repeat.
 */
import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  concatBytes,
  decodeSealedInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeIdentity,
  encodeSession,
  fromHex,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { identityFrom, loadVector, publicIdentityFrom, replayEnv } from './vectors/common.ts';
import { keysFrom } from './vectors/pqxdh-variants.ts';
import { buildSealedVector, type SealedVector } from './vectors/sealed-initial.ts';

const v = loadVector<SealedVector>('sealed-initial.json');

describe.each(backends.map((b) => [b.name, b] as const))('sealed-initial.json (%s backend)', (_n, crypto) => {
  it('regenerates byte for byte from the seeds', () => {
    expect(buildSealedVector(crypto)).toEqual(v);
  });

  it.each(v.runs.map((r) => [r.version, r] as const))(
    'version %i: K_seal, the sender, and Bob from the recorded draws',
    (_version, run) => {
      const first = fromHex(run.messages[0] as string);
      const m = decodeSealedInitialMessage(first);
      expect(toHex(first.subarray(0, run.clearHeader.length / 2))).toBe(run.clearHeader);
      const keys = keysFrom(crypto, run.bob);
      const bobId = identityFrom(run.bob.identity);
      const dh2 = crypto.x25519(bobId.agreement.privateKey, m.header.baseKey);
      const dh3 = crypto.x25519(keys.signedPreKey.keyPair.privateKey, m.header.baseKey);
      const ss = crypto.mlKemDecapsulate(m.header.kemCiphertext, keys.kemPreKey.keyPair.secretKey);
      expect([toHex(dh2), toHex(dh3), toHex(ss)]).toEqual([run.dh2, run.dh3, run.kemSharedSecret]);
      const sealKey = crypto.hkdfSha256(
        concatBytes(new Uint8Array(32).fill(0xff), dh2, dh3, ss),
        new Uint8Array(32),
        utf8(v.sealInfo),
        32,
      );
      expect(toHex(sealKey)).toBe(run.sealKey);
      const sender = crypto.aesGcmOpen(sealKey, new Uint8Array(12), m.header.sealedSender, fromHex(run.clearHeader));
      expect(sender && toHex(sender)).toBe(run.sender);
      const alice = publicIdentityFrom(run.alice.identity.encoded);
      expect(run.sender).toBe(toHex(concatBytes(encodeIdentity(alice), Uint8Array.of(0, 0, 0, run.alice.deviceId))));

      const replay = replayEnv(crypto, run.bobRandom.accept);
      const accepted = acceptInitialMessage(replay.env, bobId, deviceId(run.bob.deviceId), m, keys);
      expect(replay.remaining()).toBe(0);
      expect(accepted.plaintext).toEqual(utf8(run.plaintexts[0] as string));
      expect(toHex(encodeSession(accepted.session))).toBe(run.bobStates[0]);
      const again = replayEnv(crypto, run.bobRandom.repeat);
      const repeat = decryptMessage(
        again.env,
        decodeSession(fromHex(run.bobStates[0] as string)),
        fromHex(run.messages[1] as string),
      );
      expect(repeat.plaintext).toEqual(utf8(run.plaintexts[1] as string));
      expect(toHex(encodeSession(repeat.session))).toBe(run.bobStates[1]);
    },
  );
});
