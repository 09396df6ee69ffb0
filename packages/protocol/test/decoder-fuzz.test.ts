/**
 * Fuzzing every decoder that sees bytes from a peer, the server or storage: random bytes, random
 * bytes behind a valid frame, and mutations of valid encodings (truncation at every length,
 * appended bytes, changed bytes, wrong version and type bytes). Each call must either return
 * (where a mutated encoding is still well formed) or throw a ProtocolError — never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptInitialMessage,
  compareSafetyQr,
  concatBytes,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  defaultEnv,
  encodeBundle,
  encodeInitialMessage,
  encodeSession,
  encryptMessage,
  ProtocolError,
  type ProtocolErrorCode,
  publicIdentity,
  RATCHET_OVERHEAD,
  type Session,
  safetyNumber,
  toHex,
  utf8,
  WIRE_VERSION,
  WireType,
} from '../src/index.ts';
import { isBucket } from '../src/padding.ts';
import { bundleOf, establish, makeDevice, testEnv } from './kit.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: ProtocolErrorCode };

/** Runs `fn`: a return or a ProtocolError is an outcome, any other exception fails the test. */
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof ProtocolError) return { ok: false, code: e.code };
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
}

function codeOf(fn: () => unknown): ProtocolErrorCode | 'returned' {
  const o = outcome(fn);
  return o.ok ? 'returned' : o.code;
}

/**
 * What decryptMessage must report for a ratchet message of `length` bytes whose frame is right
 * but whose content is not authentic: framing rules first ('decode'), then the AEAD.
 */
function ratchetCode(length: number): ProtocolErrorCode {
  return length >= RATCHET_OVERHEAD && isBucket(length - RATCHET_OVERHEAD) ? 'decrypt-failed' : 'decode';
}

function mutate(bytes: Uint8Array, edits: ReadonlyArray<readonly [number, number]>): Uint8Array {
  const out = bytes.slice();
  for (const [pos, x] of edits) out[pos % out.length] = (out[pos % out.length] as number) ^ x;
  return out;
}

function changedPositions(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}

/** Maps `pick` onto one position of the byte ranges [from, to). */
function pickIn(ranges: ReadonlyArray<readonly [number, number]>, pick: number): number {
  const total = ranges.reduce((n, [a, b]) => n + (b - a), 0);
  let k = pick % total;
  for (const [a, b] of ranges) {
    if (k < b - a) return a + k;
    k -= b - a;
  }
  throw new Error('unreachable');
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

const inRanges = (ranges: ReadonlyArray<readonly [number, number]>, i: number): boolean =>
  ranges.some(([a, b]) => i >= a && i < b);

const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });

// ---------------------------------------------------------------------------------------------
// Valid encodings to mutate (on this project's default backend)

const crypto = defaultEnv.crypto;
const heavy = crypto.name === 'node';
const RUNS = heavy ? 400 : 100;
const TIMEOUT = 120_000;

const envA = testEnv('fuzz-a', crypto);
const envB = testEnv('fuzz-b', crypto);
const aliceDev = makeDevice(envA, 1);
const bobDev = makeDevice(envB, 2);
const bobKeys = {
  signedPreKey: bobDev.signedPreKey,
  oneTimePreKey: bobDev.oneTimePreKeys[0] ?? null,
  kemPreKey: bobDev.kemPreKey,
};

// This file fuzzes the version 1 encodings (decoder-fuzz-v2.test.ts covers what version 2 adds).
const V1 = { version: 1 } as const;
const bundleWithOtk = encodeBundle(bundleOf(bobDev, V1));
const bundleWithoutOtk = encodeBundle(bundleOf(bobDev, { oneTime: false, ...V1 }));

/** Bundle layout (bundle.ts): fields that no signature covers: the device id and the one-time prekey. */
const IDENTITY_END = 2 + 128;
const BUNDLE_UNSIGNED_WITH_OTK = [
  [IDENTITY_END, IDENTITY_END + 4],
  [242, 279],
] as const;
const BUNDLE_UNSIGNED_WITHOUT_OTK = [
  [IDENTITY_END, IDENTITY_END + 4],
  [242, 243],
] as const;

// Alice before any reply: her messages are initial messages; Bob accepted the first one.
const early = establish(testEnv('fuzz-early-a', crypto), testEnv('fuzz-early-b', crypto), aliceDev, bobDev, false, 1);
const earlyEnvA = testEnv('fuzz-early-a2', crypto);
const earlyEnvB = testEnv('fuzz-early-b2', crypto);
const initialMessage = encryptMessage(earlyEnvA, early.alice, utf8('second initial')).message;
const freshInitialMessage = encryptMessage(
  earlyEnvA,
  createInitiatorSession(earlyEnvA, aliceDev.identity, aliceDev.device, bundleOf(bobDev, V1)),
  utf8('first'),
).message;

// An established pair with skipped keys on Bob's side.
let { alice, bob } = establish(envA, envB, aliceDev, bobDev, true, 1);
const burst: Uint8Array[] = [];
for (let i = 0; i < 3; i++) {
  const m = encryptMessage(envA, alice, utf8(`m${i}`));
  alice = m.session;
  burst.push(m.message);
}
bob = decryptMessage(envB, bob, burst[2] as Uint8Array).session; // keys 0 and 1 skipped
const ratchetMessage = encryptMessage(envA, alice, utf8('x'.repeat(100))).message; // 128-byte bucket
const bobState = encodeSession(bob);
const aliceState = encodeSession(alice);
const pendingState = encodeSession(early.alice);

const sn = safetyNumber(envA, publicIdentity(aliceDev.identity), publicIdentity(bobDev.identity));
const snOther = safetyNumber(envB, publicIdentity(bobDev.identity), publicIdentity(aliceDev.identity));
const qr = sn.qrPayload;

interface Target {
  readonly name: string;
  readonly type: number;
  readonly samples: readonly Uint8Array[];
  readonly run: (bytes: Uint8Array) => unknown;
}

const targets: readonly Target[] = [
  { name: 'decodeBundle', type: WireType.bundle, samples: [bundleWithOtk, bundleWithoutOtk], run: decodeBundle },
  { name: 'decodeInitialMessage', type: WireType.initialMessage, samples: [initialMessage], run: decodeInitialMessage },
  {
    name: 'decodeSession',
    type: WireType.sessionState,
    samples: [bobState, aliceState, pendingState],
    run: decodeSession,
  },
  {
    name: 'decryptMessage',
    type: WireType.ratchetMessage,
    samples: [ratchetMessage, burst[0] as Uint8Array],
    run: (b) => decryptMessage(envB, bob, b),
  },
  { name: 'compareSafetyQr', type: WireType.safetyNumberQr, samples: [qr], run: (b) => compareSafetyQr(snOther, b) },
];

describe(`decoder fuzzing (${crypto.name} backend)`, () => {
  it('the valid samples decode (sanity check of the fixtures)', () => {
    expect(decodeBundle(bundleWithOtk).oneTimePreKey).not.toBeNull();
    expect(decodeBundle(bundleWithoutOtk).oneTimePreKey).toBeNull();
    expect(toHex(encodeInitialMessage(decodeInitialMessage(initialMessage)))).toBe(toHex(initialMessage));
    for (const s of [bobState, aliceState, pendingState]) expect(toHex(encodeSession(decodeSession(s)))).toBe(toHex(s));
    expect(decodeSession(bobState).ratchet.skipped[0]?.keys.size).toBe(2);
    expect(decodeSession(pendingState).pending).not.toBeNull();
    expect(decryptMessage(envB, bob, ratchetMessage).plaintext).toEqual(utf8('x'.repeat(100)));
    expect(decryptMessage(envB, bob, burst[0] as Uint8Array).plaintext).toEqual(utf8('m0'));
    expect(decryptMessage(earlyEnvB, early.bob, initialMessage).plaintext).toEqual(utf8('second initial'));
    expect(compareSafetyQr(snOther, qr)).toBe(true);
  });

  describe.each(targets.map((t) => [t.name, t] as const))('%s', (_name, t) => {
    it('random bytes throw only ProtocolError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000, size: 'max' }), (bytes) => {
          outcome(() => t.run(bytes));
        }),
        { numRuns: RUNS },
      );
    });

    it('random bytes behind a valid frame (version, type) throw only ProtocolError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000, size: 'max' }), (body) => {
          outcome(() => t.run(concatBytes(Uint8Array.of(WIRE_VERSION, t.type), body)));
        }),
        { numRuns: RUNS },
      );
    });

    it('random bytes behind a valid prefix of a sample throw only ProtocolError', () => {
      fc.assert(
        fc.property(fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 2000, size: 'max' }), (which, cut, tail) => {
          const sample = t.samples[which % t.samples.length] as Uint8Array;
          outcome(() => t.run(concatBytes(sample.subarray(0, cut % (sample.length + 1)), tail)));
        }),
        { numRuns: RUNS },
      );
    });

    it('every wrong version byte throws unsupported-version', () => {
      for (const sample of t.samples) {
        for (let v = 0; v < 256; v++) {
          if (v === WIRE_VERSION) continue;
          // Version 2 is a valid version of these objects (docs/protocol-v2.md §13.1), with its own tests.
          if (v === 2 && t.type !== WireType.ratchetMessage && t.type !== WireType.safetyNumberQr) continue;
          const bad = sample.slice();
          bad[0] = v;
          expect(codeOf(() => t.run(bad))).toBe('unsupported-version');
        }
      }
    });

    it('every wrong type byte throws decode', () => {
      for (const sample of t.samples) {
        for (let type = 0; type < 256; type++) {
          if (type === t.type) continue;
          const bad = sample.slice();
          bad[1] = type;
          expect(codeOf(() => t.run(bad))).toBe('decode');
        }
      }
    });

    it('random byte changes throw only ProtocolError', () => {
      fc.assert(
        fc.property(fc.nat(), edits, (which, e) => {
          outcome(() => t.run(mutate(t.samples[which % t.samples.length] as Uint8Array, e)));
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('truncation at every length', () => {
    it('decodeBundle, decodeSession and compareSafetyQr throw decode for every truncation', () => {
      const cases: [Uint8Array, (b: Uint8Array) => unknown][] = [
        [bundleWithOtk, decodeBundle],
        [bundleWithoutOtk, decodeBundle],
        [bobState, decodeSession],
        [aliceState, decodeSession],
        [pendingState, decodeSession],
        [qr, (b) => compareSafetyQr(snOther, b)],
      ];
      for (const [sample, run] of cases) {
        for (let len = 0; len < sample.length; len++) {
          expect(codeOf(() => run(sample.subarray(0, len)))).toBe('decode');
        }
      }
    });

    it('a ratchet message truncated anywhere is rejected by its framing (decode), or by the AEAD if the length is still a bucket', () => {
      for (const sample of [ratchetMessage, burst[0] as Uint8Array]) {
        const before = toHex(encodeSession(bob));
        for (let len = 0; len < sample.length; len++) {
          expect(codeOf(() => decryptMessage(envB, bob, sample.subarray(0, len)))).toBe(ratchetCode(len));
        }
        expect(toHex(encodeSession(bob))).toBe(before);
      }
      // The 128-byte bucket cut to 64 bytes is still well framed: the AEAD catches it.
      expect(ratchetCode(RATCHET_OVERHEAD + 64)).toBe('decrypt-failed');
    });

    it('an initial message truncated in its PQXDH header throws decode; truncated in its ratchet message, decrypting it fails', () => {
      const ratchetLength = decodeInitialMessage(initialMessage).ratchetMessage.length;
      const headerLength = initialMessage.length - ratchetLength;
      const before = toHex(encodeSession(early.bob));
      for (let len = 0; len < initialMessage.length; len++) {
        const cut = initialMessage.subarray(0, len);
        if (len < headerLength) {
          expect(codeOf(() => decodeInitialMessage(cut))).toBe('decode');
          expect(codeOf(() => decryptMessage(earlyEnvB, early.bob, cut))).toBe('decode');
        } else {
          expect(decodeInitialMessage(cut).ratchetMessage.length).toBe(len - headerLength);
          expect(codeOf(() => decryptMessage(earlyEnvB, early.bob, cut))).toBe(ratchetCode(len - headerLength));
        }
      }
      expect(toHex(encodeSession(early.bob))).toBe(before);
    });
  });

  describe('appended bytes', () => {
    it('decodeBundle, decodeSession and compareSafetyQr throw decode on trailing bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 200, size: 'max' }), (extra) => {
          for (const s of [bundleWithOtk, bundleWithoutOtk])
            expect(codeOf(() => decodeBundle(concatBytes(s, extra)))).toBe('decode');
          for (const s of [bobState, pendingState])
            expect(codeOf(() => decodeSession(concatBytes(s, extra)))).toBe('decode');
          expect(codeOf(() => compareSafetyQr(snOther, concatBytes(qr, extra)))).toBe('decode');
        }),
        { numRuns: RUNS },
      );
    });

    it('a ratchet or initial message with trailing bytes is rejected (decode, or decrypt-failed when the length is a bucket)', () => {
      const ratchetLength = decodeInitialMessage(initialMessage).ratchetMessage.length;
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 200, size: 'max' }), (extra) => {
          const r = concatBytes(ratchetMessage, extra);
          expect(codeOf(() => decryptMessage(envB, bob, r))).toBe(ratchetCode(r.length));
          const i = concatBytes(initialMessage, extra);
          // The initial message itself has no length of its own: the ratchet message takes the rest.
          expect(decodeInitialMessage(i).ratchetMessage.length).toBe(ratchetLength + extra.length);
          expect(codeOf(() => decryptMessage(earlyEnvB, early.bob, i))).toBe(ratchetCode(ratchetLength + extra.length));
        }),
        { numRuns: RUNS },
      );
      // Exactly one more bucket of bytes keeps the framing valid: the AEAD must catch it.
      const grown = concatBytes(burst[0] as Uint8Array, new Uint8Array(64));
      expect(codeOf(() => decryptMessage(envB, bob, grown))).toBe('decrypt-failed');
    });
  });

  describe('mutated encodings that still decode', () => {
    it(
      'a changed bundle decodes only to a bundle that re-encodes identically, and createInitiatorSession accepts it only if the change is in an unsigned field',
      () => {
        let accepted = 0;
        let decoded = 0;
        fc.assert(
          fc.property(fc.boolean(), fc.boolean(), edits, (withOtk, onlyUnsigned, e) => {
            const sample = withOtk ? bundleWithOtk : bundleWithoutOtk;
            const unsigned = withOtk ? BUNDLE_UNSIGNED_WITH_OTK : BUNDLE_UNSIGNED_WITHOUT_OTK;
            // Half the runs change only unsigned bytes, which random positions would rarely hit.
            const bad = mutate(sample, onlyUnsigned ? e.map(([pos, x]) => [pickIn(unsigned, pos), x] as const) : e);
            const changed = changedPositions(sample, bad);
            const d = outcome(() => decodeBundle(bad));
            if (!d.ok) return;
            decoded++;
            const b = decodeBundle(bad);
            expect(toHex(encodeBundle(b))).toBe(toHex(bad));
            const code = codeOf(() => createInitiatorSession(envA, aliceDev.identity, aliceDev.device, b));
            if (changed.every((i) => inRanges(unsigned, i))) {
              expect(['returned', 'decode']).toContain(code); // a one-time key may be a low-order point
              if (code === 'returned') accepted++;
            } else {
              expect(code).toBe('bad-signature');
            }
          }),
          { numRuns: heavy ? 300 : 60 },
        );
        expect(decoded).toBeGreaterThan(0);
        if (heavy) expect(accepted).toBeGreaterThan(0);
      },
      TIMEOUT,
    );

    it(
      'a changed initial message is never accepted by acceptInitialMessage',
      () => {
        fc.assert(
          fc.property(edits, (e) => {
            const bad = mutate(freshInitialMessage, e);
            fc.pre(changedPositions(freshInitialMessage, bad).length > 0);
            const o = outcome(() =>
              acceptInitialMessage(envB, bobDev.identity, bobDev.device, decodeInitialMessage(bad), bobKeys),
            );
            expect(o.ok).toBe(false);
          }),
          { numRuns: heavy ? 200 : 40 },
        );
        expect(
          text(
            acceptInitialMessage(
              envB,
              bobDev.identity,
              bobDev.device,
              decodeInitialMessage(freshInitialMessage),
              bobKeys,
            ).plaintext,
          ),
        ).toBe('first');
      },
      TIMEOUT,
    );

    it('a changed ratchet message is always rejected and never changes the session', () => {
      const before = toHex(encodeSession(bob));
      fc.assert(
        fc.property(edits, (e) => {
          const bad = mutate(ratchetMessage, e);
          // Two edits can cancel out (the same byte XORed twice): that is the original message.
          fc.pre(changedPositions(ratchetMessage, bad).length > 0);
          expect(codeOf(() => decryptMessage(envB, bob, bad))).not.toBe('returned');
        }),
        { numRuns: RUNS },
      );
      expect(toHex(encodeSession(bob))).toBe(before);
    });

    it(
      'a changed session state decodes only to a state that re-encodes identically and can be used without non-ProtocolError failures',
      () => {
        let decoded = 0;
        fc.assert(
          fc.property(fc.nat(), edits, (which, e) => {
            const states = [bobState, aliceState, pendingState];
            const sample = states[which % states.length] as Uint8Array;
            const bad = mutate(sample, e);
            const d = outcome(() => decodeSession(bad));
            if (!d.ok) return;
            decoded++;
            const s = d.value as Session;
            expect(toHex(encodeSession(s))).toBe(toHex(bad));
            outcome(() => decryptMessage(envB, s, ratchetMessage));
            outcome(() => decryptMessage(envB, s, burst[1] as Uint8Array));
            outcome(() => encryptMessage(envB, s, utf8('after mutation')));
          }),
          { numRuns: RUNS },
        );
        expect(decoded).toBeGreaterThan(0);
      },
      TIMEOUT,
    );

    it('a changed QR payload compares false when a fingerprint byte changed, and throws on a changed frame or version', () => {
      fc.assert(
        fc.property(edits, (e) => {
          const bad = mutate(qr, e);
          const changed = changedPositions(qr, bad);
          const code = codeOf(() => compareSafetyQr(snOther, bad));
          if (changed.includes(0)) expect(code).toBe('unsupported-version');
          else if (changed.includes(1) || changed.includes(2)) expect(code).toBe('decode');
          else expect(compareSafetyQr(snOther, bad)).toBe(false);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('length prefixes cannot force huge allocations or long loops', () => {
    /** Runs `fn` while recording the largest Uint8Array.prototype.slice result (how Reader copies bytes). */
    function largestSlice(fn: () => void): number {
      const proto = Uint8Array.prototype as unknown as {
        slice: (this: Uint8Array, a?: number, b?: number) => Uint8Array;
      };
      const original = proto.slice;
      let max = 0;
      proto.slice = function (this: Uint8Array, a?: number, b?: number) {
        const out = original.call(this, a, b);
        max = Math.max(max, out.length);
        return out;
      };
      try {
        fn();
      } finally {
        delete (Uint8Array.prototype as unknown as { slice?: unknown }).slice;
      }
      expect(Uint8Array.prototype.slice).toBe(original);
      return max;
    }

    // Session state layout (session-codec.ts): frame (2), identity (128), two device ids (8), var16 AD.
    const AD_LENGTH = 2 + 128 + 8;

    it('a session state whose AD length prefix says 65535 throws decode at once, short input or not', () => {
      for (const tail of [new Uint8Array(0), new Uint8Array(70_000)]) {
        const bad = concatBytes(bobState, tail);
        bad[AD_LENGTH] = 0xff;
        bad[AD_LENGTH + 1] = 0xff;
        const t0 = performance.now();
        let code: string | undefined;
        const max = largestSlice(() => {
          code = codeOf(() => decodeSession(bad));
        });
        expect(code).toBe('decode');
        expect(max).toBeLessThanOrEqual(128); // nothing beyond the identity's fields was copied
        expect(performance.now() - t0).toBeLessThan(1000);
      }
    });

    it('every possible AD length prefix is handled without copying more than the input holds', () => {
      const adLength = decodeSession(bobState).associatedData.length;
      expect((bobState[AD_LENGTH] as number) * 256 + (bobState[AD_LENGTH + 1] as number)).toBe(adLength);
      const max = largestSlice(() => {
        for (let n = 0; n <= 0xffff; n++) {
          const bad = bobState.slice();
          bad[AD_LENGTH] = n >>> 8;
          bad[AD_LENGTH + 1] = n & 0xff;
          const code = codeOf(() => decodeSession(bad));
          if (n !== adLength) expect(code).toBe('decode');
        }
      });
      expect(max).toBeLessThanOrEqual(bobState.length);
    });

    it('a skipped-chain count or key count far beyond the caps throws decode without reading on', () => {
      // The skipped store is the tail of the state: u8 chainCount ‖ HK (32) ‖ u16 keyCount ‖ …
      const s = decodeSession(bobState);
      const keys = s.ratchet.skipped.reduce((n, c) => n + c.keys.size, 0);
      const chainCountAt = bobState.length - (1 + s.ratchet.skipped.length * (32 + 2) + keys * 36);
      expect(bobState[chainCountAt]).toBe(s.ratchet.skipped.length);
      for (const count of [6, 0x80, 0xff]) {
        const bad = bobState.slice();
        bad[chainCountAt] = count;
        expect(codeOf(() => decodeSession(bad))).toBe('decode');
      }
      for (const count of [0, 2001, 0xffff]) {
        const bad = bobState.slice();
        bad[chainCountAt + 33] = count >>> 8;
        bad[chainCountAt + 34] = count & 0xff;
        const t0 = performance.now();
        expect(codeOf(() => decodeSession(bad))).toBe('decode');
        expect(performance.now() - t0).toBeLessThan(1000);
      }
    });

    it('random states behind a valid frame decode or fail quickly', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 70_000, size: 'max' }), (body) => {
          const bytes = concatBytes(Uint8Array.of(WIRE_VERSION, WireType.sessionState), body);
          const t0 = performance.now();
          outcome(() => decodeSession(bytes));
          expect(performance.now() - t0).toBeLessThan(1000);
        }),
        { numRuns: heavy ? 50 : 20 },
      );
    });
  });
});
