/** RFC 9420 §7.7–7.8 tree operations and tree hashes, mls-implementations tree-operations.json. */
import { decodeProposal, type Proposal } from 'ts-mls/proposal.js';
import {
  addLeafNode,
  decodeRatchetTree,
  encodeRatchetTree,
  type RatchetTree,
  removeLeafNode,
  updateLeafNode,
} from 'ts-mls/ratchetTree.js';
import { treeHashRoot } from 'ts-mls/treeHash.js';
import { toLeafIndex } from 'ts-mls/treemath.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface TreeOperation {
  cipher_suite: number;
  tree_before: string;
  tree_hash_before: string;
  proposal: string;
  proposal_sender: number;
  tree_after: string;
  tree_hash_after: string;
}

function apply(proposal: Proposal, tree: RatchetTree, sender: number): RatchetTree {
  switch (proposal.proposalType) {
    case 'add':
      return addLeafNode(tree, proposal.add.keyPackage.leafNode)[0];
    case 'update':
      return updateLeafNode(tree, proposal.update.leafNode, toLeafIndex(sender));
    case 'remove':
      return removeLeafNode(tree, toLeafIndex(proposal.remove.removed));
    default:
      throw new Error(`unexpected proposal ${proposal.proposalType}`);
  }
}

describe.each(providers)('tree-operations vectors on %s', (_, cs) => {
  it.each(vectors<TreeOperation>('tree-operations').map((v, i) => [i, v] as const))('vector %i', async (_i, v) => {
    const tree = decodeRatchetTree(bytes(v.tree_before), 0)?.[0];
    const proposal = decodeProposal(bytes(v.proposal), 0)?.[0];
    if (tree === undefined || proposal === undefined) throw new Error('vector did not decode');
    expect(hex(await treeHashRoot(tree, cs.hash))).toBe(v.tree_hash_before);
    const after = apply(proposal, tree, v.proposal_sender);
    expect(hex(encodeRatchetTree(after))).toBe(v.tree_after);
    expect(hex(await treeHashRoot(after, cs.hash))).toBe(v.tree_hash_after);
  });
});
