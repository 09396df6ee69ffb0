/**
 * Negative known-answer vectors (docs/protocol.md §1.4 note 5, §2.3 and the sections each case
 * names): negative.json. Each case is an input that must be refused, the operation it is given
 * to, and the exact error code. Inputs are valid objects from one seeded run with one field
 * changed, or messages that are authentic (sealed with the right keys) but malformed inside.
 * Written by generate.ts with the others; checked by vectors-negative.test.ts on both backends.
 */
import { ratchetEncryptBody } from '../../src/double-ratchet.ts';
import {
  acceptInitialMessage,
  type CryptoBackend,
  certifyDevice,
  createInitiatorSession,
  decodeInitialMessage,
  decryptMessage,
  deviceId,
  encodeBundle,
  encodeDeviceCertificate,
  encodeSession,
  encryptMessage,
  generateEd25519,
  generateIdentity,
  kemPreKeyMessage,
  type PreKeyBundle,
  type Session,
  safetyNumber,
  signedPreKeyMessage,
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

export const NEGATIVE_SEEDS = { alice: 'parley/vectors/negative/alice', bob: 'parley/vectors/negative/bob' } as const;

/**
 * What each operation is, for a case's `operation`:
 * - decodeBundle / decodeInitialMessage / decodeSession / decodeDeviceCertificate: decode `input`.
 * - verifyBundle: decode `input`, then verify it (§4.2) without a pin.
 * - createInitiatorSession: Alice (alice.identity, device 1) starts a session from bundle `input`,
 *   drawing `random` (all of it, in order) before the error.
 * - acceptInitialMessage: Bob (bob, device 2, his recorded prekeys) accepts initial message `input`.
 * - decryptMessage: decrypt `input` with the session `state` (encoded); nothing may be drawn.
 * - verifyDeviceCertificate: decode `input`, verify it under Bob's identity.
 * - compareSafetyQr: compare scanned payload `input` with Alice's safety number for (Alice, Bob).
 * - parseAccountId: `input` is the account id text (UTF-8 as hex).
 * - proveMailboxAccess: sign with Bob's device key; `input` is the challenge, mailbox id 16 × 0x00.
 */
export type NegativeOperation =
  | 'decodeBundle'
  | 'verifyBundle'
  | 'createInitiatorSession'
  | 'decodeInitialMessage'
  | 'acceptInitialMessage'
  | 'decryptMessage'
  | 'decodeSession'
  | 'decodeDeviceCertificate'
  | 'verifyDeviceCertificate'
  | 'compareSafetyQr'
  | 'parseAccountId'
  | 'proveMailboxAccess';

export interface NegativeCase {
  readonly name: string;
  readonly section: string;
  readonly operation: NegativeOperation;
  readonly input: Hex;
  readonly state?: Hex;
  readonly random?: Hex[];
  readonly error: string;
}

export interface NegativeVector {
  readonly description: string;
  readonly sections: string;
  readonly seeds: { readonly alice: string; readonly bob: string };
  readonly clockStart: number;
  readonly operations: string;
  readonly steps: readonly string[];
  readonly alice: { readonly deviceId: number; readonly identity: IdentityVector };
  readonly bob: ResponderVector;
  /** Bob's device key (Ed25519 seed and public key), for proveMailboxAccess. */
  readonly bobDeviceKey: { readonly privateKey: Hex; readonly publicKey: Hex };
  readonly cases: readonly NegativeCase[];
}

const hex = toHex;
function change(b: Uint8Array, offset: number, value: number): Hex {
  const c = b.slice();
  c[offset] = value;
  return hex(c);
}
const flip = (b: Uint8Array, offset: number) => change(b, offset, (b[offset] as number) ^ 0x01);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Offset of the flags byte in an encoded state without a pending header (§8). */
function flagsOffset(adLength: number): number {
  return 2 + 128 + 4 + 4 + 2 + adLength + 32 + 1 + 32 + 32 + 32;
}

export function buildNegativeVector(crypto: CryptoBackend): NegativeVector {
  const a = recorder(NEGATIVE_SEEDS.alice, crypto);
  const b = recorder(NEGATIVE_SEEDS.bob, crypto);
  const bob = makeResponder(b, NEGATIVE_SEEDS.bob, 200, false);
  const bobDevice = generateEd25519(b.env);
  const cert = certifyDevice(b.env, bob.identity, deviceId(2), bobDevice.publicKey);
  b.take();
  const aliceId = generateIdentity(a.env);
  a.take();
  const cases: NegativeCase[] = [];
  const add = (c: NegativeCase) => cases.push(c);
  const signing = bob.identity.signing.privateKey;

  // Bundles (§2.3, §4).
  const bundle = bundleOf(bob, 1);
  const bb = encodeBundle(bundle);
  add({
    name: 'bundle one byte short',
    section: '§2.3 rule 3, §4.1',
    operation: 'decodeBundle',
    input: hex(bb.subarray(0, 1503)),
    error: 'decode',
  });
  add({
    name: 'bundle with a trailing byte',
    section: '§2.3 rule 4',
    operation: 'decodeBundle',
    input: hex(cat(bb, Uint8Array.of(0))),
    error: 'decode',
  });
  add({
    name: 'bundle version 0x03',
    section: '§2.3 rule 1, §13.1',
    operation: 'decodeBundle',
    input: change(bb, 0, 3),
    error: 'unsupported-version',
  });
  add({
    name: 'bundle with type 0x02',
    section: '§2.3 rule 2',
    operation: 'decodeBundle',
    input: change(bb, 1, 2),
    error: 'decode',
  });
  add({
    name: 'bundle device id 0',
    section: '§2.1, §4.1',
    operation: 'decodeBundle',
    input: hex(cat(bb.subarray(0, 130), new Uint8Array(4), bb.subarray(134))),
    error: 'decode',
  });
  add({
    name: 'bundle hasOpk = 2',
    section: '§2.1 bool',
    operation: 'decodeBundle',
    input: change(bb, 242, 2),
    error: 'decode',
  });
  add({
    name: 'bundle SPK createdAt ≥ 2^53 (high word 0x00200000)',
    section: '§2.1 u64',
    operation: 'decodeBundle',
    input: change(bb, 139, 0x20),
    error: 'decode',
  });
  add({
    name: 'bundle SPK with the top bit set (non-canonical X25519)',
    section: '§2.3 rule 6',
    operation: 'decodeBundle',
    input: change(bb, 146 + 31, (bb[146 + 31] as number) | 0x80),
    error: 'decode',
  });
  add({
    name: 'bundle identity certificate changed',
    section: '§3.1, §4.2 step 1',
    operation: 'verifyBundle',
    input: flip(bb, 2 + 64),
    error: 'bad-signature',
  });
  add({
    name: 'bundle SPK signature changed',
    section: '§4.2 step 2',
    operation: 'verifyBundle',
    input: flip(bb, 178),
    error: 'bad-signature',
  });
  add({
    name: 'bundle PQPK signature changed',
    section: '§4.2 step 3',
    operation: 'verifyBundle',
    input: flip(bb, 1440),
    error: 'bad-signature',
  });
  add({
    name: 'bundle PQPK lastResort flag changed (signed)',
    section: '§3.2, §4.2 step 3',
    operation: 'verifyBundle',
    input: change(bb, 247, 1),
    error: 'bad-signature',
  });
  // A small-order identity key A = the identity point, with R = identity, S = 0 everywhere.
  const smallOrder = cat(Uint8Array.of(1), new Uint8Array(31));
  const trivialSig = cat(smallOrder, new Uint8Array(32));
  const weak = encodeBundle({
    ...bundle,
    identity: { signingKey: smallOrder, agreementKey: bundle.identity.agreementKey, certificate: trivialSig },
    signedPreKey: { ...bundle.signedPreKey, signature: trivialSig },
    kemPreKey: { ...bundle.kemPreKey, signature: trivialSig },
  });
  add({
    name: 'identity signing key of small order, signatures (R = identity, S = 0)',
    section: '§1.1 Ed25519, §1.4 note 2',
    operation: 'verifyBundle',
    input: hex(weak),
    error: 'bad-signature',
  });

  // Bundles that verify but cannot be used (§5.2).
  const session = (bad: PreKeyBundle, name: string, section: string) => {
    a.take();
    let error = '';
    try {
      createInitiatorSession(a.env, aliceId, deviceId(1), bad);
    } catch (e) {
      error = (e as { code?: string }).code ?? String(e);
    }
    add({ name, section, operation: 'createInitiatorSession', input: hex(encodeBundle(bad)), random: a.take(), error });
  };
  const badEk = bundle.kemPreKey.publicKey.slice();
  badEk[0] = 0xff;
  badEk[1] = 0xff; // the first 12-bit coefficient is 4095 ≥ q = 3329
  session(
    {
      ...bundle,
      kemPreKey: {
        ...bundle.kemPreKey,
        publicKey: badEk,
        signature: crypto.ed25519Sign(signing, kemPreKeyMessage(200, false, bundle.kemPreKey.createdAt, badEk)),
      },
    },
    'signed PQPK that fails the FIPS 203 §7.2 modulus check',
    '§5.2 step 3',
  );
  const zeroSpk = new Uint8Array(32); // u = 0: canonical, of small order, every DH with it is zero
  session(
    {
      ...bundle,
      signedPreKey: {
        ...bundle.signedPreKey,
        publicKey: zeroSpk,
        signature: crypto.ed25519Sign(signing, signedPreKeyMessage(1, bundle.signedPreKey.createdAt, zeroSpk)),
      },
    },
    'signed SPK of small order (u = 0): DH1 is all zero',
    '§1.1 X25519, §5.2 step 4',
  );

  // Initial messages (§6.1) and their acceptance (§5.3).
  let alice: Session = createInitiatorSession(a.env, aliceId, deviceId(1), bundle);
  const first = encryptMessage(a.env, alice, utf8('hello bob'));
  alice = first.session;
  a.take();
  const im = first.message;
  add({
    name: 'initial message version 0x03',
    section: '§2.3 rule 1',
    operation: 'decodeInitialMessage',
    input: change(im, 0, 3),
    error: 'unsupported-version',
  });
  add({
    name: 'initial message hasOpk = 2',
    section: '§2.1 bool, §6.1',
    operation: 'decodeInitialMessage',
    input: change(im, 170, 2),
    error: 'decode',
  });
  add({
    name: 'initial message device id 0',
    section: '§2.1, §6.1',
    operation: 'decodeInitialMessage',
    input: hex(cat(im.subarray(0, 130), new Uint8Array(4), im.subarray(134))),
    error: 'decode',
  });
  add({
    name: 'initial message base key with the top bit set',
    section: '§2.3 rule 6',
    operation: 'decodeInitialMessage',
    input: change(im, 134 + 31, (im[134 + 31] as number) | 0x80),
    error: 'decode',
  });
  add({
    name: 'initial message cut inside the KEM ciphertext',
    section: '§2.3 rule 3',
    operation: 'decodeInitialMessage',
    input: hex(im.subarray(0, 1000)),
    error: 'decode',
  });
  add({
    name: 'initial message naming another SPK id than the keys given',
    section: '§5.3 step 1',
    operation: 'acceptInitialMessage',
    input: change(im, 169, (im[169] as number) ^ 0x02),
    error: 'usage',
  });
  add({
    name: 'initial message with a changed initiator certificate',
    section: '§5.3 step 3',
    operation: 'acceptInitialMessage',
    input: flip(im, 2 + 64),
    error: 'bad-signature',
  });
  add({
    name: 'initial message relabelled to initiator device 7',
    section: '§5.5, §6.1',
    operation: 'acceptInitialMessage',
    input: change(im, 133, 7),
    error: 'decrypt-failed',
  });
  add({
    name: 'initial message with a changed KEM ciphertext (implicit rejection)',
    section: '§1.1 ML-KEM, §6.1',
    operation: 'acceptInitialMessage',
    input: flip(im, 179 + 500),
    error: 'decrypt-failed',
  });
  add({
    name: 'initial message with base key u = 0 (small order)',
    section: '§1.1 X25519, §5.3 step 4',
    operation: 'acceptInitialMessage',
    input: hex(cat(im.subarray(0, 134), new Uint8Array(32), im.subarray(166))),
    error: 'decode',
  });

  const accepted = asRecorded(
    acceptInitialMessage(b.env, bob.identity, deviceId(2), decodeInitialMessage(im), responderKeys(bob)),
  );
  let bobSession = accepted.session;
  b.take();
  const bobState = hex(encodeSession(bobSession));
  const other = encryptMessage(a.env, createInitiatorSession(a.env, aliceId, deviceId(1), bundle), utf8('another run'));
  a.take();
  add({
    name: "an initial message of another PQXDH run, given to Bob's session",
    section: '§7.3 routing',
    operation: 'decryptMessage',
    input: hex(other.message),
    state: bobState,
    error: 'wrong-session',
  });

  // Ratchet messages, version 1 (§6.2, §7.3), all to Alice's pending session.
  const aliceState = hex(encodeSession(alice));
  const reply = encryptMessage(b.env, bobSession, utf8('hello alice'));
  bobSession = reply.session;
  b.take();
  const rm = reply.message;
  const dec = (name: string, section: string, input: Hex, error: string, state = aliceState) =>
    add({ name, section, operation: 'decryptMessage', input, state, error });
  dec(
    'ratchet message of 85 bytes with version 0x03 (length first)',
    '§2.3 rule 1 exception, §6.2',
    hex(cat(Uint8Array.of(3), rm.subarray(1, 85))),
    'decode',
  );
  dec('ratchet message version 0x03', '§6.2 framing', change(rm, 0, 3), 'unsupported-version');
  dec('ratchet message with type 0x04', '§6.2 framing', change(rm, 1, 4), 'decode');
  dec(
    'ratchet message whose body is not a bucket (one byte cut)',
    '§6.2 framing, §6.4',
    hex(rm.subarray(0, rm.length - 1)),
    'decode',
  );
  dec('ratchet message with a header bit flipped', '§7.3 step 4', flip(rm, 20), 'decrypt-failed');
  dec('ratchet message with a body bit flipped', '§7.3 step 4', flip(rm, 100), 'decrypt-failed');
  dec('ratchet message with the nonce changed', '§6.2', flip(rm, 2), 'decrypt-failed');
  const afterReply = hex(encodeSession(decryptMessage(a.env, alice, rm).session));
  a.take();
  dec('the same ratchet message twice', '§7.3 step 1 (N < Nr)', hex(rm), 'duplicate-message', afterReply);
  // Authentic messages, malformed inside (sealed with Bob's real keys).
  const r = bobSession.ratchet;
  const noMarker = ratchetEncryptBody(b.env, r, new Uint8Array(64), bobSession.associatedData).message;
  dec(
    'authentic body without the 0x80 padding marker',
    '§6.4 unpadding, §7.3 step 5',
    hex(noMarker),
    'decode',
    afterReply,
  );
  const bigPn = ratchetEncryptBody(
    b.env,
    { ...r, prevSendCount: 2 ** 31 },
    new Uint8Array(64).fill(0x80, 0, 1),
    bobSession.associatedData,
  ).message;
  dec('authentic header with PN = 2^31', '§7.4', hex(bigPn), 'decode', afterReply);
  b.take();

  // Version 2 (§13.3, §13.4): a session of its own.
  const bundle2 = bundleOf(bob, 2);
  let alice2: Session = createInitiatorSession(a.env, aliceId, deviceId(1), bundle2);
  const first2 = encryptMessage(a.env, alice2, utf8('hello bob'));
  alice2 = first2.session;
  a.take();
  const bob2 = asRecorded(
    acceptInitialMessage(b.env, bob.identity, deviceId(2), decodeInitialMessage(first2.message), responderKeys(bob)),
  ).session;
  b.take();
  const alice2State = hex(encodeSession(alice2));
  const rm2 = encryptMessage(b.env, bob2, utf8('hello alice')).message;
  b.take();
  const dec2 = (name: string, section: string, input: Hex, error: string) =>
    add({ name, section, operation: 'decryptMessage', input, state: alice2State, error });
  dec2('version 2 message shorter than 74 + 64 bytes', '§13.3 framing', hex(rm2.subarray(0, 137)), 'decode');
  dec2(
    'version 1 ratchet message given to a version 2 session',
    '§13.1, §13.3 framing',
    hex(rm),
    'unsupported-version',
  );
  dec2(
    'version 2 message with its body tag changed (the header nonce)',
    '§13.3',
    flip(rm2, rm2.length - 1),
    'decrypt-failed',
  );
  const body2 = (bytes: Uint8Array, patch: Partial<typeof bob2.ratchet> = {}) =>
    hex(ratchetEncryptBody(b.env, { ...bob2.ratchet, ...patch }, bytes, bob2.associatedData).message);
  dec2(
    'authentic version 2 body with L past its end',
    '§13.3',
    body2(cat(Uint8Array.of(0xff, 0xff), new Uint8Array(62))),
    'decode',
  );
  const chunk = new Uint8Array(64);
  chunk.set([0, 0, 0, 1, 0x04, 0xa0], 2); // epoch 1, offset 1184 = the size of ek
  dec2('authentic version 2 chunk with offset ≥ the object size', '§13.3 KEM section', body2(chunk), 'decode');
  const junk = new Uint8Array(64);
  junk[63] = 1; // epoch 0 ("no chunk") but a non-zero byte after it
  dec2('authentic version 2 section: no chunk, but not all zero', '§13.3 KEM section', body2(junk), 'decode');
  dec2(
    'authentic version 2 header with the KEM flag while Alice holds no ciphertext',
    '§13.4',
    body2(new Uint8Array(64), { sendChainMixed: true }),
    'decode',
  );
  b.take();

  // Session states (§8).
  const bs = encodeSession(bobSession);
  const fo = flagsOffset(136);
  const ds = (name: string, section: string, input: Hex, error: string) =>
    add({ name, section, operation: 'decodeSession', input, error });
  ds('session state version 0x03', '§8 versioning promise', change(bs, 0, 3), 'unsupported-version');
  ds('session state with a trailing byte', '§8', hex(cat(bs, Uint8Array.of(0))), 'decode');
  ds('version 1 session state with flags bit 6 set', '§8 flags', change(bs, fo, (bs[fo] as number) | 0x40), 'decode');
  ds(
    'session state with CKs but not HKs (flags bit 3 cleared)',
    '§8',
    change(bs, fo, (bs[fo] as number) & ~0x08),
    'decode',
  );

  // Device certificates (§3.4), safety-number QR payloads (§9), account ids (§3.3), proofs (§3.6).
  const cb = encodeDeviceCertificate(cert);
  add({
    name: 'device certificate version 0x02',
    section: '§3.4, §13.1',
    operation: 'decodeDeviceCertificate',
    input: change(cb, 0, 2),
    error: 'unsupported-version',
  });
  add({
    name: 'device certificate with device id 0',
    section: '§2.1, §3.4',
    operation: 'decodeDeviceCertificate',
    input: hex(cat(cb.subarray(0, 2), new Uint8Array(4), cb.subarray(6))),
    error: 'decode',
  });
  add({
    name: 'device certificate one byte short',
    section: '§3.4',
    operation: 'decodeDeviceCertificate',
    input: hex(cb.subarray(0, 109)),
    error: 'decode',
  });
  add({
    name: 'device certificate with its device key changed',
    section: '§3.4',
    operation: 'verifyDeviceCertificate',
    input: flip(cb, 14),
    error: 'bad-signature',
  });
  const qr = safetyNumber(a.env, { ...identityPublic(aliceId) }, bundle.identity).qrPayload;
  add({
    name: 'safety-number QR payload with safety-number version 2',
    section: '§9',
    operation: 'compareSafetyQr',
    input: change(qr, 2, 2),
    error: 'decode',
  });
  add({
    name: 'safety-number QR payload with a trailing byte',
    section: '§9, §2.3 rule 4',
    operation: 'compareSafetyQr',
    input: hex(cat(qr, Uint8Array.of(0))),
    error: 'decode',
  });
  const account = Array.from(utf8('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB')); // last char's low bits set
  add({
    name: 'account id with non-zero trailing bits',
    section: '§3.3',
    operation: 'parseAccountId',
    input: hex(Uint8Array.from(account)),
    error: 'decode',
  });
  add({
    name: 'account id of 42 characters',
    section: '§3.3',
    operation: 'parseAccountId',
    input: hex(Uint8Array.from(account.slice(1))),
    error: 'decode',
  });
  add({
    name: 'mailbox access challenge of 31 bytes',
    section: '§3.6',
    operation: 'proveMailboxAccess',
    input: hex(new Uint8Array(31)),
    error: 'decode',
  });

  return {
    description:
      'Inputs that must be refused, each with the operation it is given to and the exact error code ' +
      '(docs/protocol.md §2.3 table). Setup, on envB = testEnv(seeds.bob) and envA = testEnv(seeds.alice): ' +
      'Bob: generateIdentity, generateSignedPreKey(…, 1), generateKemPreKey(…, 200, false), a device key ' +
      '(generateEd25519) and its certificate for device 2 (certifyDevice); his bundle has no one-time ' +
      'prekey. Alice: generateIdentity. The valid objects the cases change come from sessions between ' +
      'them (version 1 and version 2); "state" is the encoded session a message is decrypted with. Every ' +
      'case must leave that state unchanged and, except createInitiatorSession (whose "random" are the ' +
      'draws made before the error), draw nothing. Cases marked "authentic" are sealed with the right ' +
      'keys, so only their content is wrong. The field offsets are those of §4.1, §6.1, §6.2, §8, §3.4, §9. ' +
      RNG_DESCRIPTION,
    sections:
      'docs/protocol.md §1.4, §2.1, §2.3, §3.3, §3.4, §3.6, §4, §5.2, §5.3, §6, §7.3, §7.4, §8, §9, §13.3, §13.4',
    seeds: { ...NEGATIVE_SEEDS },
    clockStart: CLOCK_START,
    operations:
      'decode*: decode input. verifyBundle: decode, then verify (§4.2) without a pin. createInitiatorSession: ' +
      'Alice (device 1) starts a session from bundle input. acceptInitialMessage: Bob (device 2, his ' +
      'prekeys from "bob") accepts initial message input, no pin. decryptMessage: decrypt input with ' +
      'session "state". verifyDeviceCertificate: decode, then verify under Bob\'s identity. ' +
      "compareSafetyQr: compare scanned payload input with Alice's safety number for (Alice, Bob). " +
      "parseAccountId: input is the text as UTF-8. proveMailboxAccess: Bob's device key signs challenge " +
      'input for mailbox id 16 × 0x00.',
    steps: [
      'Other errors have their own vectors: replayed-initial-message (last-resort.json), identity-mismatch (identity-pinning.json), too-many-skipped (skipped-keys.json), usage for oversized plaintexts (padding.json).',
    ],
    alice: { deviceId: 1, identity: identityVector(aliceId) },
    bob: bob.vector,
    bobDeviceKey: { privateKey: hex(bobDevice.privateKey), publicKey: hex(bobDevice.publicKey) },
    cases,
  };
}

function identityPublic(id: ReturnType<typeof generateIdentity>) {
  return { signingKey: id.signing.publicKey, agreementKey: id.agreement.publicKey, certificate: id.certificate };
}
