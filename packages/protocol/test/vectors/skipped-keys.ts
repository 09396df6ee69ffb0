/**
 * Known-answer vector for skipped message keys across several receiving chains (docs/protocol.md
 * §7.3, §7.4, §8): skipped-keys.json. Alice sends in nine sending chains and Bob receives with
 * gaps, so his state holds up to five chains and 2000 keys: MAX_SKIP at its boundary (1000 keys
 * pass, 1001 are `too-many-skipped`), the chain cap dropping the first chain of the list, the key
 * cap evicting the first keys of the first chain (whole chains, then part of one), keys added to
 * a chain that keeps its place, both stores of one DH ratchet step, and the errors for evicted
 * keys. Bob's encoded state is recorded after every step he takes.
 * Written by generate.ts with the others; checked by vectors-skipped.test.ts on both backends.
 */
import {
  acceptInitialMessage,
  type CryptoBackend,
  createInitiatorSession,
  decodeInitialMessage,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeSession,
  encryptMessage,
  generateIdentity,
  ProtocolError,
  type Session,
  toHex,
  utf8,
} from '../../src/index.ts';
import {
  asRecorded,
  CLOCK_START,
  type Hex,
  type IdentityVector,
  identityVector,
  RNG_DESCRIPTION,
  recorder,
} from './common.ts';
import { bundleOf, makeResponder, type ResponderVector, responderKeys } from './pqxdh-variants.ts';

export const SKIPPED_SEEDS = {
  alice: 'parley/vectors/skipped-keys/alice',
  bob: 'parley/vectors/skipped-keys/bob',
} as const;

export interface SkippedStep {
  readonly step: number;
  readonly action: string;
  /** The message Bob decrypts, or the one he sends. */
  readonly message: Hex;
  /** Bob's draws during this step. */
  readonly random: Hex[];
  /** The error code Bob's step must fail with, or null. */
  readonly error: string | null;
  /** Bob's encoded state after the step; null when the step failed (the state is unchanged). */
  readonly bobState: Hex | null;
  /** Bob's skipped keys after the step, list order: "cK: N ranges" (cK = Alice's K-th sending chain). */
  readonly skipped: readonly string[];
  readonly sentSinceReceive: boolean;
}

export interface SkippedKeysVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly setup: readonly string[];
  readonly bob: ResponderVector;
  readonly bundle: Hex;
  readonly alice: { readonly deviceId: number; readonly identity: IdentityVector };
  readonly initialMessage: Hex;
  readonly bobRandom: Hex[];
  /** Bob's state after accepting the initial message (Alice's chain c1, N = 0). */
  readonly bobInitialState: Hex;
  /** Every call after the setup, in order: Alice's encryptions and Bob's steps. */
  readonly script: readonly string[];
  readonly steps: readonly SkippedStep[];
}

function ranges(ns: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < ns.length) {
    let j = i;
    while (j + 1 < ns.length && (ns[j + 1] as number) === (ns[j] as number) + 1) j++;
    out.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

export function buildSkippedKeysVector(crypto: CryptoBackend): SkippedKeysVector {
  const a = recorder(SKIPPED_SEEDS.alice, crypto);
  const b = recorder(SKIPPED_SEEDS.bob, crypto);
  const bobKeys = makeResponder(b, SKIPPED_SEEDS.bob, 200, false);
  const bundle = bundleOf(bobKeys, 1);
  const aliceId = generateIdentity(a.env);
  let alice = createInitiatorSession(a.env, aliceId, deviceId(1), bundle);
  const labels = new Map<string, string>();
  let chain = 1;
  labels.set(toHex(alice.ratchet.sendHeaderKey ?? new Uint8Array()), 'c1');
  /** Alice's messages by "cK:N". */
  const sent = new Map<string, Uint8Array>();
  const script: string[] = [];
  const aliceSends = (count: number) => {
    const first = alice.ratchet.sendCount;
    if (count > 0 && sent.size > 0)
      script.push(`alice encrypts c${chain} N=${count === 1 ? first : `${first}..${first + count - 1}`}`);
    for (let i = 0; i < count; i++) {
      const n = alice.ratchet.sendCount;
      const r = encryptMessage(a.env, alice, utf8(`c${chain} n${n}`));
      alice = r.session;
      sent.set(`c${chain}:${n}`, r.message);
    }
  };
  aliceSends(1);
  const initial = sent.get('c1:0') as Uint8Array;
  let bob: Session = asRecorded(
    acceptInitialMessage(b.env, bobKeys.identity, deviceId(2), decodeInitialMessage(initial), responderKeys(bobKeys)),
  ).session;
  const bobRandom = b.take();
  const bobInitialState = toHex(encodeSession(bob));

  const steps: SkippedStep[] = [];
  const summary = (s: Session) =>
    s.ratchet.skipped.map((c) => `${labels.get(toHex(c.headerKey)) ?? '?'}: ${ranges([...c.keys.keys()])}`);
  const record = (action: string, message: Uint8Array, error: string | null) => {
    script.push(`step ${steps.length + 1}: ${action}`);
    steps.push({
      step: steps.length + 1,
      action,
      message: toHex(message),
      random: b.take(),
      error,
      bobState: error === null ? toHex(encodeSession(bob)) : null,
      skipped: summary(bob),
      sentSinceReceive: bob.ratchet.sentSinceReceive,
    });
  };
  const bobReceives = (id: string, expected: string | null = null) => {
    const [c, n] = id.split(':');
    const message = sent.get(id);
    if (message === undefined) throw new Error(`${id} was not sent`);
    b.take();
    let error: string | null = null;
    try {
      const r = decryptMessage(b.env, bob, message);
      if (new TextDecoder().decode(r.plaintext) !== `${c} n${n}`) throw new Error(`${id} decrypted wrongly`);
      bob = r.session;
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      error = e.code;
    }
    if (error !== expected) throw new Error(`${id}: expected ${expected}, got ${error}`);
    record(`bob decrypts ${c} N=${n}${expected ? ` → ${expected}` : ''}`, message, error);
  };
  /** Bob sends; Alice receives it (a DH ratchet step for her) and starts her next chain. */
  let bobCount = 0;
  const bobSendsAliceRatchets = () => {
    bobCount++;
    b.take();
    const r = encryptMessage(b.env, bob, utf8(`B${bobCount}`));
    bob = r.session;
    record(`bob encrypts B${bobCount}; alice decrypts it and starts chain c${chain + 1}`, r.message, null);
    alice = decryptMessage(a.env, alice, r.message).session;
    chain++;
    labels.set(toHex(alice.ratchet.sendHeaderKey ?? new Uint8Array()), `c${chain}`);
  };

  aliceSends(5); // c1: N = 1..5
  bobReceives('c1:3'); // skips 1, 2 in c1
  bobSendsAliceRatchets(); // B1; sentSinceReceive = 1
  bobReceives('c1:1'); // from a stored key: clears sentSinceReceive
  aliceSends(3); // c2: N = 0..2
  bobReceives('c2:1'); // DH step: c1 gets 4, 5 (and keeps its place), then the new c2 gets 0
  bobReceives('c1:4');
  bobSendsAliceRatchets(); // B2
  aliceSends(2); // c3: N = 0..1
  bobReceives('c3:1'); // c2 gets 2, c3 gets 0
  bobSendsAliceRatchets(); // B3
  aliceSends(2); // c4
  bobReceives('c4:1');
  bobSendsAliceRatchets(); // B4
  aliceSends(2); // c5
  bobReceives('c5:1'); // five chains: c1 … c5
  bobSendsAliceRatchets(); // B5
  aliceSends(3); // c6
  bobReceives('c6:2'); // a sixth chain: c1, the first in the list, is dropped
  bobReceives('c1:2', 'decrypt-failed'); // its chain is gone: no header key opens it
  bobSendsAliceRatchets(); // B6
  aliceSends(1001); // c7: N = 0..1000
  bobReceives('c7:1000'); // exactly MAX_SKIP = 1000 keys; c2 dropped
  bobSendsAliceRatchets(); // B7
  aliceSends(1008); // c8: N = 0..1007
  bobReceives('c8:1001', 'too-many-skipped'); // 1001 keys in the new chain
  bobReceives('c8:698'); // 698 keys; c3 dropped
  bobReceives('c8:1007'); // 308 more in the current chain: 2010 keys, so c4, c5, c6 and c7's 0..5 go
  bobReceives('c7:3', 'duplicate-message'); // evicted, but its chain is still known
  bobReceives('c7:500');
  aliceSends(2); // c8: N = 1008, 1009, never delivered
  bobSendsAliceRatchets(); // B8
  aliceSends(5); // c9: N = 0..4
  bobReceives('c9:4'); // one DH step, two stores: c8 gets 1008, 1009, then c9 gets 0..3; the key cap acts after each
  bobReceives('c8:1009');

  return {
    description:
      'Skipped message keys across several receiving chains and both storage caps (§7.4), consistent with ' +
      "§7.3's store(). Bob publishes a version 1 bundle without a one-time prekey (generateIdentity, " +
      'generateSignedPreKey(…, 1), generateKemPreKey(…, 200, false)); Alice (device 1) starts a session and ' +
      'her first message (chain c1, N = 0) is accepted by Bob (device 2). Then Alice sends in nine sending ' +
      'chains c1 … c9, each message\'s plaintext being "cK nN", and Bob receives some of them out of order; ' +
      'between chains Bob sends "B1", "B2", … and Alice decrypts each, which starts her next chain. Every step ' +
      "of Bob's is recorded with the message, his draws, the error code it must fail with (null if none), " +
      'his encoded state after (null after an error: unchanged) and a summary of his skipped keys in list ' +
      "order. Each step can be checked alone from the previous step's state (bobInitialState for the first). " +
      `Alice's state is not recorded; replay it from the seeds. ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §7.2, §7.3, §7.4 (MAX_SKIP, MAX_SKIPPED_KEYS, MAX_SKIPPED_CHAINS, store), §7.5, §8',
    seeds: { ...SKIPPED_SEEDS },
    clockStart: CLOCK_START,
    setup: [
      'bob: identity = generateIdentity(envB); signedPreKey = generateSignedPreKey(envB, identity, 1); kemPreKey = generateKemPreKey(envB, identity, 200, false)',
      'bob: bundle = encodeBundle({ version: 1, identity, deviceId: 2, signedPreKey, oneTimePreKey: null, kemPreKey })',
      'alice: identity = generateIdentity(envA); session = createInitiatorSession(envA, identity, 1, bundle)',
      'alice: encryptMessage(envA, session, utf8("c1 n0")) → initialMessage',
      'bob: acceptInitialMessage(envB, identity, 2, decodeInitialMessage(initialMessage), keys) → bobInitialState',
      'then, in order: Alice\'s encryptMessage calls ("cK nN", N counting from 0 in each chain; messages not listed in steps are never delivered) interleaved with the steps',
    ],
    bob: bobKeys.vector,
    bundle: toHex(encodeBundle(bundle)),
    alice: { deviceId: 1, identity: identityVector(aliceId) },
    initialMessage: toHex(initial),
    bobRandom,
    bobInitialState,
    script,
    steps,
  };
}
