/**
 * Session state as versioned bytes (docs/protocol.md §8). Round-trips exactly; a decoder of a
 * later version must keep reading version 1 (test/fixtures holds a saved state to prove it).
 *
 *   u8 version ‖ u8 type (0x04) ‖ identity (128) ‖ u32 remoteDevice ‖ u32 localDevice
 *   ‖ var16 AD ‖ baseKey (32) ‖ u8 hasPending [‖ PQXDH header as in §6.1]
 *   ‖ RK (32) ‖ DHs.private (32) ‖ DHs.public (32) ‖ u8 flags (5 presence bits, sentSinceReceive)
 *   ‖ [DHr 32] [CKs 32] [CKr 32] [HKs 32] [HKr 32] ‖ NHKs (32) ‖ NHKr (32) ‖ u32 Ns ‖ u32 Nr ‖ u32 PN
 *   ‖ u8 chainCount ‖ chainCount × (HK (32) ‖ u16 keyCount ‖ keyCount × (u32 N ‖ MK (32)))
 */
import { type DeviceId, deviceId } from './address.ts';
import { equalBytes } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import { MAX_SKIPPED_CHAINS, MAX_SKIPPED_KEYS, type RatchetState, type SkippedChain } from './double-ratchet.ts';
import { readIdentity, writeIdentity } from './identity.ts';
import { readPqxdhHeader, writePqxdhHeader } from './initial-message.ts';
import type { PqxdhHeader } from './pqxdh.ts';
import type { Session } from './session.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

const OPTIONAL = ['dhRemote', 'sendChainKey', 'recvChainKey', 'sendHeaderKey', 'recvHeaderKey'] as const;
/** Flag bit 5: RatchetState.sentSinceReceive. */
const SENT_SINCE_RECEIVE = 1 << OPTIONAL.length;

/**
 * @example
 * ```ts
 * const { session, plaintext } = decryptMessage(env, decodeSession(saved), bytes);
 * await store.put(address, encodeSession(session)); // in the same transaction as the message
 * ```
 */
export function encodeSession(s: Session): Uint8Array {
  const w = new Writer(2048).u8(WIRE_VERSION).u8(WireType.sessionState);
  writeIdentity(w, s.remoteIdentity);
  w.u32(s.remoteDevice).u32(s.localDevice).var16(s.associatedData).bytes(s.baseKey);
  if (s.pending) writePqxdhHeader(w.u8(1), s.pending);
  else w.u8(0);
  const r = s.ratchet;
  w.bytes(r.rootKey).bytes(r.dhSelf.privateKey).bytes(r.dhSelf.publicKey);
  let flags = 0;
  OPTIONAL.forEach((k, i) => {
    if (r[k] !== null) flags |= 1 << i;
  });
  if (r.sentSinceReceive) flags |= SENT_SINCE_RECEIVE;
  w.u8(flags);
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
  return w.finish();
}

export function decodeSession(bytes: Uint8Array): Session {
  const r = new Reader(bytes, 'session state');
  readFrame(r, WireType.sessionState, 'session state');
  const remoteIdentity = readIdentity(r);
  const remoteDevice: DeviceId = deviceId(r.device());
  const localDevice: DeviceId = deviceId(r.device());
  const associatedData = r.var16(256);
  const baseKey = r.bytes(32);
  let pending: PqxdhHeader | null = null;
  if (r.bool()) {
    pending = readPqxdhHeader(r);
    if (pending.initiatorDevice !== localDevice || !equalBytes(pending.baseKey, baseKey)) r.fail();
  }
  const rootKey = r.bytes(32);
  const dhSelf = { privateKey: r.bytes(32), publicKey: r.bytes(32) };
  const flags = r.u8();
  if (flags >= SENT_SINCE_RECEIVE << 1) r.fail();
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
  r.end();
  const ratchet: RatchetState = {
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
  };
  return { remoteIdentity, remoteDevice, localDevice, associatedData, baseKey, pending, ratchet };
}
