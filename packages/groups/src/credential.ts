/**
 * Parley's member credential (docs/protocol-groups.md §2): an MLS basic credential (RFC 9420
 * §5.3) whose `identity` says "this leaf is device d of the account whose identity key is K",
 * and proves it with a signature by K over the leaf's signature key.
 *
 *   binding  = Ed25519-Sign(IK_sig, BINDING_LABEL ‖ u16 cipher_suite ‖ u32 deviceId ‖ signature_key)
 *   identity = u8 version (1) ‖ IK_sig public (32) ‖ u32 deviceId ‖ binding (64)        — 101 bytes
 *
 * IK_sig is the account's identity signing key (@parley/protocol identity.ts, docs/
 * protocol-identities.md §3.1), which every device of the account holds. `signature_key` is the
 * leaf's MLS signature public key (LeafNode.signature_key, §7.2): the leaf signs everything the
 * member sends, so a member that checks the binding (and knows K as a contact's pinned identity)
 * knows who sent it. The ciphersuite id keeps a binding from being replayed into a group of
 * another suite. The binding is checked by every member for every leaf it learns of (ts-mls's
 * AuthenticationService hook: joins, adds, update paths), and a commit may not change a
 * remaining member's (account, device) (engine.ts).
 */
import type { Credential } from 'ts-mls';
import { CIPHERSUITE_ID } from './crypto/ciphersuite.ts';
import type { MlsPrimitives } from './crypto/primitives.ts';
import { GroupError } from './errors.ts';

export const CREDENTIAL_VERSION = 1;
export const CREDENTIAL_BYTES = 1 + 32 + 4 + 64;
const BINDING_LABEL = new TextEncoder().encode('Parley group leaf v1');

export interface ParleyCredential {
  /** The account's identity signing key (Ed25519 public, 32 bytes). */
  readonly accountKey: Uint8Array;
  /** The device id within the account (u32 ≥ 1). */
  readonly deviceId: number;
  /** Signature by the account key over the leaf's signature key (64 bytes). */
  readonly binding: Uint8Array;
}

function checkDeviceId(deviceId: number): void {
  if (!Number.isInteger(deviceId) || deviceId < 1 || deviceId > 0xffffffff) {
    throw new GroupError('usage', 'device id must be a u32 ≥ 1');
  }
}

function bindingMessage(deviceId: number, signatureKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(BINDING_LABEL.length + 2 + 4 + signatureKey.length);
  const v = new DataView(out.buffer);
  out.set(BINDING_LABEL, 0);
  v.setUint16(BINDING_LABEL.length, CIPHERSUITE_ID);
  v.setUint32(BINDING_LABEL.length + 2, deviceId);
  out.set(signatureKey, BINDING_LABEL.length + 6);
  return out;
}

/** The account identity binds a device's leaf signature key (done once per signature key). */
export function bindLeafKey(
  p: MlsPrimitives,
  account: { readonly publicKey: Uint8Array; readonly privateKey: Uint8Array },
  deviceId: number,
  signatureKey: Uint8Array,
): ParleyCredential {
  checkDeviceId(deviceId);
  if (account.publicKey.length !== 32 || signatureKey.length !== 32) throw new GroupError('usage', 'keys are 32 bytes');
  const binding = p.ed25519Sign(account.privateKey, bindingMessage(deviceId, signatureKey));
  return { accountKey: account.publicKey, deviceId, binding };
}

export function encodeCredential(c: ParleyCredential): Credential {
  const identity = new Uint8Array(CREDENTIAL_BYTES);
  identity[0] = CREDENTIAL_VERSION;
  identity.set(c.accountKey, 1);
  new DataView(identity.buffer).setUint32(33, c.deviceId);
  identity.set(c.binding, 37);
  return { credentialType: 'basic', identity };
}

/** Parses a leaf's credential; throws `credential` for anything but a well-formed Parley one. */
export function decodeCredential(credential: Credential): ParleyCredential {
  if (credential.credentialType !== 'basic') throw new GroupError('credential', 'not a basic credential');
  const id = credential.identity;
  if (id.length !== CREDENTIAL_BYTES) throw new GroupError('credential', 'bad credential length');
  if (id[0] !== CREDENTIAL_VERSION) throw new GroupError('credential', 'unsupported credential version');
  const deviceId = new DataView(id.buffer, id.byteOffset, id.length).getUint32(33);
  if (deviceId === 0) throw new GroupError('credential', 'bad device id');
  return { accountKey: id.slice(1, 33), deviceId, binding: id.slice(37, 101) };
}

/** Whether the credential is well formed and its binding verifies for this signature key. */
export function verifyCredential(p: MlsPrimitives, credential: Credential, signatureKey: Uint8Array): boolean {
  let c: ParleyCredential;
  try {
    c = decodeCredential(credential);
  } catch {
    return false;
  }
  return p.ed25519Verify(c.accountKey, bindingMessage(c.deviceId, signatureKey), c.binding);
}
