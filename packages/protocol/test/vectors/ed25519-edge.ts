/**
 * Ed25519 edge cases (docs/protocol.md §1.1 and §1.4 note 2, RFC 8032 §5.1.7): ed25519-edge.json. Both backends
 * must give the same verdict on every signature, or a key owner can show browser clients
 * (noble, cofactored equation) a signature that Node clients and the server (OpenSSL,
 * cofactorless equation) refuse. Parley's rule: A and R must be canonical encodings of
 * torsion-free points (A also not the neutral point), S < L; then the two equations agree.
 *
 * Two groups of cases:
 * - `forged`: signatures made here, over any message, under a torsion-free key A and under a
 *   mixed-order key A + T8: small-order R, mixed-order R, non-canonical S, R and A, and the
 *   "cofactored-only-valid" ones. {@link forgeEdgeCases} makes them for any message, so other
 *   packages (the server's verifier) can run the same cases over their own signed bytes.
 * - `speccheck`: the ten vectors of Chalkias, Garillot and Nikolaenko, "Taming the many EdDSAs"
 *   (SSR 2020), Table 6, as published in github.com/novifinancial/ed25519-speccheck cases.json
 *   (cases 0–9; every one uses a small or mixed-order A, an S ≥ L or a non-canonical R).
 *
 * The arithmetic here (test code only) uses @noble/curves' point operations to build signatures
 * no honest signer makes; nothing of it is used by the protocol.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/index.ts';
import type { Hex } from './common.ts';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const B = Point.BASE;
/** A point of order 8 (the R of speccheck case 0). */
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

const mod = (x: bigint): bigint => ((x % L) + L) % L;
const le = (x: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};
const fromLe = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
/** RFC 8032 §5.1.7 step 2: k = SHA-512(R ‖ A ‖ M) mod L, over the bytes as sent. */
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => mod(fromLe(sha512(concatBytes(r, a, m))));

export interface EdgeCase {
  readonly name: string;
  /** The case of "Taming the many EdDSAs" Table 6 it reproduces or resembles, if any. */
  readonly taming: number | null;
  readonly publicKey: Hex;
  readonly message: Hex;
  readonly signature: Hex;
  /** Whether the cofactored equation [8]SB = [8]R + [8]kA holds (noble's check before §1.3). */
  readonly cofactored: boolean;
  /** Whether the cofactorless equation SB = R + kA holds with R, A decoded as sent (OpenSSL's). */
  readonly cofactorless: boolean;
  /** Parley's verdict, on both backends. */
  readonly valid: boolean;
}

function equations(a: Uint8Array, m: Uint8Array, sig: Uint8Array): { cofactored: boolean; cofactorless: boolean } {
  try {
    // Lenient decoding (zip215: true) so non-canonical encodings can be evaluated at all.
    const A = Point.fromBytes(a, true);
    const R = Point.fromBytes(sig.subarray(0, 32), true);
    const s = fromLe(sig.subarray(32));
    if (s >= L) return { cofactored: false, cofactorless: false };
    const k = challenge(sig.subarray(0, 32), a, m);
    const diff = B.multiplyUnsafe(s).subtract(R).subtract(A.multiplyUnsafe(k));
    return { cofactored: diff.clearCofactor().is0(), cofactorless: diff.is0() };
  } catch {
    return { cofactored: false, cofactorless: false };
  }
}

function edgeCase(name: string, taming: number | null, a: Uint8Array, m: Uint8Array, sig: Uint8Array, valid: boolean) {
  return {
    name,
    taming,
    publicKey: toHex(a),
    message: toHex(m),
    signature: toHex(sig),
    ...equations(a, m, sig),
    valid,
  };
}

/** Finds a nonce r whose mixed-order-key signature has k ≡ 0 (mod 8) or not, as asked. */
function withChallenge(aBytes: Uint8Array, m: Uint8Array, divisibleBy8: boolean, seed: number): bigint {
  for (let i = seed; ; i++) {
    const r = mod(fromLe(sha512(utf8(`parley/ed25519-edge/nonce/${i}`))));
    const k = challenge(B.multiply(r).toBytes(), aBytes, m);
    if ((k % 8n === 0n) === divisibleBy8) return r;
  }
}

/**
 * The forged cases over `message`, under the key made from `seed` (32 bytes). Every case but the
 * honest signature must be refused by both backends.
 */
export function forgeEdgeCases(seed: Uint8Array, message: Uint8Array): EdgeCase[] {
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(seed);
  const r = mod(fromLe(sha512(concatBytes(utf8('parley/ed25519-edge/r'), message))));
  const sign = (R: Uint8Array, rr: bigint, key: Uint8Array = A): Uint8Array =>
    concatBytes(R, le(mod(rr + challenge(R, key, message) * a)));
  const honest = ed25519.sign(message, seed);
  const S = fromLe(honest.subarray(32));

  const smallR = T8.toBytes();
  const mixedR = B.multiply(r).add(T8).toBytes();
  const identityNonCanonical = fromHex(`ee${'ff'.repeat(30)}7f`); // y = p + 1, the neutral point
  const xZeroSignSet = fromHex(`01${'00'.repeat(30)}80`); // y = 1, x = 0 with the sign bit set
  const mixedA = Point.fromBytes(A).add(T8).toBytes();
  const rMixedAkOdd = withChallenge(mixedA, message, false, 0);
  const rMixedAk8 = withChallenge(mixedA, message, true, 0);

  return [
    edgeCase('an honest signature (RFC 8032 §5.1.6)', null, A, message, honest, true),
    edgeCase('small-order R (order 8), S = k·a: cofactored-only-valid', 1, A, message, sign(smallR, 0n), false),
    edgeCase('mixed-order R = rB + T8, S = r + k·a: cofactored-only-valid', 4, A, message, sign(mixedR, r), false),
    edgeCase(
      'non-canonical S = S + L of an honest signature',
      6,
      A,
      message,
      concatBytes(honest.subarray(0, 32), le(S + L)),
      false,
    ),
    edgeCase(
      'non-canonical S = S + 8L (S ≥ 2^253)',
      7,
      A,
      message,
      concatBytes(honest.subarray(0, 32), le(S + 8n * L)),
      false,
    ),
    edgeCase(
      'non-canonical R: the neutral point as y = p + 1, S = k·a',
      9,
      A,
      message,
      sign(identityNonCanonical, 0n),
      false,
    ),
    edgeCase('non-canonical R: x = 0 with the sign bit set, S = k·a', null, A, message, sign(xZeroSignSet, 0n), false),
    edgeCase(
      'mixed-order A = aB + T8, R = rB, k ≢ 0 mod 8: cofactored-only-valid',
      null,
      mixedA,
      message,
      sign(B.multiply(rMixedAkOdd).toBytes(), rMixedAkOdd, mixedA),
      false,
    ),
    edgeCase(
      'mixed-order A = aB + T8, R = rB, k ≡ 0 mod 8: valid under both equations, refused for A',
      3,
      mixedA,
      message,
      sign(B.multiply(rMixedAk8).toBytes(), rMixedAk8, mixedA),
      false,
    ),
    edgeCase(
      'small-order A (the neutral point), R = neutral, S = 0',
      0,
      Point.ZERO.toBytes(),
      message,
      concatBytes(Point.ZERO.toBytes(), new Uint8Array(32)),
      false,
    ),
    edgeCase(
      'small-order A (order 8), small-order R, S = 0',
      0,
      T8.toBytes(),
      message,
      (() => {
        // Try R ∈ {j·T8} for one with R = −k·A (both equations hold); else the neutral point.
        for (let j = 0n; j < 8n; j++) {
          const R = j === 0n ? Point.ZERO : T8.multiplyUnsafe(j);
          const k = challenge(R.toBytes(), T8.toBytes(), message);
          if (R.add(T8.multiplyUnsafe(mod(k))).is0()) return concatBytes(R.toBytes(), new Uint8Array(32));
        }
        return concatBytes(Point.ZERO.toBytes(), new Uint8Array(32));
      })(),
      false,
    ),
    edgeCase(
      'non-canonical A: the neutral point as y = p + 1',
      null,
      identityNonCanonical,
      message,
      concatBytes(Point.ZERO.toBytes(), new Uint8Array(32)),
      false,
    ),
  ];
}

/** "Taming the many EdDSAs" Table 6 / ed25519-speccheck cases.json, cases 0–9. */
const SPECCHECK: readonly { readonly message: Hex; readonly pub_key: Hex; readonly signature: Hex }[] = [
  {
    message: '8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6',
    pub_key: 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    signature:
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000',
  },
  {
    message: '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
    pub_key: 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    signature:
      'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
  },
  {
    message: 'aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab',
    pub_key: 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    signature:
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e',
  },
  {
    message: '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
    pub_key: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    signature:
      '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009',
  },
  {
    message: 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
    pub_key: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    signature:
      '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09',
  },
  {
    message: 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
    pub_key: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    signature:
      '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405',
  },
  {
    message: '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40',
    pub_key: '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623',
    signature:
      'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514',
  },
  {
    message: '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40',
    pub_key: '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623',
    signature:
      '8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22',
  },
  {
    message: 'fdaebc429f4a735932a160da1301080c13280eea8bc280d1b392c6b9e6ba3a5a',
    pub_key: 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    signature:
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f454d370c8d9fc323a41450f8d513eafeb5b0697390c1e505a0d4ddc71f566607',
  },
  {
    message: '84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1',
    pub_key: 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    signature:
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09',
  },
];

export const EDGE_SEED = 'parley/vectors/ed25519-edge';
/**
 * The forged cases sign a delivery (docs/protocol-identities.md §3.6: "Parley deliver v1" ‖
 * mailbox id (16) ‖ envelope), mailbox id 16 × 0x11, so the server's verifier can take them as
 * they are (packages/server/test/ed25519-edge.test.ts).
 */
export const EDGE_DELIVERY = concatBytes(
  utf8('Parley deliver v1'),
  new Uint8Array(16).fill(0x11),
  utf8('Parley Ed25519 edge cases'),
);

export interface EdgeVector {
  readonly description: string;
  readonly sections: string;
  readonly rule: string;
  readonly forged: readonly EdgeCase[];
  readonly speccheck: readonly EdgeCase[];
}

export function buildEd25519EdgeVector(): EdgeVector {
  const seed = sha512(utf8(EDGE_SEED)).slice(0, 32);
  return {
    description:
      'Ed25519 signatures on which a cofactored and a cofactorless verifier disagree, or which only a lenient ' +
      'decoder accepts. `cofactored` and `cofactorless` say which RFC 8032 §5.1.7 equation holds; `valid` is ' +
      "Parley's verdict, the same on both backends. forged: made by test/vectors/ed25519-edge.ts over one " +
      'message (a delivery: "Parley deliver v1" ‖ mailbox id 16 × 0x11 ‖ envelope) under the key whose seed is ' +
      'SHA-512(seed)[0:32]; speccheck: "Taming the many EdDSAs" (Chalkias, ' +
      'Garillot, Nikolaenko 2020) cases 0–9 from github.com/novifinancial/ed25519-speccheck.',
    sections: 'docs/protocol.md §1.1, §1.4 note 2',
    rule: 'A and R canonical and torsion-free, A not the neutral point, S < L; then SB = R + kA',
    forged: forgeEdgeCases(seed, EDGE_DELIVERY),
    speccheck: SPECCHECK.map((c, i) =>
      edgeCase(`speccheck case ${i}`, i, fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature), false),
    ),
  };
}
