/**
 * The group's members as Parley sees them: one per non-blank leaf of the ratchet tree (RFC 9420
 * §7.8 — leaf i is node 2i), with the (account, device) its credential names.
 */
import type { ClientState, LeafNode, RatchetTree } from 'ts-mls';
import { decodeCredential } from './credential.ts';
import { GroupError } from './errors.ts';

export interface Member {
  /** The member's leaf index in the tree: what `remove` takes. Stable while it stays. */
  readonly leaf: number;
  /** The account's identity signing key (Ed25519 public). */
  readonly accountKey: Uint8Array;
  readonly deviceId: number;
  /** The leaf's MLS signature key, bound to the account by the credential. */
  readonly signatureKey: Uint8Array;
}

export function leafAt(tree: RatchetTree, leaf: number): LeafNode | undefined {
  const node = tree[2 * leaf];
  return node?.nodeType === 'leaf' ? node.leaf : undefined;
}

export function memberOf(leaf: number, node: LeafNode): Member {
  const c = decodeCredential(node.credential);
  return { leaf, accountKey: c.accountKey, deviceId: c.deviceId, signatureKey: node.signaturePublicKey };
}

/** The member at a leaf, or `invalid` when the leaf is blank (a sender must be a member). */
export function memberAt(tree: RatchetTree, leaf: number): Member {
  const node = leafAt(tree, leaf);
  if (node === undefined) throw new GroupError('invalid', 'sender is not a member');
  return memberOf(leaf, node);
}

export function listMembers(state: ClientState): Member[] {
  const out: Member[] = [];
  const tree = state.ratchetTree;
  for (let i = 0; 2 * i < tree.length; i++) {
    const node = leafAt(tree, i);
    if (node !== undefined) out.push(memberOf(i, node));
  }
  return out;
}

/** "account key ‖ device id" as a map key. */
export function deviceKey(m: { readonly accountKey: Uint8Array; readonly deviceId: number }): string {
  let s = '';
  for (const b of m.accountKey) s += b.toString(16).padStart(2, '0');
  return `${s}.${m.deviceId}`;
}
