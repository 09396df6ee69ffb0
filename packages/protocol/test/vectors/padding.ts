/**
 * Known-answer vector for padding at and above bucket boundaries (docs/protocol.md §6.4 for
 * version 1, §13.3 for version 2, whose body reserves a KEM section): padding.json. For each
 * version Bob sends one message per plaintext length from the same session; each case records the
 * bucket, the wire length, the KEM section size (version 2) and, up to 8 KiB buckets, the message.
 * Written by generate.ts with the others; checked by vectors-padding.test.ts on both backends.
 */
import {
  acceptInitialMessage,
  type CryptoBackend,
  createInitiatorSession,
  decodeInitialMessage,
  decryptMessage,
  deviceId,
  encodeSession,
  encryptMessage,
  generateIdentity,
  ProtocolError,
  type SessionVersion,
  toHex,
  utf8,
} from '../../src/index.ts';
import { asRecorded, CLOCK_START, type Hex, RNG_DESCRIPTION, recorder } from './common.ts';
import { bundleOf, makeResponder, responderKeys } from './pqxdh-variants.ts';

export const PADDING_SEEDS = { alice: 'parley/vectors/padding/alice', bob: 'parley/vectors/padding/bob' } as const;

/** Lengths around each boundary: the last that fits a bucket, the first that does not. */
const LENGTHS: Record<SessionVersion, readonly number[]> = {
  // bucket(L + 1): 64 holds L ≤ 63, 128 holds L ≤ 127, …; 61439 is the largest plaintext.
  1: [0, 63, 64, 127, 128, 4095, 4096, 8191, 8192, 61439, 61440],
  // bucket(L + 24): 64 holds L ≤ 40, …; from L = 61417 the section is under 22 bytes, from 61433
  // it is 6 bytes or fewer (all zero); 61438 is the largest plaintext.
  2: [0, 40, 41, 64, 104, 105, 4072, 4073, 8168, 8169, 61416, 61417, 61432, 61433, 61438, 61439],
};
/** Messages up to this length are recorded whole. */
const RECORD_UP_TO = 8192 + 86;

export interface PaddingCase {
  readonly plaintextLength: number;
  /** Version 1: the padded length P; version 2: the body length B. Null when refused. */
  readonly bucket: number | null;
  /** Version 2: S = B − 2 − L, the KEM section. */
  readonly sectionLength?: number | null;
  readonly messageLength: number | null;
  readonly random: Hex[];
  /** The ratchet message, when at most 8278 bytes. */
  readonly message: Hex | null;
  /**
   * Bob's state after the case (null when refused: unchanged). In version 2 its KEM cursor shows
   * how many key bytes the section carried, also for the messages not recorded whole.
   */
  readonly bobState: Hex | null;
  readonly error: string | null;
}

export interface PaddingRun {
  readonly version: SessionVersion;
  readonly rule: string;
  /** Bob's state before the first case; each case continues from the previous one's state. */
  readonly bobState: Hex;
  readonly cases: readonly PaddingCase[];
}

export interface PaddingVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly plaintext: string;
  readonly runs: readonly PaddingRun[];
}

function run(crypto: CryptoBackend, version: SessionVersion): PaddingRun {
  const a = recorder(PADDING_SEEDS.alice, crypto);
  const b = recorder(PADDING_SEEDS.bob, crypto);
  const bobKeys = makeResponder(b, PADDING_SEEDS.bob, 200, false);
  const aliceId = generateIdentity(a.env);
  let alice = createInitiatorSession(a.env, aliceId, deviceId(1), bundleOf(bobKeys, version));
  const first = encryptMessage(a.env, alice, utf8('hello bob'));
  alice = first.session;
  let bob = asRecorded(
    acceptInitialMessage(
      b.env,
      bobKeys.identity,
      deviceId(2),
      decodeInitialMessage(first.message),
      responderKeys(bobKeys),
    ),
  ).session;
  b.take();
  const bobState = toHex(encodeSession(bob));
  const cases = LENGTHS[version].map((length): PaddingCase => {
    const plaintext = new Uint8Array(length).fill(0x70); // "p"
    try {
      const r = encryptMessage(b.env, bob, plaintext);
      bob = r.session;
      const got = decryptMessage(a.env, alice, r.message);
      alice = got.session;
      if (got.plaintext.length !== length) throw new Error('padding vector: wrong plaintext length');
      const overhead = version === 1 ? 86 : 74;
      const bucket = r.message.length - overhead;
      return {
        plaintextLength: length,
        bucket,
        ...(version === 2 ? { sectionLength: bucket - 2 - length } : {}),
        messageLength: r.message.length,
        random: b.take(),
        message: r.message.length <= RECORD_UP_TO ? toHex(r.message) : null,
        bobState: toHex(encodeSession(bob)),
        error: null,
      };
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      if (b.take().length !== 0) throw new Error('a refused plaintext drew randomness');
      return {
        plaintextLength: length,
        bucket: null,
        ...(version === 2 ? { sectionLength: null } : {}),
        messageLength: null,
        random: [],
        message: null,
        bobState: null,
        error: e.code,
      };
    }
  });
  return {
    version,
    rule:
      version === 1
        ? 'P = bucket(L + 1); padded = plaintext ‖ 0x80 ‖ 0x00 × (P − L − 1); wire length 86 + P (§6.4, §6.2)'
        : 'B = bucket(L + 24) if L + 24 ≤ 61440, else 61440; body = u16 L ‖ plaintext ‖ KEM section (S = B − 2 − L); wire length 74 + B (§13.3)',
    bobState,
    cases,
  };
}

export function buildPaddingVector(crypto: CryptoBackend): PaddingVector {
  return {
    description:
      'Padding at and above the bucket boundaries, for version 1 (§6.4) and version 2 (§13.3: the body ' +
      'reserves u16 L and a KEM section of at least 22 bytes, so its boundaries sit 23 bytes lower). For ' +
      'each version, fresh environments: Bob publishes a bundle without a one-time prekey ' +
      '(generateIdentity, generateSignedPreKey(…, 1), generateKemPreKey(…, 200, false)), Alice starts a ' +
      'session and sends "hello bob", Bob accepts it (bobState). Then Bob encrypts, in order, one plaintext ' +
      'per case: L bytes of 0x70 ("p"). A refused plaintext (too large: `usage`) draws nothing and changes ' +
      'nothing. In version 2 Bob is the keyholder of KEM epoch 1, so his first message with a section of ' +
      'more than 6 bytes draws 64 bytes (KeyGen) and every such section carries a chunk of his key; a ' +
      `section of 6 bytes or fewer is all zero. ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §6.2, §6.4, §13.3, §13.7',
    seeds: { ...PADDING_SEEDS },
    clockStart: CLOCK_START,
    plaintext: 'L bytes, each 0x70',
    runs: [run(crypto, 1), run(crypto, 2)],
  };
}
