import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/rate-limit.ts';

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

  it('keeps at most maxKeys buckets, forgetting the least recently used', () => {
    const rl = new RateLimiter({ perMinute: 1, burst: 1 }, { maxKeys: 2, now: () => 0 });
    expect(rl.take('a')).toBe(0);
    rl.take('b');
    expect(rl.take('a')).toBeGreaterThan(0); // a is limited and now most recent
    rl.take('c'); // evicts b
    expect(rl.take('b')).toBe(0); // forgotten, so full again
    expect(rl.take('a')).toBe(0); // evicted when b came back
  });
});
