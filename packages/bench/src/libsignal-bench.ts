/**
 * Reference figures for Signal's libsignal-client (AGPL, bench-only devDependency):
 * session setup (X3DH + Kyber / PQXDH), one-way and ping-pong Double Ratchet throughput,
 * and the wire size of a normal message. All stores are in memory.
 *
 * Run: npx tsx packages/bench/src/libsignal-bench.ts [--setups N] [--oneway N] [--pingpong N]
 */
import { randomBytes } from 'node:crypto';
import {
  type CiphertextMessage,
  CiphertextMessageType,
  type Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  type PublicKey,
  processPreKeyBundle,
  type SessionRecord,
  SessionStore,
  SignalMessage,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { type BenchOptions, isMain, parseCounts, rateAsync as rate, round1 } from './measure.ts';

export interface ProtocolFigures {
  setup_per_s: number;
  oneway_msgs_per_s: number;
  pingpong_msgs_per_s: number;
  /**
   * Median serialized SignalMessage size for a 100-byte plaintext (one-way phase). It varies
   * by a few bytes: the counter varint widens at 128 and the SPQR (pqRatchet) field changes.
   */
  wire_bytes_100: number;
}

const PLAINTEXT_BYTES = 100;
const DEVICE_ID = 1;

// ---------------------------------------------------------------------------
// Minimal in-memory stores. Records are kept as objects (no serialization).

function getOrThrow<K, V>(map: Map<K, V>, key: K, what: string): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`${what} ${String(key)} not found`);
  return value;
}

class MemSessionStore extends SessionStore {
  readonly #sessions = new Map<string, SessionRecord>();

  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.#sessions.set(name.toString(), record);
  }

  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    return this.#sessions.get(name.toString()) ?? null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((a) => getOrThrow(this.#sessions, a.toString(), 'session'));
  }
}

/** Trusts every identity; remembers the last key seen per address. */
class MemIdentityStore extends IdentityKeyStore {
  readonly #identities = new Map<string, PublicKey>();

  constructor(
    private readonly keyPair: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }

  async getIdentityKey(): Promise<PrivateKey> {
    return this.keyPair.privateKey;
  }

  // The base class re-derives the public key on every call; a real store caches it.
  override async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.keyPair;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const previous = this.#identities.get(name.toString());
    this.#identities.set(name.toString(), key);
    return previous && !previous.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }

  async isTrustedIdentity(_name: ProtocolAddress, _key: PublicKey, _direction: Direction): Promise<boolean> {
    return true;
  }

  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.#identities.get(name.toString()) ?? null;
  }
}

class MemPreKeyStore extends PreKeyStore {
  readonly #keys = new Map<number, PreKeyRecord>();

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    return getOrThrow(this.#keys, id, 'prekey');
  }

  async removePreKey(id: number): Promise<void> {
    this.#keys.delete(id);
  }
}

class MemSignedPreKeyStore extends SignedPreKeyStore {
  readonly #keys = new Map<number, SignedPreKeyRecord>();

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return getOrThrow(this.#keys, id, 'signed prekey');
  }
}

/** Treats every Kyber prekey as one-time: marking it used deletes it. */
class MemKyberPreKeyStore extends KyberPreKeyStore {
  readonly #keys = new Map<number, KyberPreKeyRecord>();

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.#keys.set(id, record);
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return getOrThrow(this.#keys, id, 'kyber prekey');
  }

  async markKyberPreKeyUsed(id: number, _signedPreKeyId: number, _baseKey: PublicKey): Promise<void> {
    this.#keys.delete(id);
  }
}

// ---------------------------------------------------------------------------
// Parties and protocol steps.

interface Party {
  address: ProtocolAddress;
  identity: IdentityKeyPair;
  registrationId: number;
  sessions: MemSessionStore;
  identities: MemIdentityStore;
  preKeys: MemPreKeyStore;
  signedPreKeys: MemSignedPreKeyStore;
  kyberPreKeys: MemKyberPreKeyStore;
}

function newParty(name: string, identity: IdentityKeyPair, registrationId: number): Party {
  return {
    address: ProtocolAddress.new(name, DEVICE_ID),
    identity,
    registrationId,
    sessions: new MemSessionStore(),
    identities: new MemIdentityStore(identity, registrationId),
    preKeys: new MemPreKeyStore(),
    signedPreKeys: new MemSignedPreKeyStore(),
    kyberPreKeys: new MemKyberPreKeyStore(),
  };
}

/** Responder side: generate, sign and store fresh prekeys; return the public bundle. */
async function publishBundle(bob: Party, keyId: number): Promise<PreKeyBundle> {
  const signer = bob.identity.privateKey;
  const now = Date.now();

  const preKey = PrivateKey.generate();
  await bob.preKeys.savePreKey(keyId, PreKeyRecord.new(keyId, preKey.getPublicKey(), preKey));

  const signedKey = PrivateKey.generate();
  const signedPub = signedKey.getPublicKey();
  const signedSig = signer.sign(signedPub.serialize());
  await bob.signedPreKeys.saveSignedPreKey(keyId, SignedPreKeyRecord.new(keyId, now, signedPub, signedKey, signedSig));

  const kyber = KEMKeyPair.generate();
  const kyberPub = kyber.getPublicKey();
  const kyberSig = signer.sign(kyberPub.serialize());
  await bob.kyberPreKeys.saveKyberPreKey(keyId, KyberPreKeyRecord.new(keyId, now, kyber, kyberSig));

  return PreKeyBundle.new(
    bob.registrationId,
    DEVICE_ID,
    keyId,
    preKey.getPublicKey(),
    keyId,
    signedPub,
    signedSig,
    bob.identity.publicKey,
    keyId,
    kyberPub,
    kyberSig,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

async function decrypt(to: Party, from: Party, message: CiphertextMessage): Promise<Uint8Array> {
  const wire = message.serialize();
  switch (message.type()) {
    case CiphertextMessageType.Whisper:
      return signalDecrypt(SignalMessage.deserialize(wire), from.address, to.address, to.sessions, to.identities);
    case CiphertextMessageType.PreKey:
      return signalDecryptPreKey(
        PreKeySignalMessage.deserialize(wire),
        from.address,
        to.address,
        to.sessions,
        to.identities,
        to.preKeys,
        to.signedPreKeys,
        to.kyberPreKeys,
      );
    default:
      throw new Error(`unexpected ciphertext type ${message.type()}`);
  }
}

/**
 * Send one random 100-byte message from -> to, check the plaintext round-trips,
 * and return the ciphertext's wire type and length.
 */
async function exchange(from: Party, to: Party): Promise<{ type: number; bytes: number }> {
  const plaintext = randomBytes(PLAINTEXT_BYTES);
  const message = await signalEncrypt(plaintext, to.address, from.address, from.sessions, from.identities);
  const received = await decrypt(to, from, message);
  if (!sameBytes(received, plaintext)) {
    throw new Error(`plaintext mismatch ${from.address.toString()} -> ${to.address.toString()}`);
  }
  return { type: message.type(), bytes: message.serialize().length };
}

/** One full setup: Bob publishes, Alice processes the bundle and sends a PreKey message. */
async function setupSession(alice: Party, bob: Party, keyId: number): Promise<void> {
  const bundle = await publishBundle(bob, keyId);
  await processPreKeyBundle(bundle, bob.address, alice.address, alice.sessions, alice.identities);
  const first = await exchange(alice, bob);
  if (first.type !== CiphertextMessageType.PreKey) throw new Error('first message was not a PreKey message');
}

// ---------------------------------------------------------------------------
// Timing.

interface Identities {
  alice: IdentityKeyPair;
  bob: IdentityKeyPair;
}

/** A session both sides have used, so Alice's next message is a normal SignalMessage. */
async function connectedPair(ids: Identities, tag: string): Promise<{ alice: Party; bob: Party }> {
  const alice = newParty(`alice-${tag}`, ids.alice, 1);
  const bob = newParty(`bob-${tag}`, ids.bob, 2);
  await setupSession(alice, bob, 1);
  await exchange(bob, alice);
  return { alice, bob };
}

export async function benchLibsignal(opts: BenchOptions): Promise<ProtocolFigures> {
  const ids: Identities = { alice: IdentityKeyPair.generate(), bob: IdentityKeyPair.generate() };

  // Fresh stores and addresses per setup; identity keys are reused.
  const setupRate = await rate(opts.setups, (i) =>
    setupSession(newParty(`alice-${i}`, ids.alice, 1), newParty(`bob-${i}`, ids.bob, 2), i + 1),
  );

  const oneway = await connectedPair(ids, 'oneway');
  const wireSizes: number[] = [];
  const onewayRate = await rate(opts.oneway, async () => {
    const sent = await exchange(oneway.alice, oneway.bob);
    if (sent.type !== CiphertextMessageType.Whisper) throw new Error('one-way message was not a SignalMessage');
    wireSizes.push(sent.bytes);
  });

  // connectedPair ends with Bob -> Alice, so even i (Alice sends) is a ratchet step too.
  const pp = await connectedPair(ids, 'pingpong');
  const pingpongRate = await rate(opts.pingpong, async (i) => {
    if (i % 2 === 0) await exchange(pp.alice, pp.bob);
    else await exchange(pp.bob, pp.alice);
  });

  return {
    setup_per_s: round1(setupRate),
    oneway_msgs_per_s: round1(onewayRate),
    pingpong_msgs_per_s: round1(pingpongRate),
    wire_bytes_100: median(wireSizes),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (mid === undefined) throw new Error('median of empty list');
  return mid;
}

if (isMain(import.meta.url)) {
  // One line of JSON, read by protocol-bench.ts, which runs each library in its own process.
  console.log(JSON.stringify(await benchLibsignal(parseCounts(process.argv.slice(2)))));
}
