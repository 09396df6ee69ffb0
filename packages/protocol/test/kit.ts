/** Shared test helpers: deterministic environments and two-party session setup. */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nobleBackend } from '../src/crypto/noble.ts';
import { nodeBackend } from '../src/crypto/node.ts';
import {
  acceptInitialMessage,
  type CryptoBackend,
  createInitiatorSession,
  type DeviceId,
  decodeInitialMessage,
  decryptMessage,
  defaultEnv,
  deviceId,
  encryptMessage,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  type KemPreKey,
  kemPreKeyPublic,
  LATEST_SESSION_VERSION,
  type OneTimePreKey,
  oneTimePreKeyPublic,
  type PreKeyBundle,
  type ProtocolEnv,
  ProtocolError,
  type ProtocolErrorCode,
  publicIdentity,
  type Session,
  type SessionVersion,
  type SignedPreKey,
  signedPreKeyPublic,
  utf8,
} from '../src/index.ts';

export const backends: readonly CryptoBackend[] = [nodeBackend, nobleBackend];

/** A deterministic random source: ChaCha20 keystream keyed by SHA-256(seed). Tests only. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  const key = sha256(utf8(seed));
  let counter = 0;
  return (n) => {
    const nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(8, counter++);
    return chacha20(key, nonce, new Uint8Array(n));
  };
}

/** A reproducible environment: seeded randomness and a clock that starts at a fixed instant. */
export function testEnv(
  seed: string,
  crypto: CryptoBackend = defaultEnv.crypto,
  start = 1_767_225_600_000,
): ProtocolEnv {
  let t = start;
  return { crypto, random: seededRandom(seed), now: () => t++ };
}

export interface Device {
  readonly identity: IdentityKeyPair;
  readonly device: DeviceId;
  readonly signedPreKey: SignedPreKey;
  readonly oneTimePreKeys: OneTimePreKey[];
  readonly kemPreKey: KemPreKey;
  readonly lastResortKemPreKey: KemPreKey;
}

export function makeDevice(env: ProtocolEnv, dev = 1, identity = generateIdentity(env)): Device {
  return {
    identity,
    device: deviceId(dev),
    signedPreKey: generateSignedPreKey(env, identity, 1),
    oneTimePreKeys: generateOneTimePreKeys(env, 100, 2),
    kemPreKey: generateKemPreKey(env, identity, 200, false),
    lastResortKemPreKey: generateKemPreKey(env, identity, 300, true),
  };
}

export function bundleOf(
  d: Device,
  opts: { oneTime?: boolean; lastResort?: boolean; version?: SessionVersion } = {},
): PreKeyBundle {
  const otk = d.oneTimePreKeys[0];
  return {
    version: opts.version ?? LATEST_SESSION_VERSION,
    identity: publicIdentity(d.identity),
    deviceId: d.device,
    signedPreKey: signedPreKeyPublic(d.signedPreKey),
    oneTimePreKey: opts.oneTime === false || otk === undefined ? null : oneTimePreKeyPublic(otk),
    kemPreKey: kemPreKeyPublic(opts.lastResort ? d.lastResortKemPreKey : d.kemPreKey),
  };
}

export interface Pair {
  readonly alice: Session;
  readonly bob: Session;
}

/** Alice starts a session with Bob's bundle; Bob accepts her first message and replies once. */
export function establish(
  envA: ProtocolEnv,
  envB: ProtocolEnv,
  a: Device,
  b: Device,
  reply = true,
  version: SessionVersion = LATEST_SESSION_VERSION,
): Pair {
  const bundle = bundleOf(b, { version });
  let alice = createInitiatorSession(envA, a.identity, a.device, bundle);
  const first = encryptMessage(envA, alice, utf8('hello bob'));
  alice = first.session;
  const otk = b.oneTimePreKeys[0] ?? null;
  const accepted = acceptInitialMessage(envB, b.identity, b.device, decodeInitialMessage(first.message), {
    signedPreKey: b.signedPreKey,
    oneTimePreKey: otk,
    kemPreKey: b.kemPreKey,
  });
  let bob = accepted.session;
  if (!reply) return { alice, bob };
  const back = encryptMessage(envB, bob, utf8('hello alice'));
  bob = back.session;
  alice = decryptMessage(envA, alice, back.message).session;
  return { alice, bob };
}

/** Runs `fn`, which must throw a ProtocolError, and returns its code (any other outcome fails). */
export function codeOf(fn: () => unknown): ProtocolErrorCode {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  throw new Error('expected a ProtocolError, but the call returned normally');
}
