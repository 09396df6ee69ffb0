/**
 * Deciding on a person's signed device list (protocol §14.1, docs/client.md §4.9): a list is
 * accepted only if it verifies against the identity we hold for them and is newer than the one
 * we have; an older one is a rollback, another list of the same version a conflict — both refused,
 * and the list we have stays. Pure.
 */
import {
  compareDeviceLists,
  type DeviceList,
  decodeDeviceList,
  deviceListIds,
  equalBytes,
  openDeviceList,
  type ProtocolEnv,
  ProtocolError,
  type PublicIdentity,
} from '@parley/protocol';

export type ListVerdict =
  | { readonly kind: 'newer'; readonly list: DeviceList }
  | { readonly kind: 'same' }
  | { readonly kind: 'refused'; readonly reason: 'older' | 'conflict' | 'invalid' };

/** Judges `next` for the person whose identity is `identity`, whose accepted list is `known`. */
export function judgeDeviceList(
  env: ProtocolEnv,
  identity: PublicIdentity,
  known: Uint8Array | undefined,
  next: Uint8Array,
): ListVerdict {
  let list: DeviceList;
  try {
    list = openDeviceList(env, next, identity);
  } catch (e) {
    if (e instanceof ProtocolError) return { kind: 'refused', reason: 'invalid' };
    throw e;
  }
  // A list we hold for an identity the person no longer has (they rotated) decides nothing.
  const held = known !== undefined && equalBytes(decodeDeviceList(known).account, identity.signingKey) ? known : null;
  const order = compareDeviceLists(held, next);
  if (order === 'newer') return { kind: 'newer', list };
  if (order === 'same') return { kind: 'same' };
  return { kind: 'refused', reason: order };
}

/**
 * The device ids of an accepted list (stored, so only parsed), or null when there is none: then
 * the person has the devices we met and nothing else.
 */
export function listedDevices(list: Uint8Array | undefined): ReadonlySet<number> | null {
  if (list === undefined) return null;
  return new Set(deviceListIds(decodeDeviceList(list)));
}

/** Whether `device` may be encrypted to under `list` (no list: only a device we already know). */
export function isListed(list: Uint8Array | undefined, device: number): boolean {
  return listedDevices(list)?.has(device) ?? false;
}
