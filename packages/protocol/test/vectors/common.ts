/**
 * What every vector builder shares: the deterministic environments that record (or replay) their
 * random draws, the clock start, the description of the random source, and the identity record.
 */
import { readFileSync } from 'node:fs';
import {
  type CryptoBackend,
  encodeIdentity,
  fromHex,
  type IdentityKeyPair,
  type ProtocolEnv,
  type PublicIdentity,
  publicIdentity,
  type Session,
  toHex,
} from '../../src/index.ts';
import { testEnv } from '../kit.ts';

/**
 * A responder's session as the committed vectors recorded it: without the PQXDH header digest
 * that states have carried since every repeated header field is bound (docs/protocol-ratchet.md
 * §8, flag bit 7). Such a state still loads and works; a repeated header is then
 * compared by base key, identity and device only. Fresh states (new vector files) keep it.
 */
export function asRecorded<T extends { readonly session: Session }>(accepted: T): T {
  return { ...accepted, session: { ...accepted.session, headerDigest: null } };
}

/** Lower-case hex of a byte string. */
export type Hex = string;

export const CLOCK_START = 1_767_225_600_000;

export const RNG_DESCRIPTION =
  'Randomness: testEnv(seed, backend) from packages/protocol/test/kit.ts. The n-th call (n = 0, 1, …) to ' +
  'random(len) on an environment returns the first len bytes of the ChaCha20 (RFC 8439) keystream with ' +
  'key = SHA-256(UTF-8(seed)), block counter starting at 0, and a 96-bit nonce of 8 zero bytes followed by n ' +
  'as a big-endian u32 (the counter sits in the last 4 bytes). Every draw is also recorded in the "random" ' +
  `fields (hex, in call order), so the vectors can be replayed without the RNG. Clock: now() returns ${CLOCK_START} ` +
  'ms (2026-01-01T00:00:00Z) on its first call and 1 more on each later call; only prekey generation reads it ' +
  '(createdAt). Each party has its own environment. Bytes are lower-case hex. Generated with the node backend ' +
  'and checked to be identical with the noble backend.';

// ---------------------------------------------------------------------------------------------
// Deterministic environments that record (or replay) their random draws.

export interface Recorder {
  readonly env: ProtocolEnv;
  /** The draws made since the last call, as hex, in order. */
  take(): Hex[];
}

export function recorder(seed: string, crypto: CryptoBackend): Recorder {
  const base = testEnv(seed, crypto, CLOCK_START);
  let draws: Hex[] = [];
  const env: ProtocolEnv = {
    crypto,
    now: base.now,
    random: (n) => {
      const b = base.random(n);
      draws.push(toHex(b));
      return b;
    },
  };
  return {
    env,
    take: () => {
      const out = draws;
      draws = [];
      return out;
    },
  };
}

export interface Replay {
  readonly env: ProtocolEnv;
  /** Draws not consumed yet (should be 0 after the operation). */
  remaining(): number;
}

/** An environment whose random() returns the recorded draws in order; the clock must not be read. */
export function replayEnv(crypto: CryptoBackend, draws: readonly Hex[]): Replay {
  let i = 0;
  const env: ProtocolEnv = {
    crypto,
    now: () => {
      throw new Error('replayEnv: unexpected clock read');
    },
    random: (n) => {
      const d = draws[i++];
      if (d === undefined) throw new Error(`replayEnv: no draw left for random(${n})`);
      const b = fromHex(d);
      if (b.length !== n) throw new Error(`replayEnv: recorded draw has ${b.length} bytes, random(${n}) asked`);
      return b;
    },
  };
  return { env, remaining: () => draws.length - i };
}

export interface IdentityVector {
  readonly signingPrivateKey: Hex;
  readonly signingPublicKey: Hex;
  readonly agreementPrivateKey: Hex;
  readonly agreementPublicKey: Hex;
  readonly certificate: Hex;
  /** encodeIdentity: signingKey ‖ agreementKey ‖ certificate (128 bytes). */
  readonly encoded: Hex;
}

export function identityVector(id: IdentityKeyPair): IdentityVector {
  return {
    signingPrivateKey: toHex(id.signing.privateKey),
    signingPublicKey: toHex(id.signing.publicKey),
    agreementPrivateKey: toHex(id.agreement.privateKey),
    agreementPublicKey: toHex(id.agreement.publicKey),
    certificate: toHex(id.certificate),
    encoded: toHex(encodeIdentity(publicIdentity(id))),
  };
}

/** The identity key pair a vector records (the inverse of {@link identityVector}). */
export function identityFrom(v: IdentityVector): IdentityKeyPair {
  return {
    signing: { privateKey: fromHex(v.signingPrivateKey), publicKey: fromHex(v.signingPublicKey) },
    agreement: { privateKey: fromHex(v.agreementPrivateKey), publicKey: fromHex(v.agreementPublicKey) },
    certificate: fromHex(v.certificate),
  };
}

/** A recorded 128-byte public identity, split into its fields (§3.1); any other length throws. */
export function publicIdentityFrom(hex: Hex): PublicIdentity {
  const b = fromHex(hex);
  if (b.length !== 128) throw new Error(`a public identity is 128 bytes, not ${b.length}`);
  return { signingKey: b.subarray(0, 32), agreementKey: b.subarray(32, 64), certificate: b.subarray(64, 128) };
}

/** Reads a committed vector file of this directory. */
export function loadVector<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as T;
}
