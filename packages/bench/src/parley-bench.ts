/**
 * Parley's side of the protocol benchmark: the same four figures as libsignal-bench.ts, on the
 * same terms (100-byte plaintexts, in-memory state, every plaintext checked). They are measured
 * on protocol v2 sessions (the default: the KEM ratchet on, docs/protocol-v2.md §13), as libsignal
 * runs SPQR; `*_v1` repeats one-way and ping-pong on version 1 sessions for comparison, and
 * `pq_epoch_msgs_100` is how many ping-pong messages one KEM epoch took.
 *
 * Setup = Bob generates a fresh signed prekey, one-time prekey and one-time ML-KEM prekey and
 * encodes the bundle; Alice decodes it, verifies it and runs PQXDH, encrypts a first message;
 * Bob runs PQXDH and decrypts it. Identities are generated once, outside the loop, as in the
 * libsignal run. By default Alice and Bob pin each other's identity (as after an invitation) so
 * the identity certificates were verified once, earlier; `setup_unpinned_per_s` also verifies both
 * certificates on every setup (libsignal's identity keys carry no certificate to verify).
 *
 * Run: npx tsx packages/bench/src/parley-bench.ts [--setups N] [--oneway N] [--pingpong N]
 */
import {
  acceptInitialMessage,
  createInitiatorSession,
  decodeBundle,
  decodeInitialMessage,
  decryptMessage,
  defaultEnv,
  deviceId,
  encodeBundle,
  encryptMessage,
  equalBytes,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  kemPreKeyPublic,
  LATEST_SESSION_VERSION,
  oneTimePreKeyPublic,
  type ProtocolEnv,
  publicIdentity,
  type Session,
  type SessionVersion,
  signedPreKeyPublic,
} from '@parley/protocol';
import type { ProtocolFigures } from './libsignal-bench.ts';
import { type BenchOptions, isMain, parseCounts, rateSync as rate, round1 } from './measure.ts';

export interface ParleyFigures extends ProtocolFigures {
  setup_unpinned_per_s: number;
  /** Largest v2 message with a 100-byte plaintext seen in the one-way and ping-pong phases (worst case). */
  wire_bytes_100_pq: number;
  wire_bytes_100_v1: number;
  oneway_v1_msgs_per_s: number;
  pingpong_v1_msgs_per_s: number;
  /** Messages (both directions) per completed KEM epoch in the 100-byte ping-pong, mean. */
  pq_epoch_msgs_100: number;
}

const PLAINTEXT_BYTES = 100;
const A = deviceId(1);
const B = deviceId(2);

interface Party {
  session: Session;
}

/** One full setup; returns both sessions. `pinned` skips re-verifying identity certificates. */
function setup(
  env: ProtocolEnv,
  alice: IdentityKeyPair,
  bob: IdentityKeyPair,
  id: number,
  pinned: boolean,
  version: SessionVersion = LATEST_SESSION_VERSION,
) {
  const spk = generateSignedPreKey(env, bob, id);
  const [otk] = generateOneTimePreKeys(env, id, 1);
  const kem = generateKemPreKey(env, bob, id, false);
  if (otk === undefined) throw new Error('no one-time prekey');
  const wire = encodeBundle({
    version,
    identity: publicIdentity(bob),
    deviceId: B,
    signedPreKey: signedPreKeyPublic(spk),
    oneTimePreKey: oneTimePreKeyPublic(otk),
    kemPreKey: kemPreKeyPublic(kem),
  });
  const plaintext = env.random(PLAINTEXT_BYTES);
  const bobPublic = pinned ? publicIdentity(bob) : undefined;
  const a = createInitiatorSession(env, alice, A, decodeBundle(wire), bobPublic);
  const first = encryptMessage(env, a, plaintext);
  const accepted = acceptInitialMessage(
    env,
    bob,
    B,
    decodeInitialMessage(first.message),
    { signedPreKey: spk, oneTimePreKey: otk, kemPreKey: kem },
    pinned ? { knownIdentity: publicIdentity(alice) } : {},
  );
  if (!equalBytes(accepted.plaintext, plaintext)) throw new Error('setup: plaintext mismatch');
  return { alice: { session: first.session }, bob: { session: accepted.session } };
}

function exchange(env: ProtocolEnv, from: Party, to: Party): number {
  const plaintext = env.random(PLAINTEXT_BYTES);
  const sent = encryptMessage(env, from.session, plaintext);
  from.session = sent.session;
  const got = decryptMessage(env, to.session, sent.message);
  to.session = got.session;
  if (!equalBytes(got.plaintext, plaintext)) throw new Error('plaintext mismatch');
  return sent.message.length;
}

/** A session both sides have used, so neither side attaches PQXDH fields any more. */
function connectedPair(env: ProtocolEnv, alice: IdentityKeyPair, bob: IdentityKeyPair, version?: SessionVersion) {
  const pair = setup(env, alice, bob, 0, true, version);
  exchange(env, pair.bob, pair.alice);
  return pair;
}

export function benchParley(opts: BenchOptions, env: ProtocolEnv = defaultEnv): ParleyFigures {
  const alice = generateIdentity(env);
  const bob = generateIdentity(env);
  const setupRate = rate(opts.setups, (i) => setup(env, alice, bob, i + 1, true));
  const unpinnedRate = rate(opts.setups, (i) => setup(env, alice, bob, i + 1, false));

  const oneway = connectedPair(env, alice, bob);
  const wires: number[] = [];
  const onewayRate = rate(opts.oneway, () => {
    wires.push(exchange(env, oneway.alice, oneway.bob));
  });

  // connectedPair ends with Bob → Alice, so every message below is a DH ratchet step.
  const pp = connectedPair(env, alice, bob);
  const epochStarts: number[] = [];
  const pingpongRate = rate(opts.pingpong, (i) => {
    const epoch = pp.alice.session.ratchet.kem?.epoch;
    if (i % 2 === 0) wires.push(exchange(env, pp.alice, pp.bob));
    else wires.push(exchange(env, pp.bob, pp.alice));
    if (pp.alice.session.ratchet.kem?.epoch !== epoch) epochStarts.push(i);
  });
  const epochs = epochStarts.length - 1;
  const epochMsgs = epochs > 0 ? ((epochStarts[epochs] as number) - (epochStarts[0] as number)) / epochs : Number.NaN;

  // Version 1 for comparison: the same one-way and ping-pong runs without the KEM ratchet.
  const v1 = connectedPair(env, alice, bob, 1);
  let wireV1 = 0;
  const onewayV1 = rate(opts.oneway, () => {
    wireV1 = exchange(env, v1.alice, v1.bob);
  });
  const ppV1 = connectedPair(env, alice, bob, 1);
  const pingpongV1 = rate(opts.pingpong, (i) => {
    if (i % 2 === 0) exchange(env, ppV1.alice, ppV1.bob);
    else exchange(env, ppV1.bob, ppV1.alice);
  });

  return {
    setup_per_s: round1(setupRate),
    oneway_msgs_per_s: round1(onewayRate),
    pingpong_msgs_per_s: round1(pingpongRate),
    wire_bytes_100: wires[0] ?? 0,
    setup_unpinned_per_s: round1(unpinnedRate),
    wire_bytes_100_pq: Math.max(...wires),
    wire_bytes_100_v1: wireV1,
    oneway_v1_msgs_per_s: round1(onewayV1),
    pingpong_v1_msgs_per_s: round1(pingpongV1),
    pq_epoch_msgs_100: round1(epochMsgs),
  };
}

if (isMain(import.meta.url)) {
  // One line of JSON, read by protocol-bench.ts, which runs each library in its own process.
  console.log(JSON.stringify(benchParley(parseCounts(process.argv.slice(2)))));
}
