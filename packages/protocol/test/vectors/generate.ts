/**
 * Known-answer vectors for Parley protocol v1 (bundle, PQXDH, Double Ratchet, safety numbers, the
 * WebSocket's binary frames) and v2 (pq-ratchet.json: PQXDH and a conversation through a KEM epoch),
 * and the one-off saved-session fixtures in test/fixtures. The builders of the later files live
 * beside this one, one module each with its own test (docs/protocol.md §10 lists them all):
 * pqxdh-variants.ts (pqxdh-no-opk, last-resort, identity-pinning), bound-proofs.ts, skipped-keys.ts,
 * padding.ts, negative.ts, ed25519-edge.ts, sealed-initial.ts, device-link.ts, group-proof.ts. Each of those files carries a "description" and the "sections" it covers.
 *
 *   npx tsx packages/protocol/test/vectors/generate.ts             # (re)writes test/vectors/*.json
 *   npx tsx packages/protocol/test/vectors/generate.ts --fixture   # writes test/fixtures/session-v1.*
 *   npx tsx packages/protocol/test/vectors/generate.ts --fixture --v2   # writes test/fixtures/session-v2.*
 *                                                                  # once; refuses to overwrite
 *
 * Everything is derived from fixed seeds through `testEnv` (test/kit.ts), so the output is a pure
 * function of the protocol code: vectors.test.ts calls the same builders on both backends and
 * compares with the committed JSON. The call order inside each builder is part of the vectors
 * (each random draw and each clock tick is consumed in order), so never reorder the steps.
 * Every random draw is also recorded, so a consumer without the seeded RNG can replay them.
 *
 * Importing this module has no side effects; files are written only when it is the main module.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import {
  acceptInitialMessage,
  type CryptoBackend,
  createInitiatorSession,
  decodeInitialMessage,
  decodeSession,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeIdentity,
  encodeSession,
  encryptMessage,
  fromHex,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  type KemPreKey,
  kemPreKeyPublic,
  type OneTimePreKey,
  oneTimePreKeyPublic,
  type PreKeyBundle,
  publicIdentity,
  SAFETY_NUMBER_ITERATIONS,
  type Session,
  type SessionVersion,
  type SignedPreKey,
  safetyNumber,
  signedPreKeyPublic,
  toHex,
  utf8,
} from '../../src/index.ts';
import { buildBoundProofsVector } from './bound-proofs.ts';
import {
  asRecorded,
  CLOCK_START,
  type Hex,
  type IdentityVector,
  identityVector,
  type Recorder,
  RNG_DESCRIPTION,
  recorder,
} from './common.ts';
import { buildDeviceLinkVector } from './device-link.ts';
import { buildEd25519EdgeVector } from './ed25519-edge.ts';
import { buildGroupProofVector } from './group-proof.ts';
import { buildNegativeVector } from './negative.ts';
import { buildPaddingVector } from './padding.ts';
import { buildLastResortVector, buildNoOpkVector, buildPinningVector } from './pqxdh-variants.ts';
import { buildSealedVector } from './sealed-initial.ts';
import { buildSkippedKeysVector } from './skipped-keys.ts';
import { buildSocketFramesVector } from './socket-frames.ts';

export {
  CLOCK_START,
  type Hex,
  type IdentityVector,
  identityVector,
  type Recorder,
  type Replay,
  RNG_DESCRIPTION,
  recorder,
  replayEnv,
} from './common.ts';

export const VECTOR_SEEDS = { alice: 'parley/vectors/v1/alice', bob: 'parley/vectors/v1/bob' } as const;
export const PQ_VECTOR_SEEDS = { alice: 'parley/vectors/v2/alice', bob: 'parley/vectors/v2/bob' } as const;
export const FIXTURE_SEEDS_V2 = {
  alice: 'parley/fixture/session-v2/alice',
  bob: 'parley/fixture/session-v2/bob',
} as const;
export const FIXTURE_SEEDS = {
  alice: 'parley/fixture/session-v1/alice',
  bob: 'parley/fixture/session-v1/bob',
} as const;

const ALICE_DEVICE = 1;
const BOB_DEVICE = 2;
const SPK_ID = 1;
const OTK_ID = 100;
const KEM_ID = 200;

// ---------------------------------------------------------------------------------------------
// Bob's device keys and bundle.

interface BobKeys {
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKey: OneTimePreKey;
  readonly kemPreKey: KemPreKey;
  readonly random: {
    readonly identity: Hex[];
    readonly signedPreKey: Hex[];
    readonly oneTimePreKey: Hex[];
    readonly kemPreKey: Hex[];
  };
}

/** Bob's keys, in this order (the order is part of the vectors). */
function makeBob(rec: Recorder): BobKeys {
  const identity = generateIdentity(rec.env);
  const rIdentity = rec.take();
  const signedPreKey = generateSignedPreKey(rec.env, identity, SPK_ID);
  const rSpk = rec.take();
  const oneTimePreKey = generateOneTimePreKeys(rec.env, OTK_ID, 1)[0];
  if (oneTimePreKey === undefined) throw new Error('no one-time prekey');
  const rOtk = rec.take();
  const kemPreKey = generateKemPreKey(rec.env, identity, KEM_ID, false);
  const rKem = rec.take();
  return {
    identity,
    signedPreKey,
    oneTimePreKey,
    kemPreKey,
    random: { identity: rIdentity, signedPreKey: rSpk, oneTimePreKey: rOtk, kemPreKey: rKem },
  };
}

function bundleOfBob(b: BobKeys, version: SessionVersion = 1): PreKeyBundle {
  return {
    version,
    identity: publicIdentity(b.identity),
    deviceId: deviceId(BOB_DEVICE),
    signedPreKey: signedPreKeyPublic(b.signedPreKey),
    oneTimePreKey: oneTimePreKeyPublic(b.oneTimePreKey),
    kemPreKey: kemPreKeyPublic(b.kemPreKey),
  };
}

export interface BundleVector {
  readonly description: string;
  readonly seed: string;
  readonly clockStart: number;
  readonly steps: readonly string[];
  readonly deviceId: number;
  readonly identity: IdentityVector & { readonly random: Hex[] };
  readonly signedPreKey: {
    readonly id: number;
    readonly createdAt: number;
    readonly privateKey: Hex;
    readonly publicKey: Hex;
    readonly signature: Hex;
    readonly random: Hex[];
  };
  readonly oneTimePreKey: { readonly id: number; readonly privateKey: Hex; readonly publicKey: Hex; random: Hex[] };
  readonly kemPreKey: {
    readonly id: number;
    readonly lastResort: boolean;
    readonly createdAt: number;
    /** The 64-byte ML-KEM-768 KeyGen seed d ‖ z (FIPS 203 §7.1). */
    readonly keygenSeed: Hex;
    readonly publicKey: Hex;
    readonly secretKey: Hex;
    readonly signature: Hex;
    readonly random: Hex[];
  };
  /** encodeBundle (docs/protocol.md §4.1). */
  readonly bundle: Hex;
}

export function buildBundleVector(crypto: CryptoBackend): BundleVector {
  const bob = makeBob(recorder(VECTOR_SEEDS.bob, crypto));
  const { signedPreKey: spk, oneTimePreKey: otk, kemPreKey: kem } = bob;
  return {
    description:
      "Bob's prekey bundle. With env = testEnv(seed) Bob runs, in this order: generateIdentity(env); " +
      `generateSignedPreKey(env, identity, ${SPK_ID}); generateOneTimePreKeys(env, ${OTK_ID}, 1); ` +
      `generateKemPreKey(env, identity, ${KEM_ID}, false). The bundle (device ${BOB_DEVICE}) carries all ` +
      `three prekeys and is encoded with encodeBundle. ${RNG_DESCRIPTION}`,
    seed: VECTOR_SEEDS.bob,
    clockStart: CLOCK_START,
    steps: [
      'identity = generateIdentity(env)  // random(32) Ed25519 seed, random(32) X25519 key',
      `signedPreKey = generateSignedPreKey(env, identity, ${SPK_ID})  // random(32), now()`,
      `oneTimePreKey = generateOneTimePreKeys(env, ${OTK_ID}, 1)[0]  // random(32)`,
      `kemPreKey = generateKemPreKey(env, identity, ${KEM_ID}, false)  // random(64) KeyGen seed, now()`,
      `bundle = encodeBundle({ identity, deviceId: ${BOB_DEVICE}, signedPreKey, oneTimePreKey, kemPreKey })`,
    ],
    deviceId: BOB_DEVICE,
    identity: { ...identityVector(bob.identity), random: bob.random.identity },
    signedPreKey: {
      id: spk.id,
      createdAt: spk.createdAt,
      privateKey: toHex(spk.keyPair.privateKey),
      publicKey: toHex(spk.keyPair.publicKey),
      signature: toHex(spk.signature),
      random: bob.random.signedPreKey,
    },
    oneTimePreKey: {
      id: otk.id,
      privateKey: toHex(otk.keyPair.privateKey),
      publicKey: toHex(otk.keyPair.publicKey),
      random: bob.random.oneTimePreKey,
    },
    kemPreKey: {
      id: kem.id,
      lastResort: kem.lastResort,
      createdAt: kem.createdAt,
      keygenSeed: bob.random.kemPreKey[0] ?? '',
      publicKey: toHex(kem.keyPair.publicKey),
      secretKey: toHex(kem.keyPair.secretKey),
      signature: toHex(kem.signature),
      random: bob.random.kemPreKey,
    },
    bundle: toHex(encodeBundle(bundleOfBob(bob))),
  };
}

// ---------------------------------------------------------------------------------------------
// PQXDH: Alice starts a session from Bob's bundle; Bob accepts her first message.

interface Established {
  readonly alice: Recorder;
  readonly bob: Recorder;
  readonly bobKeys: BobKeys;
  readonly aliceIdentity: IdentityKeyPair;
  readonly aliceSession: Session;
  readonly bobSession: Session;
  readonly vector: Omit<PqxdhVector, 'description'>;
}

const FIRST_PLAINTEXT = 'hello bob';

function establish(
  crypto: CryptoBackend,
  seeds: { readonly alice: string; readonly bob: string },
  version: SessionVersion = 1,
): Established {
  const alice = recorder(seeds.alice, crypto);
  const bob = recorder(seeds.bob, crypto);
  const bobKeys = makeBob(bob);
  const bundle = bundleOfBob(bobKeys, version);
  bob.take();

  const aliceIdentity = generateIdentity(alice.env);
  const rIdentity = alice.take();
  let aliceSession = createInitiatorSession(alice.env, aliceIdentity, deviceId(ALICE_DEVICE), bundle);
  const rCreate = alice.take();
  const first = encryptMessage(alice.env, aliceSession, utf8(FIRST_PLAINTEXT));
  const rEncrypt = alice.take();
  aliceSession = first.session;

  const accepted = asRecorded(
    acceptInitialMessage(bob.env, bobKeys.identity, deviceId(BOB_DEVICE), decodeInitialMessage(first.message), {
      signedPreKey: bobKeys.signedPreKey,
      oneTimePreKey: bobKeys.oneTimePreKey,
      kemPreKey: bobKeys.kemPreKey,
    }),
  );
  const rAccept = bob.take();
  const bobSession = accepted.session;
  const { consumed } = accepted;

  return {
    alice,
    bob,
    bobKeys,
    aliceIdentity,
    aliceSession,
    bobSession,
    vector: {
      seeds: { alice: seeds.alice, bob: seeds.bob },
      clockStart: CLOCK_START,
      steps: [
        'bob: the steps of bundle.json on envB = testEnv(seeds.bob)',
        'alice: identity = generateIdentity(envA)  // envA = testEnv(seeds.alice); random(32), random(32)',
        `alice: session = createInitiatorSession(envA, identity, ${ALICE_DEVICE}, bundle)  // random(32) EK_A, random(32) ML-KEM Encaps m, random(32) first ratchet key`,
        `alice: { session, message: initialMessage } = encryptMessage(envA, session, utf8("${FIRST_PLAINTEXT}"))  // random(12) nonce`,
        `bob: acceptInitialMessage(envB, bobIdentity, ${BOB_DEVICE}, decodeInitialMessage(initialMessage), { signedPreKey, oneTimePreKey, kemPreKey })  // random(32) ratchet key`,
      ],
      alice: {
        deviceId: ALICE_DEVICE,
        identity: identityVector(aliceIdentity),
        random: { identity: rIdentity, createSession: rCreate, encrypt: rEncrypt },
      },
      bob: { deviceId: BOB_DEVICE, bundle: toHex(encodeBundle(bundle)), random: { accept: rAccept } },
      plaintext: FIRST_PLAINTEXT,
      initialMessage: toHex(first.message),
      associatedData: toHex(aliceSession.associatedData),
      baseKey: toHex(aliceSession.baseKey),
      aliceState: toHex(encodeSession(aliceSession)),
      bobPlaintext: toHex(accepted.plaintext),
      bobAssociatedData: toHex(bobSession.associatedData),
      consumed: {
        oneTimePreKeyId: consumed.oneTimePreKeyId,
        kemPreKeyId: consumed.kemPreKeyId,
        lastResortBaseKey: consumed.lastResortBaseKey && toHex(consumed.lastResortBaseKey.baseKey),
      },
      bobState: toHex(encodeSession(bobSession)),
    },
  };
}

export interface PqxdhVector {
  readonly description: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly steps: readonly string[];
  readonly alice: {
    readonly deviceId: number;
    readonly identity: IdentityVector;
    readonly random: { readonly identity: Hex[]; readonly createSession: Hex[]; readonly encrypt: Hex[] };
  };
  readonly bob: { readonly deviceId: number; readonly bundle: Hex; readonly random: { readonly accept: Hex[] } };
  readonly plaintext: string;
  /** encodeInitialMessage (docs/protocol.md §6.1). */
  readonly initialMessage: Hex;
  /** AD = Encode(IK_A) ‖ Encode(IK_B), the same on both sides. */
  readonly associatedData: Hex;
  /** EK_A public key. */
  readonly baseKey: Hex;
  /** encodeSession of Alice's session after encrypting (still pending). */
  readonly aliceState: Hex;
  /** What Bob decrypted, as hex. */
  readonly bobPlaintext: Hex;
  readonly bobAssociatedData: Hex;
  readonly consumed: {
    readonly oneTimePreKeyId: number | null;
    readonly kemPreKeyId: number | null;
    readonly lastResortBaseKey: Hex | null;
  };
  /** encodeSession of Bob's session after acceptInitialMessage. */
  readonly bobState: Hex;
}

export function buildPqxdhVector(crypto: CryptoBackend): PqxdhVector {
  return {
    description:
      "PQXDH session start: Alice creates a session from Bob's bundle (the one in bundle.json, same seed and " +
      'steps) and encrypts her first message (an initial message); Bob accepts it. "steps" lists the calls in ' +
      'order, with the random draws each makes. Recorded: both identities and their private keys, the ' +
      "initial message, the associated data and base key both sides see, Bob's decrypted plaintext and both " +
      `encoded session states (encodeSession). ${RNG_DESCRIPTION}`,
    ...establish(crypto, VECTOR_SEEDS).vector,
  };
}

// ---------------------------------------------------------------------------------------------
// Double Ratchet: a scripted conversation with out-of-order delivery.

type Party = 'alice' | 'bob';
type Action =
  | { readonly op: 'send'; readonly party: Party; readonly id: string; readonly text: string }
  | { readonly op: 'receive'; readonly party: Party; readonly id: string };

const send = (party: Party, id: string, text: string): Action => ({ op: 'send', party, id, text });
const receive = (party: Party, id: string): Action => ({ op: 'receive', party, id });

export interface RatchetStep {
  readonly step: number;
  readonly id: string;
  readonly sender: Party;
  readonly receiver: Party;
  readonly plaintext: string;
  /** The sender's encoded session before encrypting, the draws encryptMessage made, and after. */
  readonly senderStateBefore: Hex;
  readonly senderRandom: Hex[];
  readonly senderStateAfter: Hex;
  readonly message: Hex;
  /** The receiver's encoded session before decrypting, the draws decryptMessage made, and after. */
  readonly receiverStateBefore: Hex;
  readonly receiverRandom: Hex[];
  readonly receiverStateAfter: Hex;
}

type Sent = Omit<RatchetStep, 'step' | 'receiver' | 'receiverStateBefore' | 'receiverRandom' | 'receiverStateAfter'>;

interface Conversation {
  readonly sessions: Record<Party, Session>;
  readonly steps: RatchetStep[];
  readonly messages: Map<string, Uint8Array>;
  readonly sent: Map<string, Sent>;
}

function conversation(alice: Session, bob: Session): Conversation {
  return { sessions: { alice, bob }, steps: [], messages: new Map(), sent: new Map() };
}

function runScript(recs: Record<Party, Recorder>, conv: Conversation, script: readonly Action[]): void {
  const sent = conv.sent;
  for (const a of script) {
    const rec = recs[a.party];
    rec.take();
    const before = conv.sessions[a.party];
    if (a.op === 'send') {
      const r = encryptMessage(rec.env, before, utf8(a.text));
      conv.sessions[a.party] = r.session;
      conv.messages.set(a.id, r.message);
      sent.set(a.id, {
        id: a.id,
        sender: a.party,
        plaintext: a.text,
        senderStateBefore: toHex(encodeSession(before)),
        senderRandom: rec.take(),
        senderStateAfter: toHex(encodeSession(r.session)),
        message: toHex(r.message),
      });
    } else {
      const s = sent.get(a.id);
      const message = conv.messages.get(a.id);
      if (s === undefined || message === undefined) throw new Error(`script receives ${a.id} before it is sent`);
      const r = decryptMessage(rec.env, before, message);
      if (new TextDecoder().decode(r.plaintext) !== s.plaintext) throw new Error(`${a.id} decrypted wrongly`);
      conv.sessions[a.party] = r.session;
      conv.steps.push({
        step: conv.steps.length + 1,
        id: s.id,
        sender: s.sender,
        receiver: a.party,
        plaintext: s.plaintext,
        senderStateBefore: s.senderStateBefore,
        senderRandom: s.senderRandom,
        senderStateAfter: s.senderStateAfter,
        message: s.message,
        receiverStateBefore: toHex(encodeSession(before)),
        receiverRandom: rec.take(),
        receiverStateAfter: toHex(encodeSession(r.session)),
      });
    }
  }
}

function describeScript(script: readonly Action[]): string[] {
  return script.map((a) =>
    a.op === 'send' ? `${a.party} encrypts ${a.id}: ${JSON.stringify(a.text)}` : `${a.party} decrypts ${a.id}`,
  );
}

const RATCHET_SCRIPT: readonly Action[] = [
  send('alice', 'A1', 'sent before any reply, so framed as an initial message again'),
  receive('bob', 'A1'),
  send('bob', 'B1', 'hello alice'),
  receive('alice', 'B1'),
  send('alice', 'A2', 'm1'),
  send('alice', 'A3', 'm2 — grüße, привет, 你好 👋'),
  send('alice', 'A4', `m3: a longer message that no longer fits the 64-byte bucket: ${'x'.repeat(48)}`),
  receive('bob', 'A4'),
  receive('bob', 'A2'),
  receive('bob', 'A3'),
  send('bob', 'B2', 'b2 (delivered last, from an old chain)'),
  send('bob', 'B3', 'b3'),
  receive('alice', 'B3'),
  send('alice', 'A5', 'a5 starts a new chain'),
  receive('bob', 'A5'),
  send('bob', 'B4', 'b4 starts a new chain too'),
  receive('alice', 'B4'),
  receive('alice', 'B2'),
  send('alice', 'A6', ''),
  receive('bob', 'A6'),
];

export interface RatchetVector {
  readonly description: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly setup: string;
  /** Encoded sessions right after the PQXDH exchange of pqxdh.json. */
  readonly initialStates: { readonly alice: Hex; readonly bob: Hex };
  readonly script: readonly string[];
  /** One entry per message, in delivery order. */
  readonly steps: readonly RatchetStep[];
}

export function buildRatchetVector(crypto: CryptoBackend): RatchetVector {
  const e = establish(crypto, VECTOR_SEEDS);
  const conv = conversation(e.aliceSession, e.bobSession);
  runScript({ alice: e.alice, bob: e.bob }, conv, RATCHET_SCRIPT);
  return {
    description:
      'Header-encrypted Double Ratchet conversation with out-of-order delivery, continuing from the PQXDH ' +
      'exchange of pqxdh.json with the same two environments (so the draws continue where pqxdh.json stops). ' +
      '"script" is the exact order of encryptMessage/decryptMessage calls; "steps" has one entry per message ' +
      "in delivery order with the sender's and receiver's encoded sessions (encodeSession) before and after " +
      'and the random draws of each call, so each step can be checked alone: ' +
      'decryptMessage(replay(receiverRandom), decodeSession(receiverStateBefore), message) yields plaintext and ' +
      `receiverStateAfter. ${RNG_DESCRIPTION}`,
    seeds: { alice: VECTOR_SEEDS.alice, bob: VECTOR_SEEDS.bob },
    clockStart: CLOCK_START,
    setup: 'pqxdh.json: Alice encrypted "hello bob" as an initial message and Bob accepted it',
    initialStates: { alice: e.vector.aliceState, bob: e.vector.bobState },
    script: describeScript(RATCHET_SCRIPT),
    steps: conv.steps,
  };
}

// ---------------------------------------------------------------------------------------------
// Protocol v2: PQXDH with a v2 bundle, then a conversation that completes a KEM epoch.

/** A 600-byte plaintext: its 1024-byte bucket leaves a 422-byte KEM section (416 bytes of chunk). */
function long(id: string): string {
  const head = `${id}: a long message whose padding slack carries a KEM chunk `;
  return head + '.'.repeat(600 - head.length);
}

const PQ_SCRIPT: readonly Action[] = [
  send('bob', 'B1', long('B1')),
  send('bob', 'B2', long('B2')),
  send('bob', 'B3', long('B3')),
  send('bob', 'B4', long('B4 (its ek chunk arrives after Alice has encapsulated: ignored)')),
  receive('alice', 'B1'),
  receive('alice', 'B3'),
  receive('alice', 'B2'),
  send('alice', 'A1', long('A1')),
  send('alice', 'A2', long('A2')),
  send('alice', 'A3', long('A3')),
  receive('alice', 'B4'),
  receive('bob', 'A2'),
  receive('bob', 'A3'),
  receive('bob', 'A1'),
  send('bob', 'B5', 'b5: Bob has decapsulated; his current chain started before, so no flag yet'),
  receive('alice', 'B5'),
  send('alice', 'A4', 'a4 starts a new chain'),
  receive('bob', 'A4'),
  send('bob', 'B6', 'b6: first chain that mixed the KEM secret (flag set)'),
  receive('alice', 'B6'),
  send('alice', 'A5', long('A5: Alice is the keyholder of epoch 2')),
  receive('bob', 'A5'),
];

/** Where a state's KEM ratchet is, e.g. "keyholder 1 (key pair, 0/1088 ciphertext bytes)". */
function kemSummary(state: Hex): string {
  const k = decodeSession(fromHex(state)).ratchet.kem;
  if (k === null) return 'none (version 1)';
  switch (k.phase) {
    case 'keyholder':
      return k.keys === null
        ? `keyholder of epoch ${k.epoch}, no key pair yet`
        : `keyholder of epoch ${k.epoch}, ek cursor ${k.cursor}, ${1088 - k.ct.missing}/1088 ciphertext bytes received`;
    case 'ready':
      return `keyholder of epoch ${k.epoch}, decapsulated: secret waits for the next sending chain`;
    case 'collecting':
      return `encapsulator of epoch ${k.epoch}, ${1184 - k.ek.missing}/1184 encapsulation key bytes received`;
    case 'encapsulated':
      return `encapsulator of epoch ${k.epoch}, encapsulated, ct cursor ${k.cursor}`;
  }
}

export interface PqRatchetVector {
  readonly description: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  /** The PQXDH exchange with a version 2 bundle, in the form of pqxdh.json. */
  readonly setup: Omit<PqxdhVector, 'description'>;
  /** Bob's private keys behind setup.bob.bundle (its prekey ids are those of bundle.json). */
  readonly bobKeys: {
    readonly identity: IdentityVector;
    readonly signedPreKey: { readonly privateKey: Hex; readonly createdAt: number; readonly signature: Hex };
    readonly oneTimePreKey: { readonly privateKey: Hex };
    readonly kemPreKey: {
      readonly publicKey: Hex;
      readonly secretKey: Hex;
      readonly createdAt: number;
      readonly signature: Hex;
    };
  };
  readonly initialStates: { readonly alice: Hex; readonly bob: Hex };
  readonly script: readonly string[];
  readonly steps: readonly (RatchetStep & { readonly senderKem: string; readonly receiverKem: string })[];
}

export function buildPqRatchetVector(crypto: CryptoBackend): PqRatchetVector {
  const e = establish(crypto, PQ_VECTOR_SEEDS, 2);
  const conv = conversation(e.aliceSession, e.bobSession);
  runScript({ alice: e.alice, bob: e.bob }, conv, PQ_SCRIPT);
  return {
    description:
      "Protocol version 2 (docs/protocol.md §13): Bob publishes a version 2 bundle (bundle.json's steps on " +
      'his own seed, encoded with version byte 2), Alice starts a session from it and Bob accepts her first ' +
      'message ("setup", in the form of pqxdh.json). Then a conversation in which Bob, the keyholder of KEM ' +
      'epoch 1, sends his ML-KEM-768 encapsulation key in chunks, Alice encapsulates and sends the ciphertext ' +
      'back in chunks (both out of order), Bob decapsulates and mixes the secret into the next sending chain ' +
      "he creates, Alice mixes it when that chain's first message arrives, and Alice starts epoch 2. Each " +
      "step has the same fields as ratchet.json, plus where each side's KEM ratchet is afterwards. " +
      RNG_DESCRIPTION,
    seeds: { alice: PQ_VECTOR_SEEDS.alice, bob: PQ_VECTOR_SEEDS.bob },
    clockStart: CLOCK_START,
    setup: e.vector,
    bobKeys: {
      identity: identityVector(e.bobKeys.identity),
      signedPreKey: {
        privateKey: toHex(e.bobKeys.signedPreKey.keyPair.privateKey),
        createdAt: e.bobKeys.signedPreKey.createdAt,
        signature: toHex(e.bobKeys.signedPreKey.signature),
      },
      oneTimePreKey: { privateKey: toHex(e.bobKeys.oneTimePreKey.keyPair.privateKey) },
      kemPreKey: {
        publicKey: toHex(e.bobKeys.kemPreKey.keyPair.publicKey),
        secretKey: toHex(e.bobKeys.kemPreKey.keyPair.secretKey),
        createdAt: e.bobKeys.kemPreKey.createdAt,
        signature: toHex(e.bobKeys.kemPreKey.signature),
      },
    },
    initialStates: { alice: e.vector.aliceState, bob: e.vector.bobState },
    script: describeScript(PQ_SCRIPT),
    steps: conv.steps.map((step) => ({
      ...step,
      senderKem: kemSummary(step.senderStateAfter),
      receiverKem: kemSummary(step.receiverStateAfter),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Safety numbers.

export interface SafetyNumberVector {
  readonly description: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly iterations: number;
  /** encodeIdentity of each side. */
  readonly alice: Hex;
  readonly bob: Hex;
  readonly digits: string;
  readonly display: string;
  /** safetyNumber(env, alice, bob).qrPayload and safetyNumber(env, bob, alice).qrPayload. */
  readonly aliceQrPayload: Hex;
  readonly bobQrPayload: Hex;
}

export function buildSafetyNumberVector(crypto: CryptoBackend): SafetyNumberVector {
  const a = recorder(VECTOR_SEEDS.alice, crypto);
  const b = recorder(VECTOR_SEEDS.bob, crypto);
  const alice = publicIdentity(generateIdentity(a.env));
  const bob = publicIdentity(generateIdentity(b.env));
  const fromAlice = safetyNumber(a.env, alice, bob);
  const fromBob = safetyNumber(b.env, bob, alice);
  if (fromAlice.digits !== fromBob.digits) throw new Error('safety numbers differ between the two sides');
  return {
    description:
      "Safety number of Alice's and Bob's identities: each identity is generateIdentity(testEnv(seed)) — the " +
      'first call on each environment, so they equal the identities in pqxdh.json and bundle.json. ' +
      `digits/display are the same from both sides; each side's QR payload puts its own fingerprint first. ${RNG_DESCRIPTION}`,
    seeds: { alice: VECTOR_SEEDS.alice, bob: VECTOR_SEEDS.bob },
    iterations: SAFETY_NUMBER_ITERATIONS,
    alice: toHex(encodeIdentity(alice)),
    bob: toHex(encodeIdentity(bob)),
    digits: fromAlice.digits,
    display: fromAlice.display,
    aliceQrPayload: toHex(fromAlice.qrPayload),
    bobQrPayload: toHex(fromBob.qrPayload),
  };
}

export function buildAllVectors(crypto: CryptoBackend): Record<string, object> {
  return {
    'bundle.json': buildBundleVector(crypto),
    'pqxdh.json': buildPqxdhVector(crypto),
    'ratchet.json': buildRatchetVector(crypto),
    'safety-number.json': buildSafetyNumberVector(crypto),
    'pq-ratchet.json': buildPqRatchetVector(crypto),
    'socket-frames.json': buildSocketFramesVector(),
    'pqxdh-no-opk.json': buildNoOpkVector(crypto),
    'last-resort.json': buildLastResortVector(crypto),
    'identity-pinning.json': buildPinningVector(crypto),
    'bound-proofs.json': buildBoundProofsVector(crypto),
    'skipped-keys.json': buildSkippedKeysVector(crypto),
    'padding.json': buildPaddingVector(crypto),
    'negative.json': buildNegativeVector(crypto),
    'ed25519-edge.json': buildEd25519EdgeVector(),
    'sealed-initial.json': buildSealedVector(crypto),
    'device-link.json': buildDeviceLinkVector(crypto),
    'group-proof.json': buildGroupProofVector(crypto),
  };
}

// ---------------------------------------------------------------------------------------------
// The saved-session fixture (test/fixtures/session-v1.*). Written once; see session-fixture.test.ts.

export interface SessionFixture {
  readonly description: string;
  readonly format: string;
  readonly stateFile: string;
  readonly stateBytes: number;
  readonly party: string;
  readonly history: readonly string[];
  /** Skipped message keys in the saved state: message numbers per receiving chain, oldest chain first. */
  readonly skippedBefore: readonly (readonly number[])[];
  /** To decrypt in this order with the saved state; `random` holds the draws decryptMessage makes. */
  readonly messages: readonly {
    readonly id: string;
    readonly note: string;
    readonly message: Hex;
    readonly random: Hex[];
    readonly plaintext: string;
  }[];
  readonly skippedAfter: readonly (readonly number[])[];
  /** A message among `messages` whose second delivery must fail with `duplicate-message`. */
  readonly duplicate: string;
  /** The peer's saved state at the same point, to check that the loaded session can reply. */
  readonly peer: { readonly party: string; readonly state: Hex };
}

const FIXTURE_BEFORE: readonly Action[] = [
  send('bob', 'B0', 'hello alice'),
  receive('alice', 'B0'),
  send('alice', 'A1', 'a1'),
  send('alice', 'A2', 'a2: from an older receiving chain'),
  send('alice', 'A3', 'a3'),
  send('alice', 'A4', 'a4'),
  receive('bob', 'A4'),
  send('bob', 'B1', 'b1'),
  receive('alice', 'B1'),
  send('alice', 'A5', 'a5'),
  send('alice', 'A6', 'a6: skipped in the current receiving chain'),
  send('alice', 'A7', 'a7'),
  send('alice', 'A8', 'a8: skipped implicitly when A9 ratchets — grüße 👋'),
  receive('bob', 'A7'),
  send('bob', 'B2', 'b2'),
];
const FIXTURE_AFTER: readonly Action[] = [receive('alice', 'B2'), send('alice', 'A9', 'a9: a new DH ratchet step')];
const FIXTURE_MESSAGES: readonly { readonly id: string; readonly note: string }[] = [
  { id: 'A2', note: 'skipped key in the older receiving chain' },
  { id: 'A9', note: "new ratchet public key: DH ratchet step, skips A8's key into the current chain" },
  { id: 'A6', note: 'skipped key in the previous chain (saved before the ratchet step)' },
  { id: 'A8', note: 'key skipped during the A9 ratchet step' },
];

function skippedNumbers(s: Session): number[][] {
  return s.ratchet.skipped.map((c) => [...c.keys.keys()]);
}

export function buildSessionFixture(
  crypto: CryptoBackend,
  version: SessionVersion = 1,
): { readonly hex: Hex; readonly json: SessionFixture } {
  const seeds = version === 1 ? FIXTURE_SEEDS : FIXTURE_SEEDS_V2;
  const e = establish(crypto, seeds, version);
  const recs = { alice: e.alice, bob: e.bob };
  const conv = conversation(e.aliceSession, e.bobSession);
  runScript(recs, conv, FIXTURE_BEFORE);
  const saved = conv.sessions.bob;
  const hex = toHex(encodeSession(saved));
  runScript(recs, conv, FIXTURE_AFTER);
  const peer = toHex(encodeSession(conv.sessions.alice));

  let bob = saved;
  const messages = FIXTURE_MESSAGES.map(({ id, note }) => {
    const message = conv.messages.get(id);
    if (message === undefined) throw new Error(`fixture message ${id} was not sent`);
    e.bob.take();
    const r = decryptMessage(e.bob.env, bob, message);
    bob = r.session;
    return {
      id,
      note,
      message: toHex(message),
      random: e.bob.take(),
      plaintext: new TextDecoder().decode(r.plaintext),
    };
  });
  const v = `v${version}`;
  const kemNote =
    version === 1
      ? ''
      : ' His KEM ratchet (docs/protocol.md §13) is mid-epoch: he is the keyholder of epoch 1 and has sent ' +
        'part of his encapsulation key, so the state holds his ML-KEM decapsulation key.';
  return {
    hex,
    json: {
      description:
        `A session state saved by Parley protocol ${v}: Bob's side (the responder) in the middle of a ` +
        `conversation, with skipped message keys in two receiving chains.${kemNote} Generated ONCE by ` +
        `\`generate.ts --fixture${version === 1 ? '' : ' --v2'}\` and never regenerated: it is the promise that later versions still load ` +
        `states saved by ${v}. session-fixture.test.ts decodes session-${v}.hex, checks that re-encoding gives ` +
        'the same bytes, decrypts "messages" in order (replaying each message\'s "random" draws), checks the ' +
        'plaintexts and the skipped keys left, that a second delivery of "duplicate" is refused, and that ' +
        'the peer (Alice, from "peer.state") can decrypt a reply. Seeds (only needed to regenerate, which ' +
        `must not happen): alice ${seeds.alice}, bob ${seeds.bob}; PQXDH as in ${version === 1 ? 'pqxdh.json' : 'pq-ratchet.json'}. ` +
        RNG_DESCRIPTION,
      format: `session state, wire version ${version}, type 0x04 (docs/protocol.md ${version === 1 ? '§8' : '§8, §13.8'}; session-codec.ts)`,
      stateFile: `session-${v}.hex`,
      stateBytes: hex.length / 2,
      party: `bob (responder, device ${BOB_DEVICE}); peer alice (device ${ALICE_DEVICE})`,
      history: [
        'alice encrypts "hello bob" (initial message); bob accepts it',
        ...describeScript(FIXTURE_BEFORE),
        `bob saves his session: session-${v}.hex`,
        ...describeScript(FIXTURE_AFTER),
        'alice saves her session: peer.state',
      ],
      skippedBefore: skippedNumbers(saved),
      messages,
      skippedAfter: skippedNumbers(bob),
      duplicate: 'A2',
      peer: { party: 'alice', state: peer },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Main: write the files.

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

function main(): void {
  if (process.argv.includes('--fixture')) {
    const version: SessionVersion = process.argv.includes('--v2') ? 2 : 1;
    const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));
    const hexPath = `${dir}session-v${version}.hex`;
    const jsonPath = `${dir}session-v${version}.json`;
    if (existsSync(hexPath) || existsSync(jsonPath)) {
      console.error(
        `${hexPath} already exists. The v${version} session fixture is generated once and must not change: ` +
          'delete both files by hand only if you really mean to replace the compatibility promise.',
      );
      process.exitCode = 1;
      return;
    }
    const fixture = buildSessionFixture(nodeBackend, version);
    if (json(buildSessionFixture(nobleBackend, version)) !== json(fixture)) {
      throw new Error('backends disagree on the fixture');
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(hexPath, `${fixture.hex}\n`);
    writeFileSync(jsonPath, json(fixture.json));
    console.log(`wrote ${hexPath} (${fixture.hex.length / 2} bytes of state) and ${jsonPath}`);
    return;
  }
  const dir = fileURLToPath(new URL('./', import.meta.url));
  const vectors = buildAllVectors(nodeBackend);
  const check = buildAllVectors(nobleBackend);
  // The committed files are the compatibility contract: a code change that alters one is a wire
  // or state change, so it is refused unless asked for by name (`-- --replace NAME.json`).
  const replace = new Set(process.argv.flatMap((a, i) => (process.argv[i - 1] === '--replace' ? [a] : [])));
  const changed: string[] = [];
  for (const [name, value] of Object.entries(vectors)) {
    if (json(check[name]) !== json(value)) throw new Error(`backends disagree on ${name}`);
    const path = `${dir}${name}`;
    if (existsSync(path) && readFileSync(path, 'utf8') !== json(value) && !replace.has(name)) {
      changed.push(name);
      continue;
    }
    writeFileSync(path, json(value));
    console.log(`wrote ${path}`);
  }
  if (changed.length > 0) {
    console.error(
      `not written, because the code now produces different bytes for committed vectors: ${changed.join(', ')}. ` +
        'Existing vectors are the compatibility contract; if the change is intended, pass --replace NAME.json for each.',
    );
    process.exitCode = 1;
  }
}

if (isMain()) main();
