/**
 * The KEM ratchet of protocol v2 (docs/protocol-v2.md §13): a sparse ML-KEM-768 exchange that runs
 * beside the Double Ratchet and feeds a fresh post-quantum shared secret into its root KDF once per
 * epoch. It is the idea of Signal's SPQR (a KEM key and ciphertext spread over many messages, one
 * epoch at a time, roles alternating: "Signal Protocols, Annotated", §2.2 The ML-KEM Braid
 * Protocol) combined with the root-key mixing of SimpleX's PQ double ratchet (the KEM secret
 * enters KDF_RK together with the DH output). Parley has no incremental ML-KEM, so the
 * encapsulation key travels whole before encapsulation starts.
 *
 * One epoch e ≥ 1 (§13.2), keyholder K = the responder when e is odd, the initiator when even:
 *
 *   K: (ek, dk) = ML-KEM.KeyGen(random(64))            at K's first send of the epoch
 *   K → P: ek in chunks, cyclically, until K receives any byte of ct
 *   P: once all of ek is in: (ct, ss) = Encaps(ek, random(32)); P → K: ct in chunks, cyclically
 *   K: once all of ct is in: ss = Decaps(ct, dk); forget dk
 *   K: the next sending chain K creates mixes ss into KDF_RK and carries the KEM flag (§13.4)
 *   P: on the first message of that chain, mixes ss into its KDF_RK; epoch e + 1 starts,
 *      with P as keyholder
 *
 * Chunks live in the padding slack of the encrypted body (§13.3), so they cost no bytes on the
 * wire beyond a small reserve. A chunk names its epoch, so a late chunk of an earlier epoch is
 * ignored; the kind (key or ciphertext) follows from the epoch and the sender's role.
 *
 * State in, state out: nothing here mutates its input.
 */
import { readU32, writeU32 } from './codec.ts';
import {
  type KemKeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SECRET_KEY_BYTES,
} from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { encapsulateKem, generateKem } from './keys.ts';

/** Bytes of a chunk's header in the body: u32 epoch ‖ u16 offset. */
export const CHUNK_HEADER = 6;
/** The section of every v2 body is at least this long: a chunk header and 16 bytes of data. */
export const MIN_SECTION = CHUNK_HEADER + 16;

/** A byte string received in pieces: the bytes so far and a bitmap of which ones arrived. */
export interface Assembly {
  readonly bytes: Uint8Array;
  /** Bit i (byte i >> 3, bit i & 7) is set when byte i has arrived. */
  readonly have: Uint8Array;
  /** Number of bytes still missing. */
  readonly missing: number;
}

/** Where one side is in the current epoch (docs/protocol-v2.md §13.2). */
export type KemRatchet =
  /** Keyholder before its first send of the epoch: no key pair yet. */
  | { readonly phase: 'keyholder'; readonly epoch: number; readonly keys: null }
  /** Keyholder with a key pair: sends ek chunks until ct starts arriving, collects ct. */
  | {
      readonly phase: 'keyholder';
      readonly epoch: number;
      readonly keys: KemKeyPair;
      readonly cursor: number;
      readonly ct: Assembly;
    }
  /** Keyholder after decapsulation: the secret waits for our next sending chain. */
  | { readonly phase: 'ready'; readonly epoch: number; readonly secret: Uint8Array }
  /** Encapsulator collecting the peer's ek. */
  | { readonly phase: 'collecting'; readonly epoch: number; readonly ek: Assembly }
  /** Encapsulator after encapsulation: sends ct chunks until the peer's flagged chain arrives. */
  | {
      readonly phase: 'encapsulated';
      readonly epoch: number;
      readonly ct: Uint8Array;
      readonly secret: Uint8Array;
      readonly cursor: number;
    };

export function emptyAssembly(size: number): Assembly {
  return { bytes: new Uint8Array(size), have: new Uint8Array(Math.ceil(size / 8)), missing: size };
}

/** §13.2: epoch 1 starts with the responder as keyholder and the initiator collecting. */
export function initialKemRatchet(initiator: boolean): KemRatchet {
  return initiator
    ? { phase: 'collecting', epoch: 1, ek: emptyAssembly(MLKEM768_PUBLIC_KEY_BYTES) }
    : { phase: 'keyholder', epoch: 1, keys: null };
}

/**
 * The encapsulation key inside an ML-KEM-768 decapsulation key: FIPS 203 Algorithm 16
 * (ML-KEM.KeyGen_internal) outputs dk = dk_PKE ‖ ek ‖ H(ek) ‖ z with |dk_PKE| = 384·k = 1152.
 */
export function encapsulationKeyOf(secretKey: Uint8Array): Uint8Array {
  return secretKey.subarray(1152, 1152 + MLKEM768_PUBLIC_KEY_BYTES);
}

/** The object we send in this phase and where, or null when we have nothing to send. */
function outgoing(k: KemRatchet): { readonly object: Uint8Array; readonly cursor: number } | null {
  if (k.phase === 'keyholder' && k.keys !== null && k.ct.missing === MLKEM768_CIPHERTEXT_BYTES) {
    return { object: k.keys.publicKey, cursor: k.cursor };
  }
  if (k.phase === 'encapsulated') return { object: k.ct, cursor: k.cursor };
  return null;
}

export interface KemSend {
  readonly kem: KemRatchet;
  /** The body's KEM section, exactly `room` bytes: a chunk, or zeros. */
  readonly section: Uint8Array;
}

/**
 * §13.3 sender side: fills a section of `room` bytes. A keyholder without a key pair generates
 * one first (the only randomness drawn when sending a v2 message): `generateKem` (keys.ts) takes
 * d ‖ z = random(64) from a seeded environment and lets the backend draw them natively otherwise.
 */
export function kemSend(env: ProtocolEnv, k: KemRatchet, room: number): KemSend {
  const section = new Uint8Array(room);
  if (room <= CHUNK_HEADER) return { kem: k, section };
  let kem = k;
  if (kem.phase === 'keyholder' && kem.keys === null) {
    const keys = generateKem(env);
    kem = {
      phase: 'keyholder',
      epoch: kem.epoch,
      keys: { publicKey: encapsulationKeyOf(keys.secretKey), secretKey: keys.secretKey },
      cursor: 0,
      ct: emptyAssembly(MLKEM768_CIPHERTEXT_BYTES),
    };
  }
  const out = outgoing(kem);
  if (out === null) return { kem, section };
  const size = out.object.length;
  const length = Math.min(room - CHUNK_HEADER, size);
  writeU32(section, 0, kem.epoch);
  section[4] = out.cursor >>> 8;
  section[5] = out.cursor & 0xff;
  for (let i = 0; i < length; i++) section[CHUNK_HEADER + i] = out.object[(out.cursor + i) % size] as number;
  const cursor = (out.cursor + length) % size;
  return { kem: { ...kem, cursor } as KemRatchet, section };
}

function malformed(): never {
  throw new ProtocolError('decode', 'malformed message body');
}

function allZero(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** Adds `data` at `offset` (cyclically) to an assembly; returns a new one. */
function absorb(a: Assembly, offset: number, data: Uint8Array): Assembly {
  const size = a.bytes.length;
  const bytes = a.bytes.slice();
  const have = a.have.slice();
  let missing = a.missing;
  for (let i = 0; i < data.length; i++) {
    const at = (offset + i) % size;
    const mask = 1 << (at & 7);
    if (((have[at >>> 3] as number) & mask) === 0) {
      have[at >>> 3] = (have[at >>> 3] as number) | mask;
      missing--;
    }
    bytes[at] = data[i] as number;
  }
  return { bytes, have, missing };
}

/**
 * §13.3 receiver side: reads the KEM section of an authentic message from the peer. A chunk of
 * another epoch, or of this epoch once we no longer need it, is ignored. When the last byte of
 * ek arrives we encapsulate at once (random(32), drawn as `encapsulateKem` in keys.ts says); when the last byte of ct arrives we
 * decapsulate. Malformed sections (only a broken peer can produce them: the body is
 * authenticated) are `decode`; an invalid encapsulation key is `decode` too.
 */
export function kemReceive(env: ProtocolEnv, k: KemRatchet, section: Uint8Array): KemRatchet {
  if (section.length <= CHUNK_HEADER || readU32(section, 0) === 0) {
    if (!allZero(section)) malformed();
    return k;
  }
  const epoch = readU32(section, 0);
  if (epoch !== k.epoch) return k; // a late chunk of an earlier epoch (or garbage from the future)
  const offset = ((section[4] as number) << 8) | (section[5] as number);
  if (k.phase === 'keyholder') {
    if (k.keys === null) malformed(); // the peer cannot have a ciphertext for a key we never sent
    const ct = receiveChunk(k.ct, offset, section);
    if (ct.missing > 0) return { ...k, ct };
    const secret = env.crypto.mlKemDecapsulate(ct.bytes, k.keys.secretKey);
    return { phase: 'ready', epoch: k.epoch, secret };
  }
  if (k.phase === 'collecting') {
    const ek = receiveChunk(k.ek, offset, section);
    if (ek.missing > 0) return { ...k, ek };
    const { ciphertext, sharedSecret } = encapsulateKem(env, ek.bytes);
    return { phase: 'encapsulated', epoch: k.epoch, ct: ciphertext, secret: sharedSecret, cursor: 0 };
  }
  return k; // 'ready' or 'encapsulated': the peer's chunks of this epoch are no longer needed
}

function receiveChunk(a: Assembly, offset: number, section: Uint8Array): Assembly {
  const size = a.bytes.length;
  if (offset >= size) malformed();
  const length = Math.min(section.length - CHUNK_HEADER, size);
  if (!allZero(section.subarray(CHUNK_HEADER + length))) malformed();
  return absorb(a, offset, section.subarray(CHUNK_HEADER, CHUNK_HEADER + length));
}

/**
 * §13.4, keyholder side: when we create a sending chain, the secret of a finished epoch (if
 * any) goes into its KDF_RK; the epoch then ends for us and we collect the next one's key.
 */
export function takeReadySecret(k: KemRatchet): { readonly secret: Uint8Array; readonly kem: KemRatchet } | null {
  if (k.phase !== 'ready') return null;
  return {
    secret: k.secret,
    kem: { phase: 'collecting', epoch: k.epoch + 1, ek: emptyAssembly(MLKEM768_PUBLIC_KEY_BYTES) },
  };
}

/**
 * §13.4, encapsulator side: the first message of a peer chain that carries the KEM flag. Our
 * encapsulated secret goes into the receiving KDF_RK, and we become the next epoch's keyholder.
 * A flag while we hold no encapsulated secret is a protocol violation (`decode`).
 */
export function takeEncapsulatedSecret(k: KemRatchet): { readonly secret: Uint8Array; readonly kem: KemRatchet } {
  if (k.phase !== 'encapsulated') throw new ProtocolError('decode', 'malformed ratchet header');
  return { secret: k.secret, kem: { phase: 'keyholder', epoch: k.epoch + 1, keys: null } };
}

/** Sizes used by the state codec. */
export const KEM_SIZES = {
  ek: MLKEM768_PUBLIC_KEY_BYTES,
  dk: MLKEM768_SECRET_KEY_BYTES,
  ct: MLKEM768_CIPHERTEXT_BYTES,
} as const;
