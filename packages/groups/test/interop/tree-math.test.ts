/** RFC 9420 §4 / Appendix C tree math, mls-implementations tree-math.json (no crypto). */
import { InternalError } from 'ts-mls/mlsError.js';
import { left, nodeWidth, parent, right, root, sibling, toNodeIndex } from 'ts-mls/treemath.js';
import { describe, expect, it } from 'vitest';
import { vectors } from '../providers.ts';

interface TreeMath {
  n_leaves: number;
  n_nodes: number;
  root: number;
  left: (number | null)[];
  right: (number | null)[];
  parent: (number | null)[];
  sibling: (number | null)[];
}

describe('tree-math vectors', () => {
  it.each(vectors<TreeMath>('tree-math').map((v) => [v.n_leaves, v] as const))('%i leaves', (_, v) => {
    expect(nodeWidth(v.n_leaves)).toBe(v.n_nodes);
    expect(root(v.n_leaves)).toBe(v.root);
    const check = (expected: (number | null)[], f: (i: number) => number) => {
      for (const [i, want] of expected.entries()) {
        if (want === null) expect(() => f(i)).toThrow(InternalError);
        else expect(f(i)).toBe(want);
      }
    };
    check(v.left, (i) => left(toNodeIndex(i)));
    check(v.right, (i) => right(toNodeIndex(i)));
    check(v.parent, (i) => parent(toNodeIndex(i), v.n_leaves));
    check(v.sibling, (i) => sibling(toNodeIndex(i), v.n_leaves));
  });
});
