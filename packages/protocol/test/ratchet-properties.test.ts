/**
 * Property tests of the header-encrypted Double Ratchet as seen through the session API: two
 * parties exchange messages under random schedules (sends both ways, out-of-order delivery,
 * drops, replays, tampering, persist/restore) and every outcome is checked against a small
 * reference model of the receiver's bookkeeping (current receiving chain, Nr, skipped keys with
 * the MAX_SKIPPED_CHAINS / MAX_SKIPPED_KEYS eviction rules of double-ratchet.ts).
 *
 * The file runs in both vitest projects: the random-schedule properties use the project's default
 * backend, with many runs on node and a few short ones on noble (≈20× slower for X25519). The
 * MAX_SKIP and cap tests encrypt thousands of messages and always use the node backend.
 */
import fc from 'fast-check';
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
  encodeSession,
  encryptMessage,
  MAX_SKIP,
  MAX_SKIPPED_CHAINS,
  MAX_SKIPPED_KEYS,
  type ProtocolEnv,
  type Session,
  type SessionVersion,
  sessionCanSend,
  toHex,
  utf8,
  WireType,
} from '../src/index.ts';
import type { ResponderKeys } from '../src/session.ts';
import { backends, bundleOf, codeOf, type Device, establish, makeDevice, testEnv } from './kit.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

const hex = (s: Session): string => toHex(encodeSession(s));

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >>> 3] = (out[bit >>> 3] as number) ^ (1 << (bit & 7));
  return out;
}

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Layout of an initial message (initial-message.ts): identity (128) at 2, then u32 device_A, EK_A. */
const BASE_KEY = [134, 166] as const;

/** Initiator identity (128 bytes) and device id: decryptMessage compares them with the session. */
const SENDER = [2, 134] as const;
const DEVICE = [130, 134] as const;

/** Bit 7 of the last byte of the sender's agreement key (bytes 34..66) and of the base key. */
const X25519_TOP_BITS = [65 * 8 + 7, (BASE_KEY[1] - 1) * 8 + 7];

/**
 * The byte ranges of an initial message that `decryptMessage` on an established session must
 * authenticate: the frame, the sender identity and device, the base key (which together select
 * the session) and the embedded ratchet message. The prekey ids and KEM ciphertext only matter
 * to acceptInitialMessage and are ignored here.
 */
function checkedByDecrypt(initial: Uint8Array): [number, number][] {
  const ratchetStart = initial.length - decodeInitialMessage(initial).ratchetMessage.length;
  return [
    [0, 2],
    [SENDER[0], BASE_KEY[1]],
    [ratchetStart, initial.length],
  ];
}

/** Maps `pick` onto one bit of the byte ranges [from, to). */
function pickBit(ranges: ReadonlyArray<readonly [number, number]>, pick: number): number {
  const total = ranges.reduce((n, [a, b]) => n + (b - a) * 8, 0);
  let k = pick % total;
  for (const [a, b] of ranges) {
    const size = (b - a) * 8;
    if (k < size) return a * 8 + k;
    k -= size;
  }
  throw new Error('unreachable');
}

function responderKeys(d: Device, opts: { oneTime: boolean; lastResort: boolean }): ResponderKeys {
  return {
    signedPreKey: d.signedPreKey,
    oneTimePreKey: opts.oneTime ? (d.oneTimePreKeys[0] ?? null) : null,
    kemPreKey: opts.lastResort ? d.lastResortKemPreKey : d.kemPreKey,
  };
}

function skippedShape(s: Session): number[][] {
  return s.ratchet.skipped.map((c) => [...c.keys.keys()]);
}

function totalSkipped(s: Session): number {
  return s.ratchet.skipped.reduce((n, c) => n + c.keys.size, 0);
}

function expectSkippedWithinCaps(s: Session): void {
  expect(s.ratchet.skipped.length).toBeLessThanOrEqual(MAX_SKIPPED_CHAINS);
  expect(totalSkipped(s)).toBeLessThanOrEqual(MAX_SKIPPED_KEYS);
  for (const c of s.ratchet.skipped) expect(c.keys.size).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------------
// Reference model of one receiver

type Party = 'A' | 'B';
type Outcome = 'ok' | 'duplicate-message' | 'decrypt-failed';

interface Msg {
  readonly id: number;
  readonly from: Party;
  readonly to: Party;
  readonly bytes: Uint8Array;
  readonly plaintext: Uint8Array;
  /** The sender's ratchet public key: names the sending chain. */
  readonly chain: string;
  readonly n: number;
  readonly pn: number;
  readonly initial: boolean;
  delivered: boolean;
  dropped: boolean;
}

interface ModelChain {
  readonly chain: string;
  readonly ns: number[];
}

interface Model {
  current: string | null;
  nr: number;
  readonly seen: Set<string>;
  skipped: ModelChain[];
  readonly evicted: Set<string>;
}

const newModel = (): Model => ({ current: null, nr: 0, seen: new Set(), skipped: [], evicted: new Set() });

function cloneModel(m: Model): Model {
  return {
    current: m.current,
    nr: m.nr,
    seen: new Set(m.seen),
    skipped: m.skipped.map((c) => ({ chain: c.chain, ns: c.ns.slice() })),
    evicted: new Set(m.evicted),
  };
}

function range(from: number, until: number): number[] {
  const out: number[] = [];
  for (let n = from; n < until; n++) out.push(n);
  return out;
}

/** Mirrors addSkipped in double-ratchet.ts. */
function modelAddSkipped(m: Model, chain: string, ns: number[]): void {
  if (ns.length === 0) return;
  const existing = m.skipped.find((c) => c.chain === chain);
  if (existing) existing.ns.push(...ns);
  else m.skipped.push({ chain, ns: ns.slice() });
  while (m.skipped.length > MAX_SKIPPED_CHAINS) {
    const dropped = m.skipped.shift() as ModelChain;
    for (const n of dropped.ns) m.evicted.add(`${dropped.chain}:${n}`);
  }
  let total = m.skipped.reduce((t, c) => t + c.ns.length, 0);
  while (total > MAX_SKIPPED_KEYS) {
    const first = m.skipped[0] as ModelChain;
    const excess = total - MAX_SKIPPED_KEYS;
    const gone = Math.min(first.ns.length, excess);
    for (const n of first.ns.slice(0, gone)) m.evicted.add(`${first.chain}:${n}`);
    if (gone === first.ns.length) m.skipped.shift();
    else m.skipped[0] = { chain: first.chain, ns: first.ns.slice(gone) };
    total -= gone;
  }
}

function modelFromSkipped(m: Model, chain: string, n: number): Outcome {
  const idx = m.skipped.findIndex((c) => c.chain === chain);
  const entry = m.skipped[idx];
  const at = entry ? entry.ns.indexOf(n) : -1;
  if (entry === undefined || at < 0) return 'duplicate-message';
  entry.ns.splice(at, 1);
  if (entry.ns.length === 0) m.skipped.splice(idx, 1);
  return 'ok';
}

/** Predicts the outcome of delivering `msg`; returns the model after a successful delivery. */
function predict(model: Model, msg: Msg): { outcome: Outcome; next: Model } {
  const m = cloneModel(model);
  if (m.current === msg.chain) {
    if (msg.n < m.nr) return { outcome: modelFromSkipped(m, msg.chain, msg.n), next: m };
    modelAddSkipped(m, msg.chain, range(m.nr, msg.n));
    m.nr = msg.n + 1;
    return { outcome: 'ok', next: m };
  }
  if (m.skipped.some((c) => c.chain === msg.chain)) return { outcome: modelFromSkipped(m, msg.chain, msg.n), next: m };
  // A chain never seen is always the sender's next one: it exists only after we replied.
  if (m.seen.has(msg.chain)) return { outcome: 'decrypt-failed', next: m };
  if (m.current !== null) modelAddSkipped(m, m.current, range(m.nr, msg.pn));
  m.current = msg.chain;
  m.seen.add(msg.chain);
  modelAddSkipped(m, msg.chain, range(0, msg.n));
  m.nr = msg.n + 1;
  return { outcome: 'ok', next: m };
}

// ---------------------------------------------------------------------------------------------
// Random schedules

type Action =
  | { readonly t: 'send'; readonly from: Party; readonly body: Uint8Array }
  | { readonly t: 'deliver'; readonly pick: number }
  | { readonly t: 'drop'; readonly pick: number }
  | { readonly t: 'replay'; readonly pick: number }
  | { readonly t: 'tamper'; readonly pick: number; readonly bit: number }
  | { readonly t: 'restore'; readonly who: Party };

const party = fc.constantFrom<Party>('A', 'B');
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('send' as const), from: party, body: fc.uint8Array({ maxLength: 140 }) }),
  },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tamper' as const), pick: fc.nat(), bit: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), who: party }) },
);

const epochTail = {
  order: ['A', 'B', 'A', 'B', 'A', 'B', 'A', 'B', 'A', 'B'] as const,
  body: new Uint8Array(2500).fill(7),
};

/**
 * Like actionArb with more deliveries and bodies of 300 to 2900 bytes: half of them fill a 4 KiB
 * bucket with room for a whole key or ciphertext, the others carry partial chunks, so schedules
 * cross KEM epochs (docs/protocol-v2.md §13.7).
 */
const bigActionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('send' as const),
      from: party,
      body: fc.oneof(
        fc.uint8Array({ minLength: 2025, maxLength: 2900 }),
        fc.uint8Array({ minLength: 300, maxLength: 2024 }),
      ),
    }),
  },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('tamper' as const), pick: fc.nat(), bit: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restore' as const), who: party }) },
);

interface Variant {
  readonly oneTime: boolean;
  readonly lastResort: boolean;
  /** The session version the bundle advertises (default: the latest, 2 = with the KEM ratchet). */
  readonly version?: SessionVersion;
}

interface Stats {
  delivered: number;
  replays: number;
  evictedDeliveries: number;
  tampered: number;
  outOfOrder: number;
  /** The highest KEM epoch both sessions of one run reached (version 2): epochs completed on both sides. */
  maxEpoch?: number;
}

/**
 * Plays one schedule between Alice (initiator) and Bob (responder, no session until Alice's
 * first message reaches him) and checks every step against the model and the invariants.
 */
function playSchedule(
  crypto: CryptoBackend,
  seed: number,
  aliceDev: Device,
  bobDev: Device,
  variant: Variant,
  actions: readonly Action[],
  stats: Stats,
  tail?: { readonly order: readonly Party[]; readonly body: Uint8Array },
): void {
  const env: Record<Party, ProtocolEnv> = {
    A: testEnv(`alice-${seed}`, crypto),
    B: testEnv(`bob-${seed}`, crypto),
  };
  const sessions: Record<Party, Session | null> = {
    A: createInitiatorSession(env.A, aliceDev.identity, aliceDev.device, bundleOf(bobDev, variant)),
    B: null,
  };
  const models: Record<Party, Model> = { A: newModel(), B: newModel() };
  const msgs: Msg[] = [];
  const usedBaseKeys = new Set<string>();
  const other = (p: Party): Party => (p === 'A' ? 'B' : 'A');

  const checkInvariants = (): void => {
    for (const p of ['A', 'B'] as const) {
      const s = sessions[p];
      if (s === null) continue;
      expectSkippedWithinCaps(s);
      expect(skippedShape(s)).toEqual(models[p].skipped.map((c) => c.ns));
    }
  };

  const send = (from: Party, body: Uint8Array): void => {
    const s = sessions[from];
    if (s === null || !sessionCanSend(s)) return;
    const id = msgs.length;
    const plaintext = concatBytes(u32(id), body);
    const plaintextCopy = plaintext.slice();
    const before = hex(s);
    const r = encryptMessage(env[from], s, plaintext);
    expect(hex(s)).toBe(before); // the input session is not mutated
    expect(plaintext).toEqual(plaintextCopy);
    // The initiator attaches its PQXDH fields until it has heard back, and only then.
    expect(r.message[1]).toBe(s.pending !== null ? WireType.initialMessage : WireType.ratchetMessage);
    expect(s.pending !== null).toBe(from === 'A' && models.A.current === null);
    msgs.push({
      id,
      from,
      to: other(from),
      bytes: r.message,
      plaintext: plaintextCopy,
      chain: toHex(s.ratchet.dhSelf.publicKey),
      n: s.ratchet.sendCount,
      pn: s.ratchet.prevSendCount,
      initial: s.pending !== null,
      delivered: false,
      dropped: false,
    });
    sessions[from] = r.session;
  };

  /** Delivers `msg` (a first delivery or a replay) and checks the outcome against the model. */
  const deliver = (msg: Msg): Outcome => {
    const to = msg.to;
    const pred = predict(models[to], msg);
    const replay = msg.delivered;
    if (replay) {
      expect(pred.outcome).not.toBe('ok');
      stats.replays++;
    } else if (pred.outcome !== 'ok') {
      // A first delivery fails only when its key was evicted by the caps.
      expect(pred.next.evicted.has(`${msg.chain}:${msg.n}`)).toBe(true);
      stats.evictedDeliveries++;
    }
    if (!replay && msgs.some((m) => m.from === msg.from && m.id > msg.id && m.delivered)) stats.outOfOrder++;
    const messageCopy = msg.bytes.slice();
    const s = sessions[to];
    if (s === null) {
      // Bob's first message from Alice: PQXDH from the initial message.
      expect(msg.initial).toBe(true);
      const r = acceptInitialMessage(
        env.B,
        bobDev.identity,
        bobDev.device,
        decodeInitialMessage(msg.bytes),
        responderKeys(bobDev, variant),
        {
          isBaseKeyUsed: (_id, baseKey) => usedBaseKeys.has(toHex(baseKey)),
        },
      );
      expect(r.plaintext).toEqual(msg.plaintext);
      expect(r.consumed.oneTimePreKeyId).toBe(variant.oneTime ? bobDev.oneTimePreKeys[0]?.id : null);
      usedBaseKeys.add(toHex(r.session.baseKey));
      sessions.B = r.session;
    } else {
      const before = hex(s);
      if (pred.outcome === 'ok') {
        const r = decryptMessage(env[to], s, msg.bytes);
        expect(r.plaintext).toEqual(msg.plaintext);
        expect(r.session.pending).toBeNull();
        sessions[to] = r.session;
      } else {
        const code = codeOf(() => decryptMessage(env[to], s, msg.bytes));
        expect(['duplicate-message', 'decrypt-failed']).toContain(code);
        expect(code).toBe(pred.outcome);
      }
      expect(hex(s)).toBe(before); // success or failure, the input session is untouched
    }
    expect(msg.bytes).toEqual(messageCopy);
    if (pred.outcome === 'ok') stats.delivered++;
    models[to] = pred.next;
    msg.delivered = true;
    return pred.outcome;
  };

  const queued = (): Msg[] => msgs.filter((m) => !m.delivered && !m.dropped);

  for (const a of actions) {
    switch (a.t) {
      case 'send':
        send(a.from, a.body);
        break;
      case 'deliver': {
        const q = queued();
        const msg = q[a.pick % Math.max(q.length, 1)];
        if (msg) deliver(msg);
        break;
      }
      case 'drop': {
        const q = queued();
        const msg = q[a.pick % Math.max(q.length, 1)];
        if (msg) msg.dropped = true;
        break;
      }
      case 'replay': {
        const done = msgs.filter((m) => m.delivered);
        const msg = done[a.pick % Math.max(done.length, 1)];
        if (msg) deliver(msg);
        break;
      }
      case 'tamper': {
        const candidates = msgs.filter((m) => sessions[m.to] !== null);
        const msg = candidates[a.pick % Math.max(candidates.length, 1)];
        const s = msg ? sessions[msg.to] : null;
        if (!msg || !s) break;
        const bit = pickBit(msg.initial ? checkedByDecrypt(msg.bytes) : [[0, msg.bytes.length]], a.bit);
        const before = hex(s);
        expect(codeOf(() => decryptMessage(env[msg.to], s, flipBit(msg.bytes, bit)))).toBeTypeOf('string');
        expect(hex(s)).toBe(before);
        stats.tampered++;
        break;
      }
      case 'restore': {
        const s = sessions[a.who];
        if (s === null) break;
        const bytes = encodeSession(s);
        const restored = decodeSession(bytes);
        expect(toHex(encodeSession(restored))).toBe(toHex(bytes));
        sessions[a.who] = restored;
        break;
      }
    }
    checkInvariants();
  }

  // Everything still queued arrives (newest first): drops and reordering never break delivery.
  for (const msg of queued().reverse()) deliver(msg);
  checkInvariants();

  // And the conversation carries on both ways.
  for (const from of tail?.order ?? (['A', 'A', 'B', 'A'] as const)) {
    const count = msgs.length;
    send(from, tail === undefined ? utf8(`after ${from}`) : tail.body);
    if (msgs.length === count) continue; // Bob without a session yet: Alice's next message starts it
    const last = msgs[count] as Msg;
    expect(deliver(last)).toBe('ok');
  }
  expect(sessions.B).not.toBeNull();
  checkInvariants();
  // Both sides past epoch e means both mixed the KEM secret of epoch e (docs/protocol-v2.md §13.4).
  const both = Math.min(sessions.A?.ratchet.kem?.epoch ?? 0, sessions.B?.ratchet.kem?.epoch ?? 0);
  stats.maxEpoch = Math.max(stats.maxEpoch ?? 0, both);
}

// ---------------------------------------------------------------------------------------------

const crypto = defaultEnv.crypto;
const heavy = crypto.name === 'node';
const NUM_RUNS = heavy ? 150 : 25;
const MAX_ACTIONS = heavy ? 80 : 40;
const TIMEOUT = 120_000;

describe(`ratchet under random schedules (${crypto.name} backend)`, () => {
  const aliceDev = makeDevice(testEnv('alice-device', crypto), 1);
  const bobDev = makeDevice(testEnv('bob-device', crypto), 2);

  it(
    'delivers every message exactly once and rejects every replay without changing state, whatever the interleaving, drops and tampering',
    () => {
      const stats: Stats = { delivered: 0, replays: 0, evictedDeliveries: 0, tampered: 0, outOfOrder: 0 };
      fc.assert(
        fc.property(
          fc.nat(),
          fc.record({
            oneTime: fc.boolean(),
            lastResort: fc.boolean(),
            version: fc.constantFrom<SessionVersion>(1, 2),
          }),
          fc.array(actionArb, { maxLength: MAX_ACTIONS, size: 'max' }),
          (seed, variant, actions) => playSchedule(crypto, seed, aliceDev, bobDev, variant, actions, stats),
        ),
        { numRuns: NUM_RUNS },
      );
      // The generator must actually exercise the interesting paths.
      expect(stats.delivered).toBeGreaterThan(NUM_RUNS);
      expect(stats.replays).toBeGreaterThan(0);
      expect(stats.outOfOrder).toBeGreaterThan(0);
      if (heavy) expect(stats.tampered).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'with the KEM ratchet crossing epochs (large bodies carry whole chunks), every message is still delivered exactly once, replays and bit flips are rejected without changing state',
    () => {
      const stats: Stats = { delivered: 0, replays: 0, evictedDeliveries: 0, tampered: 0, outOfOrder: 0 };
      fc.assert(
        fc.property(
          fc.nat(),
          fc.record({ oneTime: fc.boolean(), lastResort: fc.boolean() }),
          fc.array(bigActionArb, { maxLength: MAX_ACTIONS, size: 'max' }),
          // A ping-pong of whole-key messages after the schedule finishes at least one epoch whatever it did.
          (seed, variant, actions) => playSchedule(crypto, seed, aliceDev, bobDev, variant, actions, stats, epochTail),
        ),
        { numRuns: heavy ? NUM_RUNS / 5 : 10 },
      );
      expect(stats.delivered).toBeGreaterThan(0);
      if (heavy) expect(stats.replays).toBeGreaterThan(0);
      if (heavy) expect(stats.outOfOrder).toBeGreaterThan(0);
      // Every run crosses at least one epoch hand-over on both sides (the tail guarantees it).
      expect(stats.maxEpoch ?? 0).toBeGreaterThanOrEqual(2);
    },
    TIMEOUT,
  );

  it(
    'a long ping-pong with one dropped message per chain keeps at most MAX_SKIPPED_CHAINS chains and loses only evicted keys',
    () => {
      const stats: Stats = { delivered: 0, replays: 0, evictedDeliveries: 0, tampered: 0, outOfOrder: 0 };
      const rounds = MAX_SKIPPED_CHAINS + 2;
      const actions: Action[] = [];
      const body = new Uint8Array(3);
      for (let i = 0; i < rounds; i++) {
        // A sends two, the first stays queued until the end; B answers.
        actions.push({ t: 'send', from: 'A', body }, { t: 'send', from: 'A', body });
        actions.push({ t: 'deliver', pick: i + 1 }, { t: 'send', from: 'B', body });
        actions.push({ t: 'deliver', pick: i + 1 });
      }
      playSchedule(crypto, 7, aliceDev, bobDev, { oneTime: true, lastResort: false }, actions, stats);
      expect(stats.evictedDeliveries).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'a flipped bit anywhere in a ratchet message is rejected with a ProtocolError and leaves the receiver unchanged; the original still decrypts',
    () => {
      const envs = { a: testEnv('flip-a', crypto), b: testEnv('flip-b', crypto) };
      const base = establish(envs.a, envs.b, aliceDev, bobDev);
      fc.assert(
        fc.property(
          fc.array(fc.record({ a: fc.integer({ min: 0, max: 2 }), b: fc.integer({ min: 0, max: 2 }) }), {
            maxLength: heavy ? 3 : 1,
          }),
          fc.integer({ min: 1, max: 3 }),
          fc.nat(),
          fc.boolean(),
          fc.nat(),
          fc.uint8Array({ maxLength: 300 }),
          (rounds, burst, targetPick, laterFirst, bitPick, body) => {
            let { alice, bob } = base;
            for (const r of rounds) {
              for (let i = 0; i < r.a; i++) {
                const m = encryptMessage(envs.a, alice, utf8(`a${i}`));
                alice = m.session;
                bob = decryptMessage(envs.b, bob, m.message).session;
              }
              for (let i = 0; i < r.b; i++) {
                const m = encryptMessage(envs.b, bob, utf8(`b${i}`));
                bob = m.session;
                alice = decryptMessage(envs.a, alice, m.message).session;
              }
            }
            const sent: Uint8Array[] = [];
            for (let i = 0; i < burst; i++) {
              const m = encryptMessage(envs.a, alice, body);
              alice = m.session;
              sent.push(m.message);
            }
            const target = targetPick % burst;
            // Optionally deliver the later messages first so the target goes through the skipped keys.
            if (laterFirst) for (const m of sent.slice(target + 1)) bob = decryptMessage(envs.b, bob, m).session;
            const msg = sent[target] as Uint8Array;
            expect(msg[1]).toBe(WireType.ratchetMessage);
            const bit = bitPick % (msg.length * 8);
            const before = hex(bob);
            const code = codeOf(() => decryptMessage(envs.b, bob, flipBit(msg, bit)));
            const byte = bit >>> 3;
            if (byte === 0) expect(code).toBe('unsupported-version');
            else if (byte === 1) expect(code).toBe('decode');
            else expect(code).toBe('decrypt-failed');
            expect(hex(bob)).toBe(before);
            expect(decryptMessage(envs.b, bob, msg).plaintext).toEqual(body);
          },
        ),
        { numRuns: heavy ? 200 : 15 },
      );
    },
    TIMEOUT,
  );

  it(
    'a flipped bit in the frame, sender, base key or embedded ratchet message of a repeated initial message is rejected without changing state',
    () => {
      const envs = { a: testEnv('flip-init-a', crypto), b: testEnv('flip-init-b', crypto) };
      const { alice, bob } = establish(envs.a, envs.b, aliceDev, bobDev, false);
      expect(alice.pending).not.toBeNull();
      const second = encryptMessage(envs.a, alice, utf8('second'));
      const msg = second.message;
      expect(msg[1]).toBe(WireType.initialMessage);
      fc.assert(
        fc.property(fc.nat(), (pick) => {
          const bit = pickBit(checkedByDecrypt(msg), pick);
          const before = hex(bob);
          const code = codeOf(() => decryptMessage(envs.b, bob, flipBit(msg, bit)));
          const byte = bit >>> 3;
          // Another session's sender or base key. Malformed instead: a device id flipped to 0, or
          // the top bit of an X25519 key set, which no canonical encoding has (RFC 7748 §5).
          if (byte >= DEVICE[0] && byte < DEVICE[1]) expect(['wrong-session', 'decode']).toContain(code);
          else if (X25519_TOP_BITS.includes(bit)) expect(code).toBe('decode');
          else if (byte >= SENDER[0] && byte < BASE_KEY[1]) expect(code).toBe('wrong-session');
          expect(hex(bob)).toBe(before);
        }),
        { numRuns: heavy ? 300 : 40 },
      );
      for (const bit of X25519_TOP_BITS)
        expect(codeOf(() => decryptMessage(envs.b, bob, flipBit(msg, bit)))).toBe('decode');
      expect(decryptMessage(envs.b, bob, msg).plaintext).toEqual(utf8('second'));
    },
    TIMEOUT,
  );

  it(
    'a flipped bit anywhere in an initial message makes acceptInitialMessage throw a ProtocolError',
    () => {
      const envA = testEnv('flip-accept-a', crypto);
      const envB = testEnv('flip-accept-b', crypto);
      const alice = createInitiatorSession(envA, aliceDev.identity, aliceDev.device, bundleOf(bobDev));
      const msg = encryptMessage(envA, alice, utf8('first')).message;
      const keys = responderKeys(bobDev, { oneTime: true, lastResort: false });
      const accept = (bytes: Uint8Array) =>
        acceptInitialMessage(envB, bobDev.identity, bobDev.device, decodeInitialMessage(bytes), keys);
      expect(accept(msg).plaintext).toEqual(utf8('first'));
      // The initiator's device id (bytes 130..134) included: it is bound into the associated data.
      for (let bit = 130 * 8; bit < 134 * 8; bit++)
        expect(codeOf(() => accept(flipBit(msg, bit)))).toBeTypeOf('string');
      fc.assert(
        fc.property(fc.nat(), (pick) => {
          expect(codeOf(() => accept(flipBit(msg, pick % (msg.length * 8))))).toBeTypeOf('string');
        }),
        { numRuns: heavy ? 150 : 10 },
      );
    },
    TIMEOUT,
  );

  it(
    'encryptMessage and decryptMessage never mutate their inputs (session bytes, plaintext, message)',
    () => {
      const envs = { a: testEnv('mut-a', crypto), b: testEnv('mut-b', crypto) };
      const base = establish(envs.a, envs.b, aliceDev, bobDev);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 200 })), {
            minLength: 1,
            maxLength: heavy ? 8 : 3,
          }),
          (steps) => {
            let { alice, bob } = base;
            for (const [fromAlice, body] of steps) {
              const [sEnv, rEnv] = fromAlice ? [envs.a, envs.b] : [envs.b, envs.a];
              const sender = fromAlice ? alice : bob;
              const receiver = fromAlice ? bob : alice;
              const senderBytes = hex(sender);
              const receiverBytes = hex(receiver);
              const bodyCopy = body.slice();
              const m = encryptMessage(sEnv, sender, body);
              const messageCopy = m.message.slice();
              const d = decryptMessage(rEnv, receiver, m.message);
              expect(hex(sender)).toBe(senderBytes);
              expect(hex(receiver)).toBe(receiverBytes);
              expect(body).toEqual(bodyCopy);
              expect(m.message).toEqual(messageCopy);
              expect(d.plaintext).toEqual(body);
              // The returned sessions are new states, not the inputs.
              expect(hex(m.session)).not.toBe(senderBytes);
              expect(hex(d.session)).not.toBe(receiverBytes);
              if (fromAlice) [alice, bob] = [m.session, d.session];
              else [bob, alice] = [m.session, d.session];
            }
          },
        ),
        { numRuns: heavy ? 60 : 8 },
      );
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------
// MAX_SKIP and the skipped-key caps: thousands of messages, so node backend only.

describe('MAX_SKIP and skipped-key caps (node backend)', () => {
  const node = backends[0] as CryptoBackend;
  const aliceDev = makeDevice(testEnv('skip-alice', node), 1);
  const bobDev = makeDevice(testEnv('skip-bob', node), 2);
  const body = utf8('x');

  function setup(seed: string) {
    const envA = testEnv(`${seed}-a`, node);
    const envB = testEnv(`${seed}-b`, node);
    const pair = establish(envA, envB, aliceDev, bobDev);
    return { envA, envB, alice: pair.alice, bob: pair.bob };
  }

  function burst(env: ProtocolEnv, s: Session, count: number): { session: Session; messages: Uint8Array[] } {
    const messages: Uint8Array[] = [];
    let session = s;
    for (let i = 0; i < count; i++) {
      const m = encryptMessage(env, session, body);
      session = m.session;
      messages.push(m.message);
    }
    return { session, messages };
  }

  it('a new chain may skip MAX_SKIP keys; skipping MAX_SKIP + 1 throws too-many-skipped and changes nothing', () => {
    let { envA, envB, alice, bob } = setup('new-chain');
    const b = burst(envA, alice, MAX_SKIP + 2);
    alice = b.session;
    const before = hex(bob);
    expect(codeOf(() => decryptMessage(envB, bob, b.messages[MAX_SKIP + 1] as Uint8Array))).toBe('too-many-skipped');
    expect(hex(bob)).toBe(before);
    // Exactly MAX_SKIP skipped keys is allowed.
    bob = decryptMessage(envB, bob, b.messages[MAX_SKIP] as Uint8Array).session;
    expect(totalSkipped(bob)).toBe(MAX_SKIP);
    bob = decryptMessage(envB, bob, b.messages[MAX_SKIP + 1] as Uint8Array).session;
    bob = decryptMessage(envB, bob, b.messages[0] as Uint8Array).session;
    bob = decryptMessage(envB, bob, b.messages[MAX_SKIP - 1] as Uint8Array).session;
    expect(totalSkipped(bob)).toBe(MAX_SKIP - 2);
    expectSkippedWithinCaps(bob);
  }, 60_000);

  it('within the current chain, skipping MAX_SKIP + 1 keys throws too-many-skipped; MAX_SKIP is allowed', () => {
    let { envA, envB, alice, bob } = setup('same-chain');
    const b = burst(envA, alice, MAX_SKIP + 3);
    alice = b.session;
    bob = decryptMessage(envB, bob, b.messages[0] as Uint8Array).session; // Nr = 1
    const before = hex(bob);
    expect(codeOf(() => decryptMessage(envB, bob, b.messages[MAX_SKIP + 2] as Uint8Array))).toBe('too-many-skipped');
    expect(hex(bob)).toBe(before);
    bob = decryptMessage(envB, bob, b.messages[MAX_SKIP + 1] as Uint8Array).session;
    expect(totalSkipped(bob)).toBe(MAX_SKIP);
    bob = decryptMessage(envB, bob, b.messages[MAX_SKIP + 2] as Uint8Array).session;
    expect(totalSkipped(bob)).toBe(MAX_SKIP);
  }, 60_000);

  it('a new chain whose PN leaves more than MAX_SKIP keys of the previous chain throws too-many-skipped', () => {
    for (const [extra, expected] of [
      [MAX_SKIP + 1, 'too-many-skipped'],
      [MAX_SKIP, 'ok'],
    ] as const) {
      let { envA, envB, alice, bob } = setup(`pn-${extra}`);
      const first = encryptMessage(envA, alice, body);
      alice = first.session;
      bob = decryptMessage(envB, bob, first.message).session; // Nr = 1 in Alice's chain
      alice = burst(envA, alice, extra).session; // never delivered: PN = extra + 1
      const reply = encryptMessage(envB, bob, body);
      bob = reply.session;
      alice = decryptMessage(envA, alice, reply.message).session;
      const next = encryptMessage(envA, alice, utf8('next chain'));
      const before = hex(bob);
      if (expected === 'ok') {
        const d = decryptMessage(envB, bob, next.message);
        expect(d.plaintext).toEqual(utf8('next chain'));
        expect(totalSkipped(d.session)).toBe(MAX_SKIP);
      } else {
        expect(codeOf(() => decryptMessage(envB, bob, next.message))).toBe(expected);
        expect(hex(bob)).toBe(before);
      }
    }
  }, 60_000);

  it('the skipped store drops the oldest chains beyond MAX_SKIPPED_CHAINS', () => {
    let { envA, envB, alice, bob } = setup('chains');
    const lost: Uint8Array[] = [];
    const rounds = MAX_SKIPPED_CHAINS + 2;
    for (let i = 0; i < rounds; i++) {
      const b = burst(envA, alice, 2);
      alice = b.session;
      lost.push(b.messages[0] as Uint8Array);
      bob = decryptMessage(envB, bob, b.messages[1] as Uint8Array).session;
      expect(bob.ratchet.skipped.length).toBe(Math.min(i + 1, MAX_SKIPPED_CHAINS));
      expectSkippedWithinCaps(bob);
      const r = encryptMessage(envB, bob, body);
      bob = r.session;
      alice = decryptMessage(envA, alice, r.message).session;
    }
    // The two oldest chains were evicted: their header keys are gone, so the header cannot open.
    for (const [i, m] of lost.entries()) {
      if (i < rounds - MAX_SKIPPED_CHAINS) {
        const before = hex(bob);
        expect(codeOf(() => decryptMessage(envB, bob, m))).toBe('decrypt-failed');
        expect(hex(bob)).toBe(before);
      } else {
        bob = decryptMessage(envB, bob, m).session;
      }
    }
    expect(bob.ratchet.skipped).toEqual([]);
  }, 60_000);

  it('the skipped store keeps at most MAX_SKIPPED_KEYS keys, dropping the oldest keys of the oldest chain first', () => {
    let { envA, envB, alice, bob } = setup('keys');
    const chains: Uint8Array[][] = [];
    // Skip 1000, 1000 then 500 keys in three successive chains: 2500 > MAX_SKIPPED_KEYS.
    for (const skip of [MAX_SKIP, MAX_SKIP, MAX_SKIP / 2]) {
      const b = burst(envA, alice, skip + 1);
      alice = b.session;
      chains.push(b.messages);
      bob = decryptMessage(envB, bob, b.messages[skip] as Uint8Array).session;
      expectSkippedWithinCaps(bob);
      const r = encryptMessage(envB, bob, body);
      bob = r.session;
      alice = decryptMessage(envA, alice, r.message).session;
    }
    expect(totalSkipped(bob)).toBe(MAX_SKIPPED_KEYS);
    const sizes = bob.ratchet.skipped.map((c) => c.keys.size);
    expect(sizes).toEqual([MAX_SKIP / 2, MAX_SKIP, MAX_SKIP / 2]);
    const oldest = chains[0] as Uint8Array[];
    // The first chain kept only its newest 500 keys: its header key is still known, the key is not.
    expect([...(bob.ratchet.skipped[0]?.keys.keys() ?? [])][0]).toBe(MAX_SKIP / 2);
    const before = hex(bob);
    expect(codeOf(() => decryptMessage(envB, bob, oldest[0] as Uint8Array))).toBe('duplicate-message');
    expect(codeOf(() => decryptMessage(envB, bob, oldest[MAX_SKIP / 2 - 1] as Uint8Array))).toBe('duplicate-message');
    expect(hex(bob)).toBe(before);
    bob = decryptMessage(envB, bob, oldest[MAX_SKIP / 2] as Uint8Array).session;
    bob = decryptMessage(envB, bob, (chains[1] as Uint8Array[])[0] as Uint8Array).session;
    bob = decryptMessage(envB, bob, (chains[2] as Uint8Array[])[0] as Uint8Array).session;
    expect(totalSkipped(bob)).toBe(MAX_SKIPPED_KEYS - 3);
    // A restored state keeps the same store.
    expect(hex(decodeSession(encodeSession(bob)))).toBe(hex(bob));
  }, 60_000);
});
