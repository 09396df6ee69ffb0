/** Source keys for rate limits and quotas: trusted proxies only, IPv6 grouped by prefix. */
import { describe, expect, it } from 'vitest';
import { SourceConfigError, SourceResolver } from '../src/client-address.ts';

describe('the source of a request', () => {
  it('is the peer address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const r = new SourceResolver();
    expect(r.source('192.0.2.7', '203.0.113.1')).toBe('192.0.2.7');
    expect(r.source('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(r.source(undefined)).toBe('unknown');
  });

  it('groups IPv6 addresses by /64 by default, or the configured prefix', () => {
    const r = new SourceResolver();
    expect(r.source('2001:db8:1:2:aaaa::1')).toBe(r.source('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(r.source('2001:db8:1:2::1')).not.toBe(r.source('2001:db8:1:3::1'));
    expect(r.source('2001:db8:1:2::1')).toBe('2001:db8:1:2:0:0:0:0/64');
    const r48 = new SourceResolver({ trustedProxies: [], ipv6PrefixBits: 48 });
    expect(r48.source('2001:db8:1:2::1')).toBe(r48.source('2001:db8:1:3::1'));
    expect(r48.source('fe80::1%eth0')).toBe('fe80:0:0:0:0:0:0:0/48');
  });

  it('honours X-Forwarded-For from a trusted proxy only, from the right', () => {
    const r = new SourceResolver({ trustedProxies: ['10.0.0.1', '10.1.0.0/16'], ipv6PrefixBits: 64 });
    expect(r.source('10.0.0.1', '198.51.100.9')).toBe('198.51.100.9');
    // A client-supplied first hop is not believed: the proxy appended the real peer after it.
    expect(r.source('10.0.0.1', '1.1.1.1, 198.51.100.9')).toBe('198.51.100.9');
    // Two trusted proxies in a row.
    expect(r.source('10.0.0.1', '198.51.100.9, 10.1.2.3')).toBe('198.51.100.9');
    expect(r.source('10.0.0.2', '198.51.100.9')).toBe('10.0.0.2');
    expect(r.source('10.0.0.1', 'garbage')).toBe('10.0.0.1');
    expect(r.source('10.0.0.1', '2001:db8::5')).toBe('2001:db8:0:0:0:0:0:0/64');
  });

  it('refuses a trusted proxy that is not an address or range', () => {
    expect(() => new SourceResolver({ trustedProxies: ['proxy.example'], ipv6PrefixBits: 64 })).toThrow(
      SourceConfigError,
    );
    expect(() => new SourceResolver({ trustedProxies: ['10.0.0.0/33'], ipv6PrefixBits: 64 })).toThrow(
      SourceConfigError,
    );
    expect(() => new SourceResolver({ trustedProxies: [], ipv6PrefixBits: 0 })).toThrow(SourceConfigError);
  });
});
