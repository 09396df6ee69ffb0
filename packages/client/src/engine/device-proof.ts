/**
 * Which device starts a session (docs/client.md §4.9). Every device of an account holds the
 * account's identity, and a sealed initial message names its device id without proving it
 * (protocol §6.5): a device removed from the account keeps the identity, so it could start a
 * session claiming the id of a device still listed. A device of an account with a signed device
 * list therefore signs each session it starts with its own device key:
 *
 *   proof = Ed25519-Sign(deviceKey, "Parley device session v1" ‖ baseKey (32)
 *                                   ‖ responder's identity signing key (32) ‖ u32 device id)
 *
 * carried in the `hello` or `reset` that opens the session, and checked against the device key
 * of that id's certificate on the sender's latest accepted list. Pure.
 */
import {
  concatBytes,
  type DeviceList,
  decodeDeviceList,
  equalBytes,
  type ProtocolEnv,
  type PublicIdentity,
  type Session,
  utf8,
} from '@parley/protocol';
import type { Payload } from './payload.ts';

const LABEL = utf8('Parley device session v1');

function message(baseKey: Uint8Array, responder: PublicIdentity, device: number): Uint8Array {
  const id = new Uint8Array(4);
  new DataView(id.buffer).setUint32(0, device);
  return concatBytes(LABEL, baseKey, responder.signingKey, id);
}

/** Our proof for a session we start (`session.baseKey` is ours) with `responder`. */
export function proveSession(
  env: ProtocolEnv,
  devicePrivateKey: Uint8Array,
  session: Session,
  responder: PublicIdentity,
): Uint8Array {
  return env.crypto.ed25519Sign(devicePrivateKey, message(session.baseKey, responder, session.localDevice));
}

/** The list that governs `identity`'s devices: the stored one, if it is that identity's. */
function governing(list: Uint8Array | undefined, identity: PublicIdentity): DeviceList | null {
  if (list === undefined) return null;
  const l = decodeDeviceList(list);
  return equalBytes(l.account, identity.signingKey) ? l : null;
}

/**
 * Whether the session `accepted` (started by the other side, `accepted.remoteDevice` claimed)
 * is proven by the payload that opened it, under the sender's accepted `list`: true without a
 * list for that identity (one device, nothing to tell apart), false for a device the list does
 * not name or a missing or wrong proof.
 */
export function sessionProven(
  env: ProtocolEnv,
  list: Uint8Array | undefined,
  accepted: Session,
  us: PublicIdentity,
  payload: Payload,
): boolean {
  const l = governing(list, accepted.remoteIdentity);
  if (l === null) return true;
  const cert = l.devices.find((d) => d.deviceId === accepted.remoteDevice);
  if (cert === undefined) return false;
  const proof = payload.t === 'hello' || payload.t === 'reset' ? payload.proof : undefined;
  if (proof === undefined) return false;
  return env.crypto.ed25519Verify(cert.deviceKey, message(accepted.baseKey, us, accepted.remoteDevice), proof);
}
