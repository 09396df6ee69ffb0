import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.ts';

describe('RateLimiter', () => {
  it('allows a burst, then one request per refill interval', () => {
    let now = 0;
    const rl = new RateLimiter({ perMinute: 6, burst: 2 }, { now: () => now });
    expect(rl.take('k')).toBe(0);
    expect(rl.take('k')).toBe(0);
    expect(rl.take('k')).toBe(10_000); // one token every 10 s
    now += 10_000;
    expect(rl.take('k')).toBe(0);
    expect(rl.take('other')).toBe(0);
  });

  it('keeps the buckets of recently used keys, and no more than maxKeys', () => {
    const rl = new RateLimiter({ perMinute: 1, burst: 1 }, { maxKeys: 4, now: () => 0 });
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBeGreaterThan(0); // a is limited
    rl.take('b');
    expect(rl.take('a')).toBeGreaterThan(0); // still limited: used within the last two keys
    rl.take('c'); // b was used longest ago: forgotten
    expect(rl.take('b')).toBe(0); // so full again
    expect(rl.take('a')).toBeGreaterThan(0);
    // A flood of other keys forgets a, but holds at most four buckets meanwhile.
    for (let i = 0; i < 1000; i++) rl.take(`k${i}`);
    expect(rl.take('a')).toBe(0);
  });
});
