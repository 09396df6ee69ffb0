/**
 * Known-answer vectors for the PQXDH cases pqxdh.json does not cover (docs/protocol.md §4, §5):
 *
 *   pqxdh-no-opk.json      a bundle without a one-time prekey and the initial message against it,
 *                          in version 1 and version 2 (§4.1 and §6.1 with hasOpk = 0)
 *   last-resort.json       a last-resort KEM prekey: the record Bob keeps, the replay refused with
 *                          `replayed-initial-message`, and a second run on the same key (§5.7)
 *   identity-pinning.json  pinned identities on both sides: `identity-mismatch`, and a forged
 *                          certificate refused with or without a pin (§5.8, §3.1)
 *
 * Written by generate.ts with the others; checked by vectors-pqxdh.test.ts on both backends.
 */
import {
  acceptInitialMessage,
  type CryptoBackend,
  createInitiatorSession,
  decodeInitialMessage,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeIdentity,
  encodeSession,
  encryptMessage,
  equalBytes,
  fromHex,
  generateIdentity,
  generateKemPreKey,
  generateSignedPreKey,
  type IdentityKeyPair,
  type KemPreKey,
  kemPreKeyPublic,
  type PreKeyBundle,
  ProtocolError,
  publicIdentity,
  type SessionVersion,
  type SignedPreKey,
  signedPreKeyPublic,
  toHex,
  utf8,
} from '../../src/index.ts';
import type { ResponderKeys } from '../../src/session.ts';
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

const ALICE_DEVICE = 1;
const BOB_DEVICE = 2;
const SPK_ID = 1;
const KEM_ID = 200;
const LAST_RESORT_ID = 300;

/** A responder's keys without a one-time prekey, as vectors record them. */
export interface ResponderVector {
  readonly seed: string;
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
  readonly kemPreKey: {
    readonly id: number;
    readonly lastResort: boolean;
    readonly createdAt: number;
    readonly keygenSeed: Hex;
    readonly publicKey: Hex;
    readonly secretKey: Hex;
    readonly signature: Hex;
    readonly random: Hex[];
  };
}

export interface Responder {
  readonly identity: IdentityKeyPair;
  readonly signedPreKey: SignedPreKey;
  readonly kemPreKey: KemPreKey;
  readonly vector: ResponderVector;
}

/** generateIdentity; generateSignedPreKey(…, 1); generateKemPreKey(…, kemId, lastResort) — in this order. */
export function makeResponder(rec: Recorder, seed: string, kemId: number, lastResort: boolean): Responder {
  rec.take();
  const identity = generateIdentity(rec.env);
  const rId = rec.take();
  const signedPreKey = generateSignedPreKey(rec.env, identity, SPK_ID);
  const rSpk = rec.take();
  const kemPreKey = generateKemPreKey(rec.env, identity, kemId, lastResort);
  const rKem = rec.take();
  return {
    identity,
    signedPreKey,
    kemPreKey,
    vector: {
      seed,
      deviceId: BOB_DEVICE,
      identity: { ...identityVector(identity), random: rId },
      signedPreKey: {
        id: signedPreKey.id,
        createdAt: signedPreKey.createdAt,
        privateKey: toHex(signedPreKey.keyPair.privateKey),
        publicKey: toHex(signedPreKey.keyPair.publicKey),
        signature: toHex(signedPreKey.signature),
        random: rSpk,
      },
      kemPreKey: {
        id: kemPreKey.id,
        lastResort: kemPreKey.lastResort,
        createdAt: kemPreKey.createdAt,
        keygenSeed: rKem[0] ?? '',
        publicKey: toHex(kemPreKey.keyPair.publicKey),
        secretKey: toHex(kemPreKey.keyPair.secretKey),
        signature: toHex(kemPreKey.signature),
        random: rKem,
      },
    },
  };
}

export function bundleOf(r: Responder, version: SessionVersion, identity = publicIdentity(r.identity)): PreKeyBundle {
  return {
    version,
    identity,
    deviceId: deviceId(BOB_DEVICE),
    signedPreKey: signedPreKeyPublic(r.signedPreKey),
    oneTimePreKey: null,
    kemPreKey: kemPreKeyPublic(r.kemPreKey),
  };
}

/** A responder's private keys from its vector (no one-time prekey). */
export function keysFrom(crypto: CryptoBackend, v: ResponderVector): ResponderKeys {
  const spk = fromHex(v.signedPreKey.privateKey);
  return {
    signedPreKey: {
      id: v.signedPreKey.id,
      keyPair: { privateKey: spk, publicKey: crypto.x25519PublicKey(spk) },
      createdAt: v.signedPreKey.createdAt,
      signature: fromHex(v.signedPreKey.signature),
    },
    oneTimePreKey: null,
    kemPreKey: {
      id: v.kemPreKey.id,
      keyPair: { publicKey: fromHex(v.kemPreKey.publicKey), secretKey: fromHex(v.kemPreKey.secretKey) },
      lastResort: v.kemPreKey.lastResort,
      createdAt: v.kemPreKey.createdAt,
      signature: fromHex(v.kemPreKey.signature),
    },
  };
}

export function responderKeys(r: Responder) {
  return { signedPreKey: r.signedPreKey, oneTimePreKey: null, kemPreKey: r.kemPreKey };
}

/** The code of the ProtocolError `f` throws; anything else is a generator bug. */
export function errorCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (ProtocolError.is(e)) return e.code;
    throw e;
  }
  throw new Error('expected a ProtocolError');
}

// ---------------------------------------------------------------------------------------------
// pqxdh-no-opk.json

export interface NoOpkRun {
  readonly version: SessionVersion;
  readonly bob: ResponderVector;
  /** encodeBundle with hasOpk = 0: 1504 bytes. */
  readonly bundle: Hex;
  readonly alice: {
    readonly deviceId: number;
    readonly identity: IdentityVector;
    readonly random: { readonly identity: Hex[]; readonly createSession: Hex[]; readonly encrypt: Hex[] };
  };
  readonly plaintext: string;
  /** hasOpk = 0: the OPK id is absent and the ratchet message starts at offset 1263. */
  readonly initialMessage: Hex;
  readonly associatedData: Hex;
  readonly baseKey: Hex;
  readonly aliceState: Hex;
  readonly bobRandom: Hex[];
  readonly bobState: Hex;
  readonly consumed: { readonly oneTimePreKeyId: null; readonly kemPreKeyId: number | null };
}

export interface NoOpkVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly steps: readonly string[];
  readonly runs: readonly NoOpkRun[];
}

export const NO_OPK_SEEDS = { alice: 'parley/vectors/no-opk/alice', bob: 'parley/vectors/no-opk/bob' } as const;
const NO_OPK_PLAINTEXT = 'hello bob, no one-time prekey this time';

function noOpkRun(crypto: CryptoBackend, version: SessionVersion): NoOpkRun {
  const a = recorder(NO_OPK_SEEDS.alice, crypto);
  const b = recorder(NO_OPK_SEEDS.bob, crypto);
  const bob = makeResponder(b, NO_OPK_SEEDS.bob, KEM_ID, false);
  const bundle = bundleOf(bob, version);
  const aliceId = generateIdentity(a.env);
  const rId = a.take();
  const session = createInitiatorSession(a.env, aliceId, deviceId(ALICE_DEVICE), bundle);
  const rCreate = a.take();
  const sent = encryptMessage(a.env, session, utf8(NO_OPK_PLAINTEXT));
  const rEncrypt = a.take();
  const accepted = asRecorded(
    acceptInitialMessage(
      b.env,
      bob.identity,
      deviceId(BOB_DEVICE),
      decodeInitialMessage(sent.message),
      responderKeys(bob),
    ),
  );
  return {
    version,
    bob: bob.vector,
    bundle: toHex(encodeBundle(bundle)),
    alice: {
      deviceId: ALICE_DEVICE,
      identity: identityVector(aliceId),
      random: { identity: rId, createSession: rCreate, encrypt: rEncrypt },
    },
    plaintext: NO_OPK_PLAINTEXT,
    initialMessage: toHex(sent.message),
    associatedData: toHex(sent.session.associatedData),
    baseKey: toHex(sent.session.baseKey),
    aliceState: toHex(encodeSession(sent.session)),
    bobRandom: b.take(),
    bobState: toHex(encodeSession(accepted.session)),
    consumed: { oneTimePreKeyId: null, kemPreKeyId: accepted.consumed.kemPreKeyId },
  };
}

export function buildNoOpkVector(crypto: CryptoBackend): NoOpkVector {
  return {
    description:
      'A bundle without a one-time prekey (hasOpk = 0, 1504 bytes) and the initial message against it ' +
      '(no DH4 in KM; no OPK id, so the embedded ratchet message starts at offset 1263), once with version ' +
      '1 and once with version 2 (same seeds, so the same keys: only the version bytes, the PQXDH info ' +
      'string and the ratchet differ). Each run starts from fresh environments. Bob consumes only his ' +
      `one-time KEM prekey. ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §4.1, §5.2–§5.4, §6.1, §7.1, §8; version 2: §13.1, §13.6',
    seeds: { ...NO_OPK_SEEDS },
    clockStart: CLOCK_START,
    steps: [
      'bob: identity = generateIdentity(envB)  // random(32), random(32)',
      `bob: signedPreKey = generateSignedPreKey(envB, identity, ${SPK_ID})  // random(32), now()`,
      `bob: kemPreKey = generateKemPreKey(envB, identity, ${KEM_ID}, false)  // random(64), now()`,
      `bob: bundle = encodeBundle({ version, identity, deviceId: ${BOB_DEVICE}, signedPreKey, oneTimePreKey: null, kemPreKey })`,
      'alice: identity = generateIdentity(envA)  // random(32), random(32)',
      `alice: session = createInitiatorSession(envA, identity, ${ALICE_DEVICE}, bundle)  // random(32) EK_A, random(32) m, random(32) DHs`,
      `alice: encryptMessage(envA, session, utf8(plaintext))  // v1: random(12) nonce; v2: nothing (Alice collects in epoch 1)`,
      `bob: acceptInitialMessage(envB, identity, ${BOB_DEVICE}, decodeInitialMessage(initialMessage), { signedPreKey, oneTimePreKey: null, kemPreKey })  // random(32) DHs`,
    ],
    runs: [noOpkRun(crypto, 1), noOpkRun(crypto, 2)],
  };
}

// ---------------------------------------------------------------------------------------------
// last-resort.json

export interface LastResortVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly steps: readonly string[];
  readonly bob: ResponderVector;
  readonly bundle: Hex;
  readonly alice: { readonly deviceId: number; readonly identity: IdentityVector };
  readonly first: {
    readonly aliceRandom: Hex[];
    readonly messages: readonly { readonly plaintext: string; readonly message: Hex }[];
    readonly bobRandom: Hex[];
    readonly bobState: Hex;
    /** What Bob records atomically with the session: (PQPK id, base key), and nothing to delete. */
    readonly consumed: {
      readonly oneTimePreKeyId: null;
      readonly kemPreKeyId: null;
      readonly lastResortRecord: { readonly kemPreKeyId: number; readonly baseKey: Hex };
    };
  };
  /** Each first-run message presented again as a new run, with the record held: refused, no draws. */
  readonly replays: readonly { readonly message: Hex; readonly error: string }[];
  /** The second message routed by its base key into Bob's session (§7.3): decrypts normally. */
  readonly routed: {
    readonly message: Hex;
    readonly random: Hex[];
    readonly plaintext: string;
    readonly bobState: Hex;
  };
  /** A second session from Alice (new base key) on the same last-resort key: accepted. */
  readonly second: {
    readonly aliceRandom: Hex[];
    readonly plaintext: string;
    readonly message: Hex;
    readonly bobRandom: Hex[];
    readonly bobState: Hex;
    readonly lastResortRecord: { readonly kemPreKeyId: number; readonly baseKey: Hex };
  };
}

export const LAST_RESORT_SEEDS = {
  alice: 'parley/vectors/last-resort/alice',
  bob: 'parley/vectors/last-resort/bob',
} as const;

export function buildLastResortVector(crypto: CryptoBackend): LastResortVector {
  const a = recorder(LAST_RESORT_SEEDS.alice, crypto);
  const b = recorder(LAST_RESORT_SEEDS.bob, crypto);
  const bob = makeResponder(b, LAST_RESORT_SEEDS.bob, LAST_RESORT_ID, true);
  const bundle = bundleOf(bob, 1);
  const aliceId = generateIdentity(a.env);
  a.take();

  // Bob's replay records: (PQPK id, base key) pairs, compared by bytes.
  const records: { kemPreKeyId: number; baseKey: Uint8Array }[] = [];
  const isBaseKeyUsed = (id: number, key: Uint8Array) =>
    records.some((r) => r.kemPreKeyId === id && equalBytes(r.baseKey, key));
  const accept = (message: Uint8Array) =>
    asRecorded(
      acceptInitialMessage(
        b.env,
        bob.identity,
        deviceId(BOB_DEVICE),
        decodeInitialMessage(message),
        responderKeys(bob),
        {
          isBaseKeyUsed,
        },
      ),
    );

  let session = createInitiatorSession(a.env, aliceId, deviceId(ALICE_DEVICE), bundle);
  const texts = ['first message, on a last-resort KEM prekey', 'second message, same PQXDH header'];
  const messages = texts.map((t) => {
    const r = encryptMessage(a.env, session, utf8(t));
    session = r.session;
    return { plaintext: t, message: r.message };
  });
  const aliceRandom = a.take();
  const [m1, m2] = messages as [(typeof messages)[0], (typeof messages)[0]];
  const accepted = accept(m1.message);
  const bobRandom = b.take();
  const record = accepted.consumed.lastResortBaseKey;
  if (record === null) throw new Error('no last-resort record');
  records.push(record);

  const replays = messages.map((m) => ({ message: toHex(m.message), error: errorCode(() => accept(m.message)) }));
  if (b.take().length !== 0) throw new Error('a refused replay drew randomness');

  const routed = decryptMessage(b.env, accepted.session, m2.message);
  const routedRandom = b.take();

  const secondText = 'a new session on the same last-resort key';
  const second = encryptMessage(
    a.env,
    createInitiatorSession(a.env, aliceId, deviceId(ALICE_DEVICE), bundle),
    utf8(secondText),
  );
  const aliceRandom2 = a.take();
  const accepted2 = accept(second.message);
  const bobRandom2 = b.take();
  const record2 = accepted2.consumed.lastResortBaseKey;
  if (record2 === null) throw new Error('no last-resort record');

  return {
    description:
      'A last-resort KEM prekey and the replay rule. Bob publishes a bundle (version 1, no one-time prekey) ' +
      `whose KEM prekey ${LAST_RESORT_ID} is last-resort. Alice starts a session and encrypts two messages ` +
      '(both initial messages with the same PQXDH header). Bob accepts the first: he deletes nothing and ' +
      'records (PQPK id, base key). Presented again as new runs, both messages are refused with ' +
      '"replayed-initial-message" before any computation (no random draws, nothing changes). The second ' +
      "message, routed by its base key into Bob's session as §7.3 says, decrypts normally. A second session " +
      `from Alice (a new base key) on the same key is accepted and adds a second record. ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §3.2, §5.3, §5.7, §7.3 (routing), §7.5',
    seeds: { ...LAST_RESORT_SEEDS },
    clockStart: CLOCK_START,
    steps: [
      'bob: identity = generateIdentity(envB); signedPreKey = generateSignedPreKey(envB, identity, 1)',
      `bob: kemPreKey = generateKemPreKey(envB, identity, ${LAST_RESORT_ID}, true)  // random(64), now()`,
      `bob: bundle = encodeBundle({ version: 1, identity, deviceId: ${BOB_DEVICE}, signedPreKey, oneTimePreKey: null, kemPreKey })`,
      'alice: identity = generateIdentity(envA)',
      `alice: session = createInitiatorSession(envA, identity, ${ALICE_DEVICE}, bundle); encryptMessage × 2  // first.aliceRandom`,
      'bob: acceptInitialMessage(envB, …, messages[0], keys, { isBaseKeyUsed })  // first.bobRandom; records (kemPreKeyId, baseKey)',
      'bob: acceptInitialMessage(…, messages[i], …) for i = 0, 1  // replays: replayed-initial-message, no draws',
      "bob: decryptMessage(envB, first session, messages[1])  // routed: Bob's session shares the base key",
      `alice: createInitiatorSession(envA, identity, ${ALICE_DEVICE}, bundle); encryptMessage  // second.aliceRandom`,
      'bob: acceptInitialMessage(envB, …, second.message, keys, { isBaseKeyUsed })  // second.bobRandom',
    ],
    bob: bob.vector,
    bundle: toHex(encodeBundle(bundle)),
    alice: { deviceId: ALICE_DEVICE, identity: identityVector(aliceId) },
    first: {
      aliceRandom,
      messages: messages.map((m) => ({ plaintext: m.plaintext, message: toHex(m.message) })),
      bobRandom,
      bobState: toHex(encodeSession(accepted.session)),
      consumed: {
        oneTimePreKeyId: null,
        kemPreKeyId: null,
        lastResortRecord: { kemPreKeyId: record.kemPreKeyId, baseKey: toHex(record.baseKey) },
      },
    },
    replays,
    routed: {
      message: toHex(m2.message),
      random: routedRandom,
      plaintext: new TextDecoder().decode(routed.plaintext),
      bobState: toHex(encodeSession(routed.session)),
    },
    second: {
      aliceRandom: aliceRandom2,
      plaintext: secondText,
      message: toHex(second.message),
      bobRandom: bobRandom2,
      bobState: toHex(encodeSession(accepted2.session)),
      lastResortRecord: { kemPreKeyId: record2.kemPreKeyId, baseKey: toHex(record2.baseKey) },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// identity-pinning.json

export interface PinningCase {
  readonly name: string;
  readonly side: 'initiator' | 'responder';
  /** encodeIdentity of the pinned identity, or null for none. */
  readonly pinned: Hex | null;
  /** Initiator cases: the bundle presented. Responder cases: the initial message presented. */
  readonly input: Hex;
  /** The error code, or null when the run succeeds. */
  readonly error: string | null;
  /** Successful cases: the initial message Alice sends (initiator) or Bob's state (responder). */
  readonly result: Hex | null;
}

export interface PinningVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string; readonly mallory: string };
  readonly clockStart: number;
  readonly alice: { readonly deviceId: number; readonly identity: IdentityVector; readonly random: Hex[] };
  readonly bob: ResponderVector;
  /** The draws of the accepted responder case. */
  readonly bobRandom: Hex[];
  readonly mallory: ResponderVector;
  readonly cases: readonly PinningCase[];
}

export const PINNING_SEEDS = {
  alice: 'parley/vectors/pinning/alice',
  bob: 'parley/vectors/pinning/bob',
  mallory: 'parley/vectors/pinning/mallory',
} as const;

export function buildPinningVector(crypto: CryptoBackend): PinningVector {
  const a = recorder(PINNING_SEEDS.alice, crypto);
  const b = recorder(PINNING_SEEDS.bob, crypto);
  const m = recorder(PINNING_SEEDS.mallory, crypto);
  const bob = makeResponder(b, PINNING_SEEDS.bob, KEM_ID, false);
  const mallory = makeResponder(m, PINNING_SEEDS.mallory, KEM_ID, false);
  const aliceId = generateIdentity(a.env);
  a.take();
  const alicePub = publicIdentity(aliceId);
  const bobPub = publicIdentity(bob.identity);
  const malloryPub = publicIdentity(mallory.identity);
  const forgedCert = bobPub.certificate.slice();
  forgedCert[0] = (forgedCert[0] as number) ^ 0x01;
  const forged = { ...bobPub, certificate: forgedCert };

  const cases: PinningCase[] = [];
  const initiator = (name: string, bundle: PreKeyBundle, pinned: typeof bobPub | null) => {
    let result: Hex | null = null;
    let error: string | null = null;
    try {
      const s = createInitiatorSession(a.env, aliceId, deviceId(ALICE_DEVICE), bundle, pinned ?? undefined);
      result = toHex(encryptMessage(a.env, s, utf8('hello bob')).message);
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      error = e.code;
    }
    if (error !== null && a.take().length !== 0) throw new Error('a refused bundle drew randomness');
    cases.push({
      name,
      side: 'initiator',
      pinned: pinned && toHex(encodeIdentity(pinned)),
      input: toHex(encodeBundle(bundle)),
      error,
      result,
    });
  };
  initiator("Mallory's bundle for Bob's device, Bob pinned", bundleOf(mallory, 1), bobPub);
  initiator("Bob's identity with a forged certificate, Bob pinned (byte comparison)", bundleOf(bob, 1, forged), bobPub);
  initiator("Bob's identity with a forged certificate, nothing pinned", bundleOf(bob, 1, forged), null);
  const aliceDraws = a.take();
  initiator("Bob's bundle, Bob pinned: accepted, certificate not re-checked", bundleOf(bob, 1), bobPub);
  const aliceRandom = [...aliceDraws, ...a.take()];
  const initial = cases[cases.length - 1]?.result;
  if (initial == null) throw new Error('pinned run failed');

  const responder = (name: string, pinned: typeof bobPub | null) => {
    let result: Hex | null = null;
    let error: string | null = null;
    try {
      const r = asRecorded(
        acceptInitialMessage(
          b.env,
          bob.identity,
          deviceId(BOB_DEVICE),
          decodeInitialMessage(fromHex(initial)),
          responderKeys(bob),
          pinned ? { knownIdentity: pinned } : {},
        ),
      );
      result = toHex(encodeSession(r.session));
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      error = e.code;
    }
    cases.push({
      name,
      side: 'responder',
      pinned: pinned && toHex(encodeIdentity(pinned)),
      input: initial,
      error,
      result,
    });
  };
  responder("Alice's initial message, Mallory pinned as the sender", malloryPub);
  if (b.take().length !== 0) throw new Error('a refused message drew randomness');
  responder("Alice's initial message, Alice pinned: accepted", alicePub);
  const bobRandom = b.take();

  return {
    description:
      'Identity pinning. Bob and Mallory each publish a version 1 bundle for device 2 without a one-time ' +
      'prekey (each generateIdentity, generateSignedPreKey(…, 1), generateKemPreKey(…, 200, false) on its ' +
      'own seed); Alice has an identity. Each case gives the pinned identity (encodeIdentity, or null), the ' +
      'input (a bundle for the initiator, an initial message for the responder) and the error code it must ' +
      'produce, or null and the result: the initial message Alice sends ("hello bob") or the state Bob ' +
      "keeps. The forged certificate is Bob's with bit 0 of its first byte flipped. Refused cases draw no " +
      "randomness; the accepted initiator case draws Alice's random (EK_A, m, DHs, nonce), the accepted " +
      `responder case Bob's bobRandom (DHs). ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §3.1, §4.2, §5.2 step 1, §5.3 step 3, §5.8',
    seeds: { ...PINNING_SEEDS },
    clockStart: CLOCK_START,
    alice: { deviceId: ALICE_DEVICE, identity: identityVector(aliceId), random: aliceRandom },
    bob: bob.vector,
    bobRandom,
    mallory: mallory.vector,
    cases,
  };
}
