/**
 * Session state as versioned bytes (docs/protocol-ratchet.md §8, §13.8). Round-trips exactly; version 2
 * keeps reading version 1 (test/fixtures holds a saved state of each version to prove it).
 *
 *   u8 version ‖ u8 type (0x04) ‖ identity (128) ‖ u32 remoteDevice ‖ u32 localDevice
 *   ‖ var16 AD ‖ baseKey (32) ‖ u8 pending (0, 1, 2) [‖ PQXDH header as in §6.1 [‖ sealed sender (148), if 2]]
 *   ‖ RK (32) ‖ DHs.private (32) ‖ DHs.public (32) ‖ u8 flags (5 presence bits, sentSinceReceive)
 *   ‖ [header digest 32, when flags bit 7] ‖ [DHr 32] [CKs 32] [CKr 32] [HKs 32] [HKr 32] ‖ NHKs (32) ‖ NHKr (32) ‖ u32 Ns ‖ u32 Nr ‖ u32 PN
 *   ‖ u8 chainCount ‖ chainCount × (HK (32) ‖ u16 keyCount ‖ keyCount × (u32 N ‖ MK (32)))
 *   [version 2: flags bit 6 = sendChainMixed, and the KEM ratchet at the end, §13.8]
 *   The header digest is that of the PQXDH header a responder's session came from (§6.1); states
 *   saved before it existed have neither it nor bit 7, and still load, with the digest null.
 */
import { type DeviceId, deviceId } from './address.ts';
import { equalBytes } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import { MAX_SKIPPED_CHAINS, MAX_SKIPPED_KEYS, type RatchetState, type SkippedChain } from './double-ratchet.ts';
import { readIdentity, writeIdentity } from './identity.ts';
import { HEADER_DIGEST_BYTES, readPqxdhHeader, writePqxdhHeader } from './initial-message.ts';
import { type Assembly, encapsulationKeyOf, KEM_SIZES, type KemRatchet } from './kem-ratchet.ts';
import type { PqxdhHeader } from './pqxdh.ts';
import { SEALED_SENDER_BYTES } from './sealed-initial-message.ts';
import type { Session } from './session.ts';
import { readSessionFrame, WireType } from './wire.ts';

const OPTIONAL = ['dhRemote', 'sendChainKey', 'recvChainKey', 'sendHeaderKey', 'recvHeaderKey'] as const;
/** Flag bit 5: RatchetState.sentSinceReceive. */
const SENT_SINCE_RECEIVE = 1 << OPTIONAL.length;
/** Flag bit 6, version 2 only: RatchetState.sendChainMixed. */
const SEND_CHAIN_MIXED = SENT_SINCE_RECEIVE << 1;
/** Flag bit 7, both versions: the PQXDH header digest (Session.headerDigest) follows the flags. */
const HEADER_DIGEST = SEND_CHAIN_MIXED << 1;

/** §13.8: the KEM ratchet's phase byte. */
const PHASE = { keyholderWithoutKey: 0, keyholder: 1, ready: 2, collecting: 3, encapsulated: 4 } as const;

/**
 * @example
 * ```ts
 * const { session, plaintext } = decryptMessage(env, decodeSession(saved), bytes);
 * await store.put(address, encodeSession(session)); // in the same transaction as the message
 * ```
 */
export function encodeSession(s: Session): Uint8Array {
  const r = s.ratchet;
  const w = new Writer(r.version === 1 ? 2048 : 8192).u8(r.version).u8(WireType.sessionState);
  writeIdentity(w, s.remoteIdentity);
  w.u32(s.remoteDevice).u32(s.localDevice).var16(s.associatedData).bytes(s.baseKey);
  // §8: 0 no pending header, 1 a plain one (§6.1), 2 a sealed one: the header, then its sealed sender (§6.5).
  if (s.pending === null) w.u8(0);
  else if (s.pending.sealedSender === undefined) writePqxdhHeader(w.u8(1), s.pending);
  else {
    writePqxdhHeader(w.u8(2), s.pending);
    w.bytes(s.pending.sealedSender);
  }
  w.bytes(r.rootKey).bytes(r.dhSelf.privateKey).bytes(r.dhSelf.publicKey);
  let flags = 0;
  OPTIONAL.forEach((k, i) => {
    if (r[k] !== null) flags |= 1 << i;
  });
  if (r.sentSinceReceive) flags |= SENT_SINCE_RECEIVE;
  if (r.sendChainMixed) flags |= SEND_CHAIN_MIXED;
  if (s.headerDigest !== null) flags |= HEADER_DIGEST;
  w.u8(flags);
  // §8: the header digest follows the flags when bit 7 says so; states saved before it existed lack both.
  if (s.headerDigest !== null) w.bytes(s.headerDigest);
  for (const k of OPTIONAL) {
    const v = r[k];
    if (v !== null) w.bytes(v);
  }
  w.bytes(r.nextSendHeaderKey).bytes(r.nextRecvHeaderKey).u32(r.sendCount).u32(r.recvCount).u32(r.prevSendCount);
  w.u8(r.skipped.length);
  for (const chain of r.skipped) {
    w.bytes(chain.headerKey).u16(chain.keys.size);
    for (const [n, mk] of chain.keys) w.u32(n).bytes(mk);
  }
  if (r.kem !== null) writeKemRatchet(w, r.kem);
  return w.finish();
}

function writeKemRatchet(w: Writer, k: KemRatchet): void {
  switch (k.phase) {
    case 'keyholder':
      if (k.keys === null) {
        w.u8(PHASE.keyholderWithoutKey).u32(k.epoch);
        return;
      }
      w.u8(PHASE.keyholder).u32(k.epoch).bytes(k.keys.secretKey).u16(k.cursor).bytes(k.ct.have).bytes(k.ct.bytes);
      return;
    case 'ready':
      w.u8(PHASE.ready).u32(k.epoch).bytes(k.secret);
      return;
    case 'collecting':
      w.u8(PHASE.collecting).u32(k.epoch).bytes(k.ek.have).bytes(k.ek.bytes);
      return;
    case 'encapsulated':
      w.u8(PHASE.encapsulated).u32(k.epoch).bytes(k.ct).bytes(k.secret).u16(k.cursor);
      return;
  }
}

/** Reads a partial object: bitmap, then bytes, with every byte not yet received zero (canonical). */
function readAssembly(r: Reader, size: number): Assembly {
  const have = r.bytes(size / 8);
  const bytes = r.bytes(size);
  let missing = 0;
  for (let i = 0; i < size; i++) {
    if (((have[i >>> 3] as number) & (1 << (i & 7))) === 0) {
      missing++;
      if (bytes[i] !== 0) r.fail();
    }
  }
  // A complete key or ciphertext is used at once (§13.2), so a stored one is never complete.
  if (missing === 0) r.fail();
  return { bytes, have, missing };
}

function readKemRatchet(r: Reader): KemRatchet {
  const phase = r.u8();
  const epoch = r.u32();
  if (epoch === 0) r.fail();
  switch (phase) {
    case PHASE.keyholderWithoutKey:
      return { phase: 'keyholder', epoch, keys: null };
    case PHASE.keyholder: {
      const secretKey = r.bytes(KEM_SIZES.dk);
      const cursor = r.u16();
      if (cursor >= KEM_SIZES.ek) r.fail();
      const ct = readAssembly(r, KEM_SIZES.ct);
      return { phase: 'keyholder', epoch, keys: { publicKey: encapsulationKeyOf(secretKey), secretKey }, cursor, ct };
    }
    case PHASE.ready:
      return { phase: 'ready', epoch, secret: r.bytes(32) };
    case PHASE.collecting:
      return { phase: 'collecting', epoch, ek: readAssembly(r, KEM_SIZES.ek) };
    case PHASE.encapsulated: {
      const ct = r.bytes(KEM_SIZES.ct);
      const secret = r.bytes(32);
      const cursor = r.u16();
      if (cursor >= KEM_SIZES.ct) r.fail();
      return { phase: 'encapsulated', epoch, ct, secret, cursor };
    }
    default:
      return r.fail();
  }
}

export function decodeSession(bytes: Uint8Array): Session {
  const r = new Reader(bytes, 'session state');
  const version = readSessionFrame(r, WireType.sessionState, 'session state');
  const remoteIdentity = readIdentity(r);
  const remoteDevice: DeviceId = deviceId(r.device());
  const localDevice: DeviceId = deviceId(r.device());
  const associatedData = r.var16(256);
  const baseKey = r.bytes(32);
  let pending: PqxdhHeader | null = null;
  const pendingKind = r.u8();
  if (pendingKind > 2) r.fail();
  if (pendingKind !== 0) {
    pending = readPqxdhHeader(r);
    if (pending.initiatorDevice !== localDevice || !equalBytes(pending.baseKey, baseKey)) r.fail();
    if (pendingKind === 2) pending = { ...pending, sealedSender: r.bytes(SEALED_SENDER_BYTES) };
  }
  const rootKey = r.bytes(32);
  const dhSelf = { privateKey: r.bytes(32), publicKey: r.bytes(32) };
  const flags = r.u8();
  if ((flags & ~HEADER_DIGEST) >= (version === 1 ? SEND_CHAIN_MIXED : HEADER_DIGEST)) r.fail();
  const headerDigest = flags & HEADER_DIGEST ? r.bytes(HEADER_DIGEST_BYTES) : null;
  const opt = (i: number): Uint8Array | null => (flags & (1 << i) ? r.bytes(32) : null);
  const dhRemote = opt(0);
  const sendChainKey = opt(1);
  const recvChainKey = opt(2);
  const sendHeaderKey = opt(3);
  const recvHeaderKey = opt(4);
  const nextSendHeaderKey = r.bytes(32);
  const nextRecvHeaderKey = r.bytes(32);
  const sendCount = r.u32();
  const recvCount = r.u32();
  const prevSendCount = r.u32();
  // Chain keys and header keys come in pairs; a receiving chain implies a remote ratchet key.
  if ((sendChainKey === null) !== (sendHeaderKey === null)) r.fail();
  if ((recvChainKey === null) !== (recvHeaderKey === null) || (recvChainKey !== null && dhRemote === null)) r.fail();
  const chainCount = r.u8();
  if (chainCount > MAX_SKIPPED_CHAINS) r.fail();
  const skipped: SkippedChain[] = [];
  let total = 0;
  for (let i = 0; i < chainCount; i++) {
    const headerKey = r.bytes(32);
    if (skipped.some((c) => equalBytes(c.headerKey, headerKey))) r.fail();
    const count = r.u16();
    total += count;
    if (count === 0 || total > MAX_SKIPPED_KEYS) r.fail();
    const keys = new Map<number, Uint8Array>();
    for (let j = 0; j < count; j++) keys.set(r.u32(), r.bytes(32));
    if (keys.size !== count) r.fail();
    skipped.push({ headerKey, keys });
  }
  const kem = version === 1 ? null : readKemRatchet(r);
  r.end();
  const ratchet: RatchetState = {
    version,
    rootKey,
    dhSelf,
    dhRemote,
    sendChainKey,
    recvChainKey,
    sendHeaderKey,
    recvHeaderKey,
    nextSendHeaderKey,
    nextRecvHeaderKey,
    sendCount,
    recvCount,
    prevSendCount,
    skipped,
    sentSinceReceive: (flags & SENT_SINCE_RECEIVE) !== 0,
    kem,
    sendChainMixed: (flags & SEND_CHAIN_MIXED) !== 0,
  };
  return { remoteIdentity, remoteDevice, localDevice, associatedData, baseKey, pending, headerDigest, ratchet };
}
