/**
 * Map keys for ids (id-key.ts): equal bytes give one key wherever they sit in memory, different
 * bytes give different keys, for the 16-byte ids of the per-message lookups and other lengths.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idKey } from '../src/id-key.ts';

describe('idKey', () => {
  it('gives equal bytes one key, wherever they are (a view into a larger buffer, a copy)', () => {
    for (const n of [16, 32]) {
      const id = randomBytes(n);
      const framed = Buffer.concat([randomBytes(3), id, randomBytes(5)]);
      expect(idKey(framed.subarray(3, 3 + n))).toBe(idKey(id));
      expect(idKey(new Uint8Array(id))).toBe(idKey(id));
    }
  });

  it('gives different ids different keys, down to one bit of any byte', () => {
    const id = new Uint8Array(16);
    const keys = new Set([idKey(id)]);
    for (let i = 0; i < 16; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const other = new Uint8Array(16);
        other[i] = 1 << bit;
        keys.add(idKey(other));
      }
    }
    expect(keys.size).toBe(1 + 16 * 8);
    const ids = Array.from({ length: 10_000 }, () => randomBytes(16));
    expect(new Set(ids.map(idKey)).size).toBe(new Set(ids.map((b) => b.toString('hex'))).size);
  });

  it('keys other lengths by their hex', () => {
    const key = randomBytes(32);
    expect(idKey(key)).toBe(key.toString('hex'));
  });
});
