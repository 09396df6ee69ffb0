/**
 * What version 2 adds to the decoders (docs/protocol-v2.md §13.3, §13.8): session states with a KEM
 * ratchet in each of its five phases, ratchet messages without a nonce, and authentic bodies whose
 * KEM section is malformed. Every input either decodes or throws a ProtocolError, a decoded state
 * re-encodes to the same bytes, and a refused message leaves the receiver unchanged.
 * decoder-fuzz.test.ts covers the version 1 encodings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ratchetEncryptBody } from '../src/double-ratchet.ts';
import {
  concatBytes,
  decodeSession,
  decryptMessage,
  defaultEnv,
  encodeSession,
  encryptMessage,
  type ProtocolEnv,
  ProtocolError,
  type ProtocolErrorCode,
  RATCHET_OVERHEAD_V2,
  type Session,
  toHex,
} from '../src/index.ts';
import { isBucket } from '../src/padding.ts';
import { establish, makeDevice, testEnv } from './kit.ts';

const crypto = defaultEnv.crypto;
const heavy = crypto.name === 'node';
const RUNS = heavy ? 200 : 40;

function codeOf(fn: () => unknown): ProtocolErrorCode | 'returned' {
  try {
    fn();
    return 'returned';
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw new Error(`expected a ProtocolError, got ${String(e)}`, { cause: e });
  }
}

function ratchetCodeV2(length: number): ProtocolErrorCode {
  return length >= RATCHET_OVERHEAD_V2 + 64 && isBucket(length - RATCHET_OVERHEAD_V2) ? 'decrypt-failed' : 'decode';
}

// A ping-pong of 600-byte messages (416-byte chunks) visits every KEM phase within a few messages.
const envA = testEnv('fuzz2-a', crypto);
const envB = testEnv('fuzz2-b', crypto);
const pair = establish(envA, envB, makeDevice(envA, 1), makeDevice(envB, 2));
const byPhase = new Map<string, Session>();
let alice = pair.alice;
let bob = pair.bob;
let lastMessage: Uint8Array = new Uint8Array(0);
const seenPhases: string[] = [];
for (let i = 0; i < 24 && byPhase.size < 5; i++) {
  const fromAlice = i % 2 === 1;
  const m = encryptMessage(fromAlice ? envA : envB, fromAlice ? alice : bob, new Uint8Array(600).fill(i));
  if (fromAlice) [alice, bob] = [m.session, decryptMessage(envB, bob, m.message).session];
  else [bob, alice] = [m.session, decryptMessage(envA, alice, m.message).session];
  lastMessage = m.message;
  for (const s of [alice, bob]) {
    const k = s.ratchet.kem;
    if (k === null) continue;
    const name = k.phase === 'keyholder' && k.keys === null ? 'keyholder without key' : k.phase;
    seenPhases.push(`${i}:${name}`);
    if (!byPhase.has(name)) byPhase.set(name, s);
  }
}
// "ready" lasts only inside a DH step in a strict ping-pong: let the encapsulator send its whole
// ciphertext (three 416-byte chunks) in one chain, so the keyholder decapsulates without a DH step.
for (let i = 0; i < 40 && !byPhase.has('ready'); i++) {
  const parties: [ProtocolEnv, Session, ProtocolEnv, Session][] = [
    [envA, alice, envB, bob],
    [envB, bob, envA, alice],
  ];
  const [sEnv, sender, rEnv, receiver] = parties[i % 2] as (typeof parties)[number];
  const k = sender.ratchet.kem;
  let s = sender;
  let r = receiver;
  const burst = k?.phase === 'encapsulated' && k.cursor === 0 ? 3 : 1;
  for (let j = 0; j < burst; j++) {
    const m = encryptMessage(sEnv, s, new Uint8Array(600));
    s = m.session;
    r = decryptMessage(rEnv, r, m.message).session;
  }
  if (r.ratchet.kem?.phase === 'ready') byPhase.set('ready', r);
  if (i % 2 === 0) [alice, bob] = [s, r];
  else [bob, alice] = [s, r];
}
const states = [...byPhase.entries()].map(([name, s]) => [name, encodeSession(s)] as const);

describe(`version 2 decoders (${crypto.name} backend)`, () => {
  it('the samples cover the five KEM phases, and each state re-encodes to its bytes', () => {
    expect(new Set(states.map(([n]) => n)), seenPhases.join(' ')).toEqual(
      new Set(['keyholder without key', 'keyholder', 'ready', 'collecting', 'encapsulated']),
    );
    for (const [, b] of states) {
      expect(b[0]).toBe(2);
      expect(toHex(encodeSession(decodeSession(b)))).toBe(toHex(b));
    }
  });

  it('a state truncated anywhere, or with trailing bytes, throws decode', () => {
    for (const [, b] of states) {
      for (let len = 0; len < b.length; len += heavy ? 1 : 7) {
        expect(codeOf(() => decodeSession(b.subarray(0, len)))).toBe('decode');
      }
      expect(codeOf(() => decodeSession(concatBytes(b, Uint8Array.of(0))))).toBe('decode');
    }
  });

  it('a state with any other version byte is unsupported-version; relabelled as version 1 it is decode', () => {
    for (const [, b] of states) {
      for (let v = 0; v < 256; v++) {
        if (v === 2) continue;
        const bad = b.slice();
        bad[0] = v;
        expect(codeOf(() => decodeSession(bad))).toBe(v === 1 ? 'decode' : 'unsupported-version');
      }
    }
  });

  it('random changes to a state decode to a state that re-encodes identically, or throw ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        (which, edits) => {
          const b = (states[which % states.length] as (typeof states)[number])[1].slice();
          for (const [pos, x] of edits) b[pos % b.length] = (b[pos % b.length] as number) ^ x;
          try {
            expect(toHex(encodeSession(decodeSession(b)))).toBe(toHex(b));
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the KEM block: a bad phase, epoch 0, a byte present without its bitmap bit, or a complete object is decode', () => {
    for (const [name, b] of states) {
      const s = decodeSession(b);
      const kemAt = encodeSession({ ...s, ratchet: { ...s.ratchet, kem: null } }).length;
      for (const phase of [5, 0x80, 0xff]) {
        const bad = b.slice();
        bad[kemAt] = phase;
        expect(
          codeOf(() => decodeSession(bad)),
          name,
        ).toBe('decode');
      }
      const zeroEpoch = b.slice();
      zeroEpoch.fill(0, kemAt + 1, kemAt + 5);
      expect(
        codeOf(() => decodeSession(zeroEpoch)),
        name,
      ).toBe('decode');
      if (name === 'collecting') {
        // bitmap (148) then bytes (1184): a byte not yet received must be zero, and it cannot be complete.
        const k = s.ratchet.kem;
        if (k?.phase !== 'collecting') throw new Error('unreachable');
        const missing = [...Array(1184).keys()].find((i) => ((k.ek.have[i >>> 3] as number) & (1 << (i & 7))) === 0);
        if (missing === undefined) throw new Error('sample has a complete key');
        const stray = b.slice();
        stray[kemAt + 5 + 148 + missing] = 1;
        expect(codeOf(() => decodeSession(stray))).toBe('decode');
        const full = b.slice();
        full.fill(0xff, kemAt + 5, kemAt + 5 + 148);
        expect(codeOf(() => decodeSession(full))).toBe('decode');
      }
    }
  });

  it('a version 2 ratchet message truncated or extended is refused by framing or AEAD, without changing the receiver', () => {
    const receiver = alice.ratchet.sentSinceReceive ? alice : bob; // whoever did not send lastMessage last
    const before = toHex(encodeSession(receiver));
    for (let len = 0; len < lastMessage.length; len += heavy ? 1 : 5) {
      const code = codeOf(() => decryptMessage(envA, receiver, lastMessage.subarray(0, len)));
      expect(code).toBe(ratchetCodeV2(len));
    }
    for (const extra of [1, 16, 1024]) {
      const longer = concatBytes(lastMessage, new Uint8Array(extra));
      expect(codeOf(() => decryptMessage(envA, receiver, longer))).toBe(ratchetCodeV2(longer.length));
    }
    expect(toHex(encodeSession(receiver))).toBe(before);
  });

  it('authentic bodies with a malformed length or KEM section throw decode and change nothing', () => {
    const e1 = testEnv('fuzz2-body-a', crypto);
    const e2 = testEnv('fuzz2-body-b', crypto);
    const p = establish(e1, e2, makeDevice(e1, 1), makeDevice(e2, 2));
    // Before his first reply Bob (responder) is the keyholder of epoch 1 without a key pair.
    const early = establish(e1, e2, makeDevice(e1, 1), makeDevice(e2, 2), false);
    expect(early.bob.ratchet.kem).toEqual({ phase: 'keyholder', epoch: 1, keys: null });
    const body = (fill: (b: Uint8Array) => void): Uint8Array => {
      const b = new Uint8Array(64);
      fill(b);
      return b;
    };
    const u32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer).setUint32(at, v);
    const cases: [string, Uint8Array, Session, Session][] = [
      ['length past the body', body((b) => b.set([0, 63], 0)), p.alice, p.bob],
      ['non-zero bytes in an empty section', body((b) => b.set([0, 1, 0x41, 0, 0, 0, 0, 7], 0)), p.alice, p.bob],
      [
        'offset past the object',
        body((b) => {
          u32(b, 2, 1);
          b.set([0x04, 0xa0], 6);
        }),
        p.bob,
        p.alice,
      ],
      ['a ciphertext chunk to a keyholder without a key', body((b) => u32(b, 2, 1)), early.alice, early.bob],
    ];
    for (const [what, b, sender, receiver] of cases) {
      const { message } = ratchetEncryptBody(e1, sender.ratchet, b, sender.associatedData);
      const before = toHex(encodeSession(receiver));
      expect(
        codeOf(() => decryptMessage(e2, receiver, message)),
        what,
      ).toBe('decode');
      expect(toHex(encodeSession(receiver)), what).toBe(before);
    }
  });
});
