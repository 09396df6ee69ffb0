/**
 * The Double Ratchet with header encryption (Signal, "The Double Ratchet Algorithm", revision 1,
 * §4 "Double Ratchet with header encryption"), AES-256-GCM as AEAD. Comments quote the
 * specification's pseudocode (§4.4–4.6) next to the code that implements each line.
 *
 * State in, state out: every function returns a new state and never mutates its input, so a
 * failed decrypt (tampered, replayed, garbage) leaves the caller's state exactly as it was.
 *
 * Two wire versions share the chain and skipped-key logic. Version 2 (docs/protocol-v2.md §13) adds
 * the KEM ratchet of kem-ratchet.ts (its secrets enter KDF_RK), carries KEM chunks in the body's
 * padding slack and drops the explicit nonce. The message layouts are in message-v1.ts and
 * message-v2.ts.
 */
import { concatBytes, equalBytes } from './bytes.ts';
import { readU32, writeU32 } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import {
  initialKemRatchet,
  type KemRatchet,
  kemReceive,
  kemSend,
  takeEncapsulatedSecret,
  takeReadySecret,
} from './kem-ratchet.ts';
import { generateX25519, type X25519KeyPair } from './keys.ts';
import { openBodyV1, parseV1, sealV1 } from './message-v1.ts';
import {
  bodyLengthV2,
  MAX_PLAINTEXT_V2,
  openBodyV2,
  parseV2,
  readCounterWord,
  sealV2,
  splitBodyV2,
} from './message-v2.ts';
import { pad, unpad } from './padding.ts';
import type { SessionVersion } from './wire.ts';

/** §3.1/§3.5 MAX_SKIP: the most message keys one incoming message may make us skip in one chain. */
export const MAX_SKIP = 1000;
/** The most skipped message keys kept in total; the oldest are evicted first. */
export const MAX_SKIPPED_KEYS = 2000;
/** The most receiving chains (header keys) with skipped keys kept; older chains are dropped. */
export const MAX_SKIPPED_CHAINS = 5;
/**
 * A chain is bounded at 2^31 messages: one header key then encrypts at most 2^31 headers under
 * random 96-bit nonces, below NIST SP 800-38D §8.3's 2^32 limit (collision chance < 2^-34).
 * Senders stop there and receivers refuse larger counters.
 */
export const MAX_CHAIN_LENGTH = 2 ** 31;

/** Bytes of a plaintext header (§3.1 HEADER): DHs.public ‖ u32 PN ‖ u32 N. */
const HEADER = 40;

const CK_INPUT = Uint8Array.of(0x01);
const RK_INFO = new TextEncoder().encode('Parley DR root v1');
/** §13.5: version 2 root KDF labels, without and with a KEM secret in the input. */
const RK_INFO_V2 = new TextEncoder().encode('Parley DR root v2');
const RK_KEM_INFO_V2 = new TextEncoder().encode('Parley DR root+KEM v2');

/** Skipped message keys of one receiving chain, by message number, in insertion order. */
export interface SkippedChain {
  readonly headerKey: Uint8Array;
  readonly keys: ReadonlyMap<number, Uint8Array>;
}

/** §4.3 state variables, named after the specification's, plus the version 2 KEM ratchet. */
export interface RatchetState {
  /** The session's wire version (1 or 2); it never changes. */
  readonly version: SessionVersion;
  /** RK */ readonly rootKey: Uint8Array;
  /** DHs */ readonly dhSelf: X25519KeyPair;
  /** DHr */ readonly dhRemote: Uint8Array | null;
  /** CKs */ readonly sendChainKey: Uint8Array | null;
  /** CKr */ readonly recvChainKey: Uint8Array | null;
  /** HKs */ readonly sendHeaderKey: Uint8Array | null;
  /** HKr */ readonly recvHeaderKey: Uint8Array | null;
  /** NHKs */ readonly nextSendHeaderKey: Uint8Array;
  /** NHKr */ readonly nextRecvHeaderKey: Uint8Array;
  /** Ns */ readonly sendCount: number;
  /** Nr */ readonly recvCount: number;
  /** PN */ readonly prevSendCount: number;
  /** MKSKIPPED, grouped by header key, oldest chain first. */
  readonly skipped: readonly SkippedChain[];
  /**
   * Not in the specification: whether we encrypted since we last decrypted. Only orders the
   * header-key attempts in ratchetDecrypt (the peer has most likely ratcheted if so).
   */
  readonly sentSinceReceive: boolean;
  /** Version 2: the KEM ratchet (docs/protocol-v2.md §13); null in version 1. */
  readonly kem: KemRatchet | null;
  /** Version 2: whether our current sending chain mixed a KEM secret (its headers carry the flag). */
  readonly sendChainMixed: boolean;
}

/**
 * §5.2 KDF_RK: HKDF-SHA256 with RK as salt and the DH output as input key material. Version 2
 * (docs/protocol-v2.md §13.5) uses its own labels and, when a KEM epoch ends, DH output ‖ KEM
 * secret as input key material, as KDF_RK in SimpleX's PQ double ratchet and the KDF of PQXDH
 * (concatenated secrets into one HKDF): the outputs stay secret while either input is.
 */
function kdfRk(
  env: ProtocolEnv,
  version: SessionVersion,
  rk: Uint8Array,
  dhOut: Uint8Array,
  kemSecret: Uint8Array | null = null,
): [Uint8Array, Uint8Array, Uint8Array] {
  const out =
    version === 1
      ? env.crypto.hkdfSha256(dhOut, rk, RK_INFO, 96)
      : kemSecret === null
        ? env.crypto.hkdfSha256(dhOut, rk, RK_INFO_V2, 96)
        : env.crypto.hkdfSha256(concatBytes(dhOut, kemSecret), rk, RK_KEM_INFO_V2, 96);
  return [out.subarray(0, 32), out.subarray(32, 64), out.subarray(64, 96)];
}

/**
 * §5.2 KDF_CK, in one PRF call: HMAC-SHA512 keyed by CK over the constant 0x01; the first 32 bytes
 * are the next chain key, the last 32 the message key. §5.2 recommends HMAC-SHA256 or -SHA512
 * with one call per output; one SHA-512 call gives two independent 32-byte PRF outputs at half
 * the cost, and the KDF is on every message's path (docs/protocol-ratchet.md §6.3, §11).
 */
function kdfCk(env: ProtocolEnv, ck: Uint8Array): [Uint8Array, Uint8Array] {
  const out = env.crypto.hmacSha512(ck, CK_INPUT);
  return [out.subarray(0, 32), out.subarray(32, 64)];
}

/** §4.4 RatchetInitAliceHE. */
export function initInitiator(
  env: ProtocolEnv,
  version: SessionVersion,
  sk: Uint8Array,
  remoteDh: Uint8Array,
  sharedHka: Uint8Array,
  sharedNhkb: Uint8Array,
): RatchetState {
  const dhSelf = generateX25519(env); // state.DHRs = GENERATE_DH()
  // state.RK, state.CKs, state.NHKs = KDF_RK_HE(SK, DH(state.DHRs, state.DHRr))
  const dh = env.crypto.x25519(dhSelf.privateKey, remoteDh);
  const [rootKey, sendChainKey, nextSendHeaderKey] = kdfRk(env, version, sk, dh);
  return {
    version,
    rootKey,
    dhSelf,
    dhRemote: remoteDh,
    sendChainKey,
    recvChainKey: null,
    sendHeaderKey: sharedHka, // state.HKs = shared_hka
    recvHeaderKey: null,
    nextSendHeaderKey,
    nextRecvHeaderKey: sharedNhkb, // state.NHKr = shared_nhkb
    sendCount: 0,
    recvCount: 0,
    prevSendCount: 0,
    skipped: [],
    sentSinceReceive: false,
    kem: version === 1 ? null : initialKemRatchet(true),
    sendChainMixed: false,
  };
}

/** §4.4 RatchetInitBobHE. Bob's first ratchet key pair is his signed prekey (§5.1 / X3DH §3.3). */
export function initResponder(
  version: SessionVersion,
  sk: Uint8Array,
  ownDh: X25519KeyPair,
  sharedHka: Uint8Array,
  sharedNhkb: Uint8Array,
): RatchetState {
  return {
    version,
    rootKey: sk,
    dhSelf: ownDh,
    dhRemote: null,
    sendChainKey: null,
    recvChainKey: null,
    sendHeaderKey: null,
    recvHeaderKey: null,
    nextSendHeaderKey: sharedNhkb, // state.NHKs = shared_nhkb
    nextRecvHeaderKey: sharedHka, // state.NHKr = shared_hka
    sendCount: 0,
    recvCount: 0,
    prevSendCount: 0,
    skipped: [],
    sentSinceReceive: false,
    kem: version === 1 ? null : initialKemRatchet(false),
    sendChainMixed: false,
  };
}

export function canSend(s: RatchetState): boolean {
  return s.sendChainKey !== null && s.sendHeaderKey !== null;
}

export interface EncryptResult {
  readonly state: RatchetState;
  readonly message: Uint8Array;
}

/** §4.5 RatchetEncryptHE; pads `plaintext` (§6.4) or, in version 2, lays out the body (§13.3). */
export function ratchetEncrypt(
  env: ProtocolEnv,
  s: RatchetState,
  plaintext: Uint8Array,
  ad: Uint8Array,
): EncryptResult {
  if (s.version === 1) return ratchetEncryptBody(env, s, pad(plaintext), ad);
  if (plaintext.length > MAX_PLAINTEXT_V2) throw new ProtocolError('usage', 'plaintext too large for one message');
  canEncrypt(s);
  // §13.3: u16 L ‖ plaintext ‖ KEM section, the section filling the bucket.
  const body = new Uint8Array(bodyLengthV2(plaintext.length));
  body[0] = plaintext.length >>> 8;
  body[1] = plaintext.length & 0xff;
  body.set(plaintext, 2);
  const sent = kemSend(env, s.kem as KemRatchet, body.length - 2 - plaintext.length);
  body.set(sent.section, 2 + plaintext.length);
  return ratchetEncryptBody(env, { ...s, kem: sent.kem }, body, ad);
}

function canEncrypt(s: RatchetState): void {
  if (s.sendChainKey === null || s.sendHeaderKey === null) {
    throw new ProtocolError('usage', 'session cannot send before it has received');
  }
  if (s.sendCount >= MAX_CHAIN_LENGTH) throw new ProtocolError('usage', 'sending chain exhausted');
}

/**
 * Encrypts an already laid-out body: the padded plaintext (version 1) or u16 L ‖ plaintext ‖ KEM
 * section (version 2). Exported for tests that need to send authentic but malformed bodies.
 */
export function ratchetEncryptBody(env: ProtocolEnv, s: RatchetState, body: Uint8Array, ad: Uint8Array): EncryptResult {
  canEncrypt(s);
  const sendHeaderKey = s.sendHeaderKey as Uint8Array;
  const [ck, mk] = kdfCk(env, s.sendChainKey as Uint8Array); // state.CKs, mk = KDF_CK(state.CKs)
  const header = new Uint8Array(HEADER); // header = HEADER(state.DHRs, state.PN, state.Ns)
  header.set(s.dhSelf.publicKey, 0);
  writeU32(header, 32, s.prevSendCount);
  // Version 2 (§13.4): bit 31 of the N word flags a sending chain that mixed a KEM secret.
  writeU32(header, 36, s.sendChainMixed ? (s.sendCount | 0x80000000) >>> 0 : s.sendCount);
  const message =
    s.version === 1
      ? sealV1(env, mk, sendHeaderKey, header, body, ad)
      : sealV2(env, mk, sendHeaderKey, header, body, ad);
  // state.Ns += 1
  return { state: { ...s, sendChainKey: ck, sendCount: s.sendCount + 1, sentSinceReceive: true }, message };
}

interface Header {
  readonly dh: Uint8Array;
  readonly pn: number;
  readonly n: number;
  /** Version 2: the sender's chain mixed a KEM secret (§13.4). Always false in version 1. */
  readonly mixed: boolean;
}

/** Parses an authenticated header; counters past MAX_CHAIN_LENGTH are refused (no sender makes them). */
function parseHeader(h: Uint8Array, version: SessionVersion): Header {
  const counter = version === 1 ? { n: readU32(h, 36), mixed: false } : readCounterWord(h);
  const header = { dh: h.subarray(0, 32), pn: readU32(h, 32), ...counter };
  if (header.n >= MAX_CHAIN_LENGTH || header.pn >= MAX_CHAIN_LENGTH) {
    throw new ProtocolError('decode', 'malformed ratchet header');
  }
  return header;
}

export interface DecryptResult {
  readonly state: RatchetState;
  readonly plaintext: Uint8Array;
}

/** What an opened body yields: the plaintext, and the KEM ratchet after reading its section. */
interface Opened {
  readonly plaintext: Uint8Array;
  readonly kem: KemRatchet | null;
}

/** One incoming message, split into its parts, with the body opener bound to its AAD. */
interface Incoming {
  readonly env: ProtocolEnv;
  readonly headerNonce: Uint8Array;
  readonly encHeader: Uint8Array;
  readonly headerAad: Uint8Array;
  /** Opens the body under mk and reads it with the KEM ratchet `kem` (version 2). */
  readonly open: (mk: Uint8Array, kem: KemRatchet | null) => Opened;
}

type Attempt = (m: Incoming, s: RatchetState) => DecryptResult | null;

function incomingV1(env: ProtocolEnv, message: Uint8Array, ad: Uint8Array): Incoming {
  const parsed = parseV1(message);
  return {
    env,
    headerNonce: parsed.nonce,
    encHeader: parsed.encHeader,
    headerAad: parsed.headerAad,
    open: (mk, kem) => ({ plaintext: unpad(openBodyV1(env, mk, parsed, message, ad)), kem }),
  };
}

function incomingV2(env: ProtocolEnv, message: Uint8Array, ad: Uint8Array): Incoming {
  const parsed = parseV2(message);
  return {
    env,
    headerNonce: parsed.headerNonce,
    encHeader: parsed.encHeader,
    headerAad: parsed.headerAad,
    open(mk, kem) {
      const { plaintext, section } = splitBodyV2(openBodyV2(env, mk, parsed, ad));
      return { plaintext, kem: kemReceive(env, kem as KemRatchet, section) };
    },
  };
}

/**
 * §4.6 RatchetDecryptHE. The header is tried under the current receiving header key, the header
 * keys of chains that still hold skipped keys (TrySkippedMessageKeysHE) and the next header key
 * (a new DH ratchet step). The pseudocode tries skipped keys first; the outcome cannot depend on
 * the order, because a header opens under one key only, so the order is chosen for speed: the
 * next header key first when we have sent since we last received (the peer has most likely
 * ratcheted), the current one first otherwise. A failed attempt costs a bad-tag AEAD open.
 */
export function ratchetDecrypt(env: ProtocolEnv, s: RatchetState, message: Uint8Array, ad: Uint8Array): DecryptResult {
  const m = s.version === 1 ? incomingV1(env, message, ad) : incomingV2(env, message, ad);
  const order: Attempt[] = s.sentSinceReceive
    ? [fromNextChain, fromCurrentChain, fromSkippedChains]
    : [fromCurrentChain, fromSkippedChains, fromNextChain];
  for (const attempt of order) {
    const r = attempt(m, s);
    if (r !== null) return r;
  }
  throw new ProtocolError('decrypt-failed', 'message header does not decrypt');
}

function openHeader(m: Incoming, key: Uint8Array): Uint8Array | null {
  return m.env.crypto.aesGcmOpen(key, m.headerNonce, m.encHeader, m.headerAad);
}

/** header = HDECRYPT(state.HKr, enc_header) → dh_ratchet = False */
function fromCurrentChain(m: Incoming, s: RatchetState): DecryptResult | null {
  if (s.recvHeaderKey === null || s.recvChainKey === null) return null;
  const plain = openHeader(m, s.recvHeaderKey);
  if (plain === null) return null;
  const h = parseHeader(plain, s.version);
  if (s.dhRemote === null || !equalBytes(h.dh, s.dhRemote)) {
    throw new ProtocolError('decode', 'malformed ratchet header');
  }
  if (h.n < s.recvCount) return fromSkipped(m, s, s.recvHeaderKey, h.n);
  // SkipMessageKeysHE(state, header.n)
  const skip = skipKeys(m.env, s.recvChainKey, s.recvCount, h.n);
  const [ck, mk] = kdfCk(m.env, skip.chainKey); // state.CKr, mk = KDF_CK(state.CKr)
  const { plaintext, kem } = m.open(mk, s.kem);
  const skipped = addSkipped(s.skipped, s.recvHeaderKey, skip.keys);
  // state.Nr += 1
  return {
    state: { ...s, recvChainKey: ck, recvCount: h.n + 1, skipped, sentSinceReceive: false, kem },
    plaintext,
  };
}

/** TrySkippedMessageKeysHE: header keys of older chains that still hold skipped keys. */
function fromSkippedChains(m: Incoming, s: RatchetState): DecryptResult | null {
  for (const chain of s.skipped) {
    // The current chain's header key is tried by fromCurrentChain.
    if (s.recvHeaderKey !== null && equalBytes(chain.headerKey, s.recvHeaderKey)) continue;
    const plain = openHeader(m, chain.headerKey);
    if (plain !== null) return fromSkipped(m, s, chain.headerKey, parseHeader(plain, s.version).n);
  }
  return null;
}

/** header = HDECRYPT(state.NHKr, enc_header) → dh_ratchet = True */
function fromNextChain(m: Incoming, s: RatchetState): DecryptResult | null {
  const { env } = m;
  const plain = openHeader(m, s.nextRecvHeaderKey);
  if (plain === null) return null;
  const h = parseHeader(plain, s.version);

  // SkipMessageKeysHE(state, header.pn): keys left in the current receiving chain
  let skipped = s.skipped;
  if (s.recvChainKey !== null && s.recvHeaderKey !== null) {
    const prev = skipKeys(env, s.recvChainKey, s.recvCount, h.pn);
    skipped = addSkipped(skipped, s.recvHeaderKey, prev.keys);
  }
  // DHRatchetHE(state, header)
  const dhRemote = h.dh.slice();
  // Version 2, §13.4: a flagged chain ends the epoch whose ciphertext we encapsulated.
  let kem = s.kem;
  let recvSecret: Uint8Array | null = null;
  if (h.mixed) {
    const taken = takeEncapsulatedSecret(kem as KemRatchet);
    recvSecret = taken.secret;
    kem = taken.kem;
  }
  //   state.RK, state.CKr, state.NHKr = KDF_RK_HE(state.RK, DH(state.DHRs, state.DHRr))
  const dhRecv = env.crypto.x25519(s.dhSelf.privateKey, dhRemote);
  const [rk1, recvChain, nextRecvHeaderKey] = kdfRk(env, s.version, s.rootKey, dhRecv, recvSecret);
  // SkipMessageKeysHE(state, header.n) in the new chain
  const skip = skipKeys(env, recvChain, 0, h.n);
  const [ck, mk] = kdfCk(env, skip.chainKey);
  const opened = m.open(mk, kem);
  //   state.DHRs = GENERATE_DH()
  const dhSelf = generateX25519(env);
  // Version 2, §13.4: a secret we decapsulated goes into our new sending chain, which is flagged.
  const ready = opened.kem === null ? null : takeReadySecret(opened.kem);
  //   state.RK, state.CKs, state.NHKs = KDF_RK_HE(state.RK, DH(state.DHRs, state.DHRr))
  const dhSend = env.crypto.x25519(dhSelf.privateKey, dhRemote);
  const [rootKey, sendChainKey, nextSendHeaderKey] = kdfRk(env, s.version, rk1, dhSend, ready?.secret ?? null);
  const recvHeaderKey = s.nextRecvHeaderKey; // state.HKr = state.NHKr
  return {
    state: {
      version: s.version,
      rootKey,
      dhSelf,
      dhRemote,
      sendChainKey,
      recvChainKey: ck,
      sendHeaderKey: s.nextSendHeaderKey, // state.HKs = state.NHKs
      recvHeaderKey,
      nextSendHeaderKey,
      nextRecvHeaderKey,
      sendCount: 0, // state.Ns = 0
      recvCount: h.n + 1, // state.Nr = 0, then += 1 per derived key
      prevSendCount: s.sendCount, // state.PN = state.Ns
      skipped: addSkipped(skipped, recvHeaderKey, skip.keys),
      sentSinceReceive: false,
      kem: ready?.kem ?? opened.kem,
      sendChainMixed: ready !== null,
    },
    plaintext: opened.plaintext,
  };
}

function fromSkipped(m: Incoming, s: RatchetState, headerKey: Uint8Array, n: number): DecryptResult {
  const idx = s.skipped.findIndex((c) => equalBytes(c.headerKey, headerKey));
  const chain = s.skipped[idx];
  const mk = chain?.keys.get(n);
  if (chain === undefined || mk === undefined) {
    throw new ProtocolError('duplicate-message', 'message already received or its key expired');
  }
  const { plaintext, kem } = m.open(mk, s.kem);
  // del state.MKSKIPPED[hk, header.n]
  const keys = new Map(chain.keys);
  keys.delete(n);
  const skipped = s.skipped.slice();
  if (keys.size === 0) skipped.splice(idx, 1);
  else skipped[idx] = { headerKey: chain.headerKey, keys };
  return { state: { ...s, skipped, sentSinceReceive: false, kem }, plaintext };
}

interface Skip {
  readonly chainKey: Uint8Array;
  readonly keys: ReadonlyArray<readonly [number, Uint8Array]>;
}

/** §4.6 SkipMessageKeysHE: derives and returns the keys from `from` up to (excluding) `until`. */
function skipKeys(env: ProtocolEnv, chainKey: Uint8Array, from: number, until: number): Skip {
  if (until <= from) return { chainKey, keys: [] };
  // if state.Nr + MAX_SKIP < until: raise Error()
  if (until - from > MAX_SKIP) throw new ProtocolError('too-many-skipped', 'message skips too many keys');
  const keys: [number, Uint8Array][] = [];
  let ck = chainKey;
  for (let n = from; n < until; n++) {
    const [next, mk] = kdfCk(env, ck);
    keys.push([n, mk]); // state.MKSKIPPED[state.HKr, state.Nr] = mk
    ck = next;
  }
  return { chainKey: ck, keys };
}

/** Adds skipped keys under `headerKey`, then enforces the chain and total caps, oldest first. */
function addSkipped(
  chains: readonly SkippedChain[],
  headerKey: Uint8Array,
  keys: ReadonlyArray<readonly [number, Uint8Array]>,
): readonly SkippedChain[] {
  if (keys.length === 0) return chains;
  const out = chains.slice();
  const idx = out.findIndex((c) => equalBytes(c.headerKey, headerKey));
  const existing = idx >= 0 ? (out[idx] as SkippedChain) : undefined;
  const merged = new Map(existing?.keys);
  for (const [n, mk] of keys) merged.set(n, mk);
  if (existing) out[idx] = { headerKey: existing.headerKey, keys: merged };
  else out.push({ headerKey, keys: merged });
  while (out.length > MAX_SKIPPED_CHAINS) out.shift();
  let total = 0;
  for (const c of out) total += c.keys.size;
  while (total > MAX_SKIPPED_KEYS) {
    const first = out[0] as SkippedChain;
    const excess = total - MAX_SKIPPED_KEYS;
    if (first.keys.size <= excess) {
      out.shift();
      total -= first.keys.size;
    } else {
      const kept = new Map([...first.keys].slice(excess));
      out[0] = { headerKey: first.headerKey, keys: kept };
      total -= excess;
    }
  }
  return out;
}
