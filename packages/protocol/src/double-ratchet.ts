/**
 * The Double Ratchet with header encryption (Signal, "The Double Ratchet Algorithm", revision 1,
 * §4 "Double Ratchet with header encryption"), AES-256-GCM as AEAD. Comments quote the
 * specification's pseudocode (§4.4–4.6) next to the code that implements each line.
 *
 * State in, state out: every function returns a new state and never mutates its input, so a
 * failed decrypt (tampered, replayed, garbage) leaves the caller's state exactly as it was.
 *
 * Message layout (docs/protocol.md §6.2):
 *   u8 version ‖ u8 type ‖ nonce (12) ‖ enc_header (40 + 16) ‖ body (padded + 16)
 *   header    = DHs.public (32) ‖ u32 PN ‖ u32 N                 (§3.1 HEADER)
 *   enc_header = AES-256-GCM(HKs, nonce, header, aad = version ‖ type)   (HENCRYPT)
 *   body       = AES-256-GCM(mk,  nonce, padded, aad = AD ‖ version ‖ type ‖ nonce ‖ enc_header)
 * The nonce is random: a header key encrypts a whole chain, so its nonce must not repeat
 * (§4.2 HENCRYPT). The body key mk is used once, and reusing the header's random nonce with it is
 * safe under a different key (§3.1 ENCRYPT allows any nonce scheme for single-use keys); a random
 * rather than fixed nonce also keeps GCM safe if a state is ever rolled back and a key reused.
 */
import { equalBytes } from './bytes.ts';
import { readU32, writeU32 } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { generateX25519, type X25519KeyPair } from './keys.ts';
import { isBucket } from './padding.ts';
import { WIRE_VERSION, WireType } from './wire.ts';

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

const NONCE = 12;
const HEADER = 40;
const ENC_HEADER = HEADER + 16;
const PREFIX = 2 + NONCE + ENC_HEADER; // bytes before the body
export const RATCHET_OVERHEAD = PREFIX + 16;

const CK_INPUT = Uint8Array.of(0x01);
const RK_INFO = new TextEncoder().encode('Parley DR root v1');

/** Skipped message keys of one receiving chain, by message number, in insertion order. */
export interface SkippedChain {
  readonly headerKey: Uint8Array;
  readonly keys: ReadonlyMap<number, Uint8Array>;
}

/** §4.3 state variables, named after the specification's. */
export interface RatchetState {
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
}

/** §5.2 KDF_RK: HKDF-SHA256 with RK as salt and the DH output as input key material. */
function kdfRk(env: ProtocolEnv, rk: Uint8Array, dhOut: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] {
  const out = env.crypto.hkdfSha256(dhOut, rk, RK_INFO, 96);
  return [out.subarray(0, 32), out.subarray(32, 64), out.subarray(64, 96)];
}

/**
 * §5.2 KDF_CK, in one PRF call: HMAC-SHA512 keyed by CK over the constant 0x01; the first 32 bytes
 * are the next chain key, the last 32 the message key. §5.2 recommends HMAC-SHA256 or -SHA512
 * with one call per output; one SHA-512 call gives two independent 32-byte PRF outputs at half
 * the cost, and the KDF is on every message's path (docs/protocol.md §6.3, §11).
 */
function kdfCk(env: ProtocolEnv, ck: Uint8Array): [Uint8Array, Uint8Array] {
  const out = env.crypto.hmacSha512(ck, CK_INPUT);
  return [out.subarray(0, 32), out.subarray(32, 64)];
}

/** §4.4 RatchetInitAliceHE. */
export function initInitiator(
  env: ProtocolEnv,
  sk: Uint8Array,
  remoteDh: Uint8Array,
  sharedHka: Uint8Array,
  sharedNhkb: Uint8Array,
): RatchetState {
  const dhSelf = generateX25519(env); // state.DHRs = GENERATE_DH()
  // state.RK, state.CKs, state.NHKs = KDF_RK_HE(SK, DH(state.DHRs, state.DHRr))
  const [rootKey, sendChainKey, nextSendHeaderKey] = kdfRk(env, sk, env.crypto.x25519(dhSelf.privateKey, remoteDh));
  return {
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
  };
}

/** §4.4 RatchetInitBobHE. Bob's first ratchet key pair is his signed prekey (§5.1 / X3DH §3.3). */
export function initResponder(
  sk: Uint8Array,
  ownDh: X25519KeyPair,
  sharedHka: Uint8Array,
  sharedNhkb: Uint8Array,
): RatchetState {
  return {
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
  };
}

export function canSend(s: RatchetState): boolean {
  return s.sendChainKey !== null && s.sendHeaderKey !== null;
}

export interface EncryptResult {
  readonly state: RatchetState;
  readonly message: Uint8Array;
}

/** §4.5 RatchetEncryptHE. `padded` must already be padded to a bucket (padding.ts). */
export function ratchetEncrypt(env: ProtocolEnv, s: RatchetState, padded: Uint8Array, ad: Uint8Array): EncryptResult {
  if (s.sendChainKey === null || s.sendHeaderKey === null) {
    throw new ProtocolError('usage', 'session cannot send before it has received');
  }
  if (s.sendCount >= MAX_CHAIN_LENGTH) throw new ProtocolError('usage', 'sending chain exhausted');
  const c = env.crypto;
  const [ck, mk] = kdfCk(env, s.sendChainKey); // state.CKs, mk = KDF_CK(state.CKs)
  const header = new Uint8Array(HEADER); // header = HEADER(state.DHRs, state.PN, state.Ns)
  header.set(s.dhSelf.publicKey, 0);
  writeU32(header, 32, s.prevSendCount);
  writeU32(header, 36, s.sendCount);
  const nonce = (env.publicRandom ?? env.random)(NONCE);
  const message = new Uint8Array(PREFIX + padded.length + 16);
  message[0] = WIRE_VERSION;
  message[1] = WireType.ratchetMessage;
  message.set(nonce, 2);
  // enc_header = HENCRYPT(state.HKs, header)
  message.set(c.aesGcmSeal(s.sendHeaderKey, nonce, header, message.subarray(0, 2)), 2 + NONCE);
  // ENCRYPT(mk, plaintext, CONCAT(AD, enc_header))
  message.set(c.aesGcmSeal(mk, nonce, padded, bodyAad(ad, message)), PREFIX);
  // state.Ns += 1
  return { state: { ...s, sendChainKey: ck, sendCount: s.sendCount + 1, sentSinceReceive: true }, message };
}

function bodyAad(ad: Uint8Array, message: Uint8Array): Uint8Array {
  const aad = new Uint8Array(ad.length + PREFIX);
  aad.set(ad, 0);
  aad.set(message.subarray(0, PREFIX), ad.length);
  return aad;
}

interface Header {
  readonly dh: Uint8Array;
  readonly pn: number;
  readonly n: number;
}

/** Parses an authenticated header; counters past MAX_CHAIN_LENGTH are refused (no sender makes them). */
function parseHeader(h: Uint8Array): Header {
  const header = { dh: h.subarray(0, 32), pn: readU32(h, 32), n: readU32(h, 36) };
  if (header.n >= MAX_CHAIN_LENGTH || header.pn >= MAX_CHAIN_LENGTH) {
    throw new ProtocolError('decode', 'malformed ratchet header');
  }
  return header;
}

export interface DecryptResult {
  readonly state: RatchetState;
  /** The padded plaintext (unpad with padding.ts). */
  readonly padded: Uint8Array;
}

/** Checks the fixed framing of a ratchet message; `decode` error if it cannot be one. */
export function checkRatchetMessage(message: Uint8Array): void {
  if (message.length < RATCHET_OVERHEAD) throw new ProtocolError('decode', 'malformed ratchet message');
  if (message[0] !== WIRE_VERSION) throw new ProtocolError('unsupported-version', 'unsupported message version');
  if (message[1] !== WireType.ratchetMessage || !isBucket(message.length - RATCHET_OVERHEAD)) {
    throw new ProtocolError('decode', 'malformed ratchet message');
  }
}

/** One incoming message, split into its parts, with the body opener bound to its AAD. */
interface Incoming {
  readonly env: ProtocolEnv;
  readonly nonce: Uint8Array;
  readonly encHeader: Uint8Array;
  readonly frame: Uint8Array;
  readonly openBody: (mk: Uint8Array) => Uint8Array;
}

type Attempt = (m: Incoming, s: RatchetState) => DecryptResult | null;

/**
 * §4.6 RatchetDecryptHE. The header is tried under the current receiving header key, the header
 * keys of chains that still hold skipped keys (TrySkippedMessageKeysHE) and the next header key
 * (a new DH ratchet step). The pseudocode tries skipped keys first; the outcome cannot depend on
 * the order, because a header opens under one key only, so the order is chosen for speed: the
 * next header key first when we have sent since we last received (the peer has most likely
 * ratcheted), the current one first otherwise. A failed attempt costs a bad-tag AEAD open.
 */
export function ratchetDecrypt(env: ProtocolEnv, s: RatchetState, message: Uint8Array, ad: Uint8Array): DecryptResult {
  checkRatchetMessage(message);
  const nonce = message.subarray(2, 2 + NONCE);
  const body = message.subarray(PREFIX);
  const aad = bodyAad(ad, message);
  const m: Incoming = {
    env,
    nonce,
    encHeader: message.subarray(2 + NONCE, PREFIX),
    frame: message.subarray(0, 2),
    openBody(mk) {
      const padded = env.crypto.aesGcmOpen(mk, nonce, body, aad);
      if (padded === null) throw new ProtocolError('decrypt-failed', 'message authentication failed');
      return padded;
    },
  };
  const order: Attempt[] = s.sentSinceReceive
    ? [fromNextChain, fromCurrentChain, fromSkippedChains]
    : [fromCurrentChain, fromSkippedChains, fromNextChain];
  for (const attempt of order) {
    const r = attempt(m, s);
    if (r !== null) return r;
  }
  throw new ProtocolError('decrypt-failed', 'message header does not decrypt');
}

/** header = HDECRYPT(state.HKr, enc_header) → dh_ratchet = False */
function fromCurrentChain(m: Incoming, s: RatchetState): DecryptResult | null {
  if (s.recvHeaderKey === null || s.recvChainKey === null) return null;
  const plain = m.env.crypto.aesGcmOpen(s.recvHeaderKey, m.nonce, m.encHeader, m.frame);
  if (plain === null) return null;
  const h = parseHeader(plain);
  if (s.dhRemote === null || !equalBytes(h.dh, s.dhRemote)) {
    throw new ProtocolError('decode', 'malformed ratchet header');
  }
  if (h.n < s.recvCount) return fromSkipped(s, s.recvHeaderKey, h.n, m.openBody);
  // SkipMessageKeysHE(state, header.n)
  const skip = skipKeys(m.env, s.recvChainKey, s.recvCount, h.n);
  const [ck, mk] = kdfCk(m.env, skip.chainKey); // state.CKr, mk = KDF_CK(state.CKr)
  const padded = m.openBody(mk);
  const skipped = addSkipped(s.skipped, s.recvHeaderKey, skip.keys);
  // state.Nr += 1
  return { state: { ...s, recvChainKey: ck, recvCount: h.n + 1, skipped, sentSinceReceive: false }, padded };
}

/** TrySkippedMessageKeysHE: header keys of older chains that still hold skipped keys. */
function fromSkippedChains(m: Incoming, s: RatchetState): DecryptResult | null {
  for (const chain of s.skipped) {
    // The current chain's header key is tried by fromCurrentChain.
    if (s.recvHeaderKey !== null && equalBytes(chain.headerKey, s.recvHeaderKey)) continue;
    const plain = m.env.crypto.aesGcmOpen(chain.headerKey, m.nonce, m.encHeader, m.frame);
    if (plain !== null) return fromSkipped(s, chain.headerKey, parseHeader(plain).n, m.openBody);
  }
  return null;
}

/** header = HDECRYPT(state.NHKr, enc_header) → dh_ratchet = True */
function fromNextChain(m: Incoming, s: RatchetState): DecryptResult | null {
  const { env } = m;
  const plain = env.crypto.aesGcmOpen(s.nextRecvHeaderKey, m.nonce, m.encHeader, m.frame);
  if (plain === null) return null;
  const h = parseHeader(plain);

  // SkipMessageKeysHE(state, header.pn): keys left in the current receiving chain
  let skipped = s.skipped;
  if (s.recvChainKey !== null && s.recvHeaderKey !== null) {
    const prev = skipKeys(env, s.recvChainKey, s.recvCount, h.pn);
    skipped = addSkipped(skipped, s.recvHeaderKey, prev.keys);
  }
  // DHRatchetHE(state, header)
  const dhRemote = h.dh.slice();
  //   state.RK, state.CKr, state.NHKr = KDF_RK_HE(state.RK, DH(state.DHRs, state.DHRr))
  const [rk1, recvChain, nextRecvHeaderKey] = kdfRk(env, s.rootKey, env.crypto.x25519(s.dhSelf.privateKey, dhRemote));
  //   state.DHRs = GENERATE_DH()
  const dhSelf = generateX25519(env);
  //   state.RK, state.CKs, state.NHKs = KDF_RK_HE(state.RK, DH(state.DHRs, state.DHRr))
  const [rootKey, sendChainKey, nextSendHeaderKey] = kdfRk(env, rk1, env.crypto.x25519(dhSelf.privateKey, dhRemote));
  // SkipMessageKeysHE(state, header.n) in the new chain
  const skip = skipKeys(env, recvChain, 0, h.n);
  const [ck, mk] = kdfCk(env, skip.chainKey);
  const padded = m.openBody(mk);
  const recvHeaderKey = s.nextRecvHeaderKey; // state.HKr = state.NHKr
  return {
    state: {
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
    },
    padded,
  };
}

function fromSkipped(
  s: RatchetState,
  headerKey: Uint8Array,
  n: number,
  openBody: (mk: Uint8Array) => Uint8Array,
): DecryptResult {
  const idx = s.skipped.findIndex((c) => equalBytes(c.headerKey, headerKey));
  const chain = s.skipped[idx];
  const mk = chain?.keys.get(n);
  if (chain === undefined || mk === undefined) {
    throw new ProtocolError('duplicate-message', 'message already received or its key expired');
  }
  const padded = openBody(mk);
  // del state.MKSKIPPED[hk, header.n]
  const keys = new Map(chain.keys);
  keys.delete(n);
  const skipped = s.skipped.slice();
  if (keys.size === 0) skipped.splice(idx, 1);
  else skipped[idx] = { headerKey: chain.headerKey, keys };
  return { state: { ...s, skipped, sentSinceReceive: false }, padded };
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
