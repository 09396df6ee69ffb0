import { describe, expect, it } from 'vitest';
import { RecentMap } from '../src/recent-map.ts';

const v = (n: number) => ({ n });

describe('RecentMap', () => {
  it('gets what was set, replaces and deletes', () => {
    const m = new RecentMap<{ n: number }>(10);
    m.set('a', v(1));
    expect(m.get('a')).toEqual(v(1));
    m.set('a', v(2));
    expect(m.get('a')).toEqual(v(2));
    expect(m.size).toBe(1);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.get('a')).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it('never holds more than max entries, however many keys come', () => {
    const m = new RecentMap<{ n: number }>(100);
    for (let i = 0; i < 10_000; i++) {
      m.set(`k${i}`, v(i));
      expect(m.size).toBeLessThanOrEqual(100);
    }
    // The newest are there, the oldest are not.
    expect(m.get('k9999')).toEqual(v(9999));
    expect(m.get('k0')).toBeUndefined();
  });

  it('keeps an entry used within the last max / 2 distinct keys, and forgets one that was not', () => {
    const m = new RecentMap<{ n: number }>(10);
    m.set('kept', v(0));
    m.set('dropped', v(0));
    for (let i = 0; i < 100; i++) {
      m.set(`k${i}`, v(i));
      if (i % 4 === 0) expect(m.get('kept')).toEqual(v(0)); // used every fourth key
    }
    expect(m.get('kept')).toEqual(v(0));
    expect(m.get('dropped')).toBeUndefined();
  });

  it('deletes from either generation, and a replaced value is not brought back by a generation turning over', () => {
    const m = new RecentMap<{ n: number }>(4);
    m.set('a', v(1));
    m.set('b', v(1)); // the young generation is full: a and b are now the old one
    m.set('a', v(2)); // a moves to the young generation with its new value
    expect(m.delete('b')).toBe(true);
    m.set('c', v(3)); // turns over: a and c are the old generation
    expect(m.get('a')).toEqual(v(2));
    expect(m.get('b')).toBeUndefined();
    expect(m.size).toBe(2);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const max of [0, -1, 1.5, Number.NaN]) expect(() => new RecentMap(max)).toThrow(RangeError);
    const one = new RecentMap<{ n: number }>(1);
    one.set('a', v(1));
    one.set('b', v(2));
    expect(one.size).toBe(1);
    expect(one.get('b')).toEqual(v(2));
  });
});
