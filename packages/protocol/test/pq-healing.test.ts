/**
 * What the KEM ratchet of protocol v2 is for (docs/protocol-v2.md §13.9, docs/threat-model.md §3.1):
 * after one side's session state leaks, an adversary who records every message and can break
 * X25519 (a quantum computer) loses track of the conversation once a KEM epoch whose randomness
 * was drawn after the leak has been mixed in — and never does in version 1.
 *
 * The adversary is simulated exactly: it starts from the leaked state and replays the victim's
 * later random draws, so it knows every X25519 private key the victim makes afterwards (which is
 * what breaking X25519 gives: every DH output from the public keys). Its crypto backend hands
 * ML-KEM a different seed and different encapsulation randomness than the victim used: the only
 * thing it cannot know is the KEM randomness drawn after the leak. It mirrors each of the
 * victim's operations; it "reads" a message to the victim if it decrypts it, and one from the
 * victim if its sending chain key equals the victim's (mk = KDF_CK(CKs)).
 *
 * If KDF_RK ignored the KEM secret, or the KEM chain were removed, the adversary would follow
 * forever and these tests fail; the version 1 case shows the harness itself does not heal.
 */
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  decodeSession,
  decryptMessage,
  defaultEnv,
  encodeSession,
  encryptMessage,
  type ProtocolEnv,
  ProtocolError,
  type Session,
  type SessionVersion,
  toHex,
} from '../src/index.ts';
import { establish, makeDevice, testEnv } from './kit.ts';

const crypto = defaultEnv.crypto;
const heavy = crypto.name === 'node';

/** A backend whose ML-KEM randomness differs from the caller's: the adversary's view of it. */
function kemBlind(c: CryptoBackend): CryptoBackend {
  const flip = (b: Uint8Array) => b.map((x, i) => (i === 0 ? x ^ 1 : x));
  return {
    ...c,
    mlKemKeygen: (seed) => c.mlKemKeygen(seed && flip(seed)),
    mlKemEncapsulate: (pk, m) => c.mlKemEncapsulate(pk, m && flip(m)),
  };
}

/** An environment that records its draws, so an adversary can replay the ones made after a leak. */
function recording(seed: string): { env: ProtocolEnv; draws: Uint8Array[] } {
  const base = testEnv(seed, crypto);
  const draws: Uint8Array[] = [];
  return {
    draws,
    env: {
      ...base,
      random: (n) => {
        const b = base.random(n);
        draws.push(b);
        return b;
      },
    },
  };
}

interface Observation {
  /** Messages since the leak, counting both directions. */
  readonly index: number;
  readonly fromVictim: boolean;
  /** The sender's KEM epoch when it sent (0 in version 1). */
  readonly senderEpoch: number;
  readonly readable: boolean;
}

/**
 * A ping-pong of `total` messages of `size` bytes; the victim's state leaks after `leakAt`
 * messages. Returns the adversary's view of every later message and the victim's epoch at the leak.
 */
function play(
  version: SessionVersion,
  victim: 'alice' | 'bob',
  leakAt: number,
  total: number,
  size: number,
): { leakEpoch: number; seen: Observation[] } {
  const a = recording(`heal-a-${version}-${victim}-${leakAt}`);
  const b = recording(`heal-b-${version}-${victim}-${leakAt}`);
  const pair = establish(a.env, b.env, makeDevice(a.env, 1), makeDevice(b.env, 2), true, version);
  const s: Record<'alice' | 'bob', Session> = { alice: pair.alice, bob: pair.bob };
  const rec = { alice: a, bob: b };
  let adversary: Session | null = null;
  let following = true;
  let replayed = 0;
  let leakEpoch = 0;
  const advEnv: ProtocolEnv = {
    crypto: kemBlind(crypto),
    now: () => 0,
    random: (n) => {
      const d = rec[victim].draws[replayed++];
      if (d === undefined || d.length !== n) throw new Error('adversary out of step with the victim');
      return d;
    },
  };
  const seen: Observation[] = [];
  for (let i = 0; i < total; i++) {
    if (i === leakAt) {
      adversary = decodeSession(encodeSession(s[victim]));
      replayed = rec[victim].draws.length;
      leakEpoch = s[victim].ratchet.kem?.epoch ?? 0;
    }
    const from = i % 2 === 0 ? 'alice' : 'bob';
    const to = from === 'alice' ? 'bob' : 'alice';
    const senderEpoch = s[from].ratchet.kem?.epoch ?? 0;
    const plaintext = new Uint8Array(size).fill(i & 0xff);
    const sent = encryptMessage(rec[from].env, s[from], plaintext);
    let readable = false;
    if (adversary !== null && following && from === victim) {
      // Mirror the victim's send; the adversary knows the message key iff it has the same chain key.
      readable =
        toHex(adversary.ratchet.sendChainKey ?? new Uint8Array(0)) ===
        toHex(s[from].ratchet.sendChainKey ?? new Uint8Array(1));
      adversary = encryptMessage(advEnv, adversary, plaintext).session;
      if (!readable) following = false;
    }
    s[from] = sent.session;
    const got = decryptMessage(rec[to].env, s[to], sent.message);
    expect(got.plaintext).toEqual(plaintext);
    s[to] = got.session;
    if (adversary !== null && following && to === victim) {
      try {
        const r = decryptMessage(advEnv, adversary, sent.message);
        readable = true;
        expect(r.plaintext).toEqual(plaintext);
        adversary = r.session;
      } catch (e) {
        if (!ProtocolError.is(e)) throw e;
        following = false;
      }
    }
    if (adversary !== null) seen.push({ index: seen.length, fromVictim: from === victim, senderEpoch, readable });
  }
  return { leakEpoch, seen };
}

/** 600-byte messages: each carries a ~400-byte KEM chunk, so an epoch takes about 11 messages. */
const SIZE = 600;
const TOTAL = 60;

describe(`post-quantum healing after a state leak (${crypto.name} backend)`, () => {
  it('version 1: an adversary who breaks X25519 reads every message after the leak, forever', () => {
    for (const victim of ['alice', 'bob'] as const) {
      const { seen } = play(1, victim, 5, TOTAL, SIZE);
      expect(seen.length).toBe(TOTAL - 5);
      expect(seen.every((o) => o.readable)).toBe(true);
    }
  });

  it('version 2: the same adversary loses every message sent after the epoch following the leak has been mixed in, whenever the leak happens', () => {
    const leaks = heavy ? Array.from({ length: 26 }, (_, i) => i + 2) : [3, 8, 14];
    let worst = 0;
    for (const victim of ['alice', 'bob'] as const) {
      for (const leakAt of leaks) {
        const { leakEpoch, seen } = play(2, victim, leakAt, TOTAL, SIZE);
        // Right after the leak the adversary reads along: the leaked state is complete.
        expect(seen[0]?.readable, `${victim} ${leakAt}`).toBe(true);
        // Once the sender has mixed the secret of epoch leakEpoch + 1, nothing is readable any more.
        const healed = seen.findIndex((o) => o.senderEpoch >= leakEpoch + 2);
        expect(healed, `${victim} ${leakAt}: the conversation must get two epochs further`).toBeGreaterThan(0);
        for (const o of seen.slice(healed)) expect(o.readable, `${victim} ${leakAt} #${o.index}`).toBe(false);
        // And the adversary, once locked out, never gets back in.
        const firstLost = seen.findIndex((o) => !o.readable);
        expect(seen.slice(firstLost).every((o) => !o.readable)).toBe(true);
        worst = Math.max(worst, firstLost);
      }
    }
    // With ~11 messages per epoch, healing took at most two epochs and a round trip.
    expect(worst).toBeLessThanOrEqual(2 * 12 + 2);
  }, 120_000);

  it('message keys depend on the KEM secrets: the same conversation with other ML-KEM randomness agrees until the first KEM secret is mixed, and never after', () => {
    const roots = (blind: boolean): { root: string; epoch: number }[] => {
      const setupA = testEnv('kem-dep-a', crypto);
      const setupB = testEnv('kem-dep-b', crypto);
      const d = testEnv('kem-dep-devices', crypto);
      let { alice, bob } = establish(setupA, setupB, makeDevice(d, 1), makeDevice(d, 2));
      // Same random streams from here on; only what ML-KEM makes of them differs.
      const envA = blind ? { ...setupA, crypto: kemBlind(crypto) } : setupA;
      const envB = blind ? { ...setupB, crypto: kemBlind(crypto) } : setupB;
      const out: { root: string; epoch: number }[] = [];
      for (let i = 0; i < 40; i++) {
        const fromAlice = i % 2 === 0;
        const m = encryptMessage(fromAlice ? envA : envB, fromAlice ? alice : bob, new Uint8Array(SIZE));
        if (fromAlice) [alice, bob] = [m.session, decryptMessage(envB, bob, m.message).session];
        else [bob, alice] = [m.session, decryptMessage(envA, alice, m.message).session];
        out.push({ root: toHex(alice.ratchet.rootKey), epoch: alice.ratchet.kem?.epoch ?? 0 });
      }
      return out;
    };
    const real = roots(false);
    const other = roots(true);
    const firstMix = real.findIndex((r) => r.epoch >= 2);
    expect(firstMix).toBeGreaterThan(0);
    for (let i = 0; i < real.length; i++) {
      if ((real[i]?.epoch ?? 0) < 2) expect(other[i]?.root).toBe(real[i]?.root);
      else expect(other[i]?.root).not.toBe(real[i]?.root);
    }
  });
});
