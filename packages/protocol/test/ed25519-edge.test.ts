/**
 * Both backends accept exactly the same Ed25519 signatures (docs/protocol.md §1.1, §1.4 note 2):
 * every case of test/vectors/ed25519-edge.json gets its recorded verdict from each. The cases
 * where the cofactored and the cofactorless equation of RFC 8032 §5.1.7 disagree are those on
 * which noble alone (small or mixed-order R, mixed-order A) or OpenSSL alone (mixed-order A with
 * kT = 0) used to accept; the last test shows the vectors do reach those cases.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../src/index.ts';
import { backends } from './kit.ts';
import { loadVector } from './vectors/common.ts';
import { buildEd25519EdgeVector, type EdgeCase, type EdgeVector } from './vectors/ed25519-edge.ts';

const v = loadVector<EdgeVector>('ed25519-edge.json');
const all: readonly EdgeCase[] = [...v.forged, ...v.speccheck];
const args = (c: EdgeCase) => [fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)] as const;

describe('ed25519-edge.json', () => {
  it('regenerates byte for byte', () => {
    expect(buildEd25519EdgeVector()).toEqual(v);
  });

  describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, crypto) => {
    it.each(all.map((c) => [c.name, c] as const))('%s', (_n, c) => {
      expect(crypto.ed25519Verify(...args(c))).toBe(c.valid);
    });
  });

  it('covers the cases where the two equations disagree, and where only a lenient decoder accepts', () => {
    const cofactoredOnly = all.filter((c) => c.cofactored && !c.cofactorless);
    const bothHold = all.filter((c) => c.cofactored && c.cofactorless && !c.valid);
    expect(cofactoredOnly.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('small-order R'),
        expect.stringContaining('mixed-order R'),
        expect.stringContaining('mixed-order A'),
      ]),
    );
    expect(bothHold.map((c) => c.name)).toEqual(
      expect.arrayContaining([expect.stringContaining('non-canonical R'), expect.stringContaining('mixed-order A')]),
    );
    // Plain strict noble (cofactored, before §1.4 note 2 asked for torsion-free R and A) accepts
    // the cofactored-only cases with a canonical A: exactly the split the backends had.
    const plainNoble = (c: EdgeCase) => {
      const [a, m, s] = args(c);
      try {
        return ed25519.verify(s, m, a, { zip215: false });
      } catch {
        return false;
      }
    };
    expect(cofactoredOnly.filter(plainNoble).length).toBeGreaterThanOrEqual(3);
  });
});
