import { describe, expect, it } from 'vitest';
import { quietly } from '../src/crypto/node-keys.ts';

describe('quietly (key imports without stack traces)', () => {
  it('returns the value and restores Error.stackTraceLimit', () => {
    const before = Error.stackTraceLimit;
    expect(quietly(() => Error.stackTraceLimit)).toBe(0);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it('passes an error through and restores the limit', () => {
    const before = Error.stackTraceLimit;
    expect(() =>
      quietly(() => {
        throw new RangeError('bad key');
      }),
    ).toThrow(RangeError);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('after').stack).toContain('node-keys.test.ts');
  });
});
