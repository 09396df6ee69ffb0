/**
 * Known-answer vector for the sealed initial message (docs/protocol-ratchet.md §6.5):
 * sealed-initial.json. Per session version: Bob's keys (no one-time prekey), Alice's sealed first
 * message and its repeat, K_seal recomputed from Bob's side (DH(IK_B, EK_A), DH(SPK_B, EK_A), SS),
 * the sealed sender opened, and Bob's state after accepting (with the header digest, §8) and
 * after the repeat. Written by generate.ts; checked by vectors-sealed.test.ts on both backends.
 */
import {
  acceptInitialMessage,
  type CryptoBackend,
  concatBytes,
  createInitiatorSession,
  decodeAnyInitialMessage,
  decodeSealedInitialMessage,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeSession,
  encryptMessage,
  generateIdentity,
  type SessionVersion,
  toHex,
  utf8,
} from '../../src/index.ts';
import { CLOCK_START, type Hex, type IdentityVector, identityVector, RNG_DESCRIPTION, recorder } from './common.ts';
import { bundleOf, makeResponder, type ResponderVector, responderKeys } from './pqxdh-variants.ts';

export const SEALED_SEEDS = { alice: 'parley/vectors/sealed/alice', bob: 'parley/vectors/sealed/bob' } as const;
const ALICE_DEVICE = 7;
const BOB_DEVICE = 2;
const KEM_ID = 200;
const SEAL_INFO = 'Parley_seal_CURVE25519_SHA-256_ML-KEM-768';

export interface SealedRun {
  readonly version: SessionVersion;
  readonly bob: ResponderVector;
  readonly bundle: Hex;
  readonly alice: {
    readonly deviceId: number;
    readonly identity: IdentityVector;
    readonly random: { readonly identity: Hex[]; readonly createSession: Hex[]; readonly encrypt: Hex[][] };
  };
  readonly plaintexts: readonly string[];
  /** The first and the repeated message: the same bytes up to the end of the sealed sender. */
  readonly messages: readonly Hex[];
  /** Bytes 0 … end of CT: the AAD of the sealed sender. */
  readonly clearHeader: Hex;
  readonly dh2: Hex;
  readonly dh3: Hex;
  readonly kemSharedSecret: Hex;
  readonly sealKey: Hex;
  readonly sealedSender: Hex;
  /** identity_A (128) ‖ u32 device_A. */
  readonly sender: Hex;
  readonly aliceState: Hex;
  readonly bobRandom: { readonly accept: Hex[]; readonly repeat: Hex[] };
  readonly bobStates: readonly Hex[];
}

export interface SealedVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: typeof SEALED_SEEDS;
  readonly clockStart: number;
  readonly sealInfo: string;
  readonly runs: readonly SealedRun[];
}

function sealedRun(crypto: CryptoBackend, version: SessionVersion): SealedRun {
  const a = recorder(SEALED_SEEDS.alice, crypto);
  const b = recorder(SEALED_SEEDS.bob, crypto);
  const bob = makeResponder(b, SEALED_SEEDS.bob, KEM_ID, false);
  const bundle = bundleOf(bob, version);
  const aliceId = generateIdentity(a.env);
  const rId = a.take();
  let session = createInitiatorSession(a.env, aliceId, deviceId(ALICE_DEVICE), bundle, undefined, { sealed: true });
  const rCreate = a.take();
  const plaintexts = ['hello bob, sealed', 'again, same header'];
  const messages: Uint8Array[] = [];
  const rEncrypt: Hex[][] = [];
  for (const t of plaintexts) {
    const sent = encryptMessage(a.env, session, utf8(t));
    session = sent.session;
    messages.push(sent.message);
    rEncrypt.push(a.take());
  }
  const first = messages[0] as Uint8Array;
  const m = decodeSealedInitialMessage(first);
  const c = crypto;
  const dh2 = c.x25519(bob.identity.agreement.privateKey, m.header.baseKey);
  const dh3 = c.x25519(bob.signedPreKey.keyPair.privateKey, m.header.baseKey);
  const ss = c.mlKemDecapsulate(m.header.kemCiphertext, bob.kemPreKey.keyPair.secretKey);
  const sealKey = c.hkdfSha256(
    concatBytes(new Uint8Array(32).fill(0xff), dh2, dh3, ss),
    new Uint8Array(32),
    utf8(SEAL_INFO),
    32,
  );
  const clearEnd = first.length - m.ratchetMessage.length - m.header.sealedSender.length;
  const clearHeader = first.subarray(0, clearEnd);
  const sender = c.aesGcmOpen(sealKey, new Uint8Array(12), m.header.sealedSender, clearHeader);
  if (sender === null) throw new Error('the recomputed K_seal does not open the sealed sender');
  const accepted = acceptInitialMessage(b.env, bob.identity, deviceId(BOB_DEVICE), m, responderKeys(bob));
  const rAccept = b.take();
  const repeat = decryptMessage(b.env, accepted.session, messages[1] as Uint8Array);
  const rRepeat = b.take();
  if (decodeAnyInitialMessage(messages[1] as Uint8Array).sealed !== true) throw new Error('repeat not sealed');
  return {
    version,
    bob: bob.vector,
    bundle: toHex(encodeBundle(bundle)),
    alice: {
      deviceId: ALICE_DEVICE,
      identity: identityVector(aliceId),
      random: { identity: rId, createSession: rCreate, encrypt: rEncrypt },
    },
    plaintexts,
    messages: messages.map(toHex),
    clearHeader: toHex(clearHeader),
    dh2: toHex(dh2),
    dh3: toHex(dh3),
    kemSharedSecret: toHex(ss),
    sealKey: toHex(sealKey),
    sealedSender: toHex(m.header.sealedSender),
    sender: toHex(sender),
    aliceState: toHex(encodeSession(session)),
    bobRandom: { accept: rAccept, repeat: rRepeat },
    bobStates: [toHex(encodeSession(accepted.session)), toHex(encodeSession(repeat.session))],
  };
}

export function buildSealedVector(crypto: CryptoBackend): SealedVector {
  return {
    description:
      'Sealed initial messages (type 0x07): Alice seals her identity and device id to Bob under K_seal = ' +
      'HKDF-SHA256(0xFF × 32 ‖ DH(EK_A, IK_B) ‖ DH(EK_A, SPK_B) ‖ SS, 0x00 × 32, sealInfo, 32) with AES-256-GCM, ' +
      'nonce 0x00 × 12 and the clear header (bytes 0 … end of CT) as AAD, then sends a repeat with the same ' +
      'header. Bob recomputes K_seal, opens the sender, accepts the first message (his state carries the header ' +
      'digest, flag bit 7) and decrypts the repeat. One run per session version, no one-time prekey; steps as ' +
      'in pqxdh-no-opk.json with createInitiatorSession(…, undefined, { sealed: true }) and a second ' +
      `encryptMessage. ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §6.5, §6.1, §7.3, §8; version 2: §13.1',
    seeds: SEALED_SEEDS,
    clockStart: CLOCK_START,
    sealInfo: SEAL_INFO,
    runs: [sealedRun(crypto, 1), sealedRun(crypto, 2)],
  };
}
