import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountIdFromKey, base64url, deviceId, fromBase64url, parseAccountId } from '../src/index.ts';
import { codeOf } from './kit.ts';

describe('addresses', () => {
  it('base64url matches RFC 4648 §5 without padding for every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(base64url(b)).toBe(Buffer.from(b).toString('base64url'));
      }),
    );
  });

  it('fromBase64url inverts base64url and refuses non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(fromBase64url(base64url(b))).toEqual(b);
      }),
    );
    for (const bad of ['A', 'AB=', 'AB+/', 'AB C', 'AR', 'AAB']) {
      expect(
        codeOf(() => fromBase64url(bad)),
        bad,
      ).toBe('decode');
    }
  });

  it('an account id round-trips and is the base64url of the signing key', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const id = accountIdFromKey(key);
        expect(id).toBe(Buffer.from(key).toString('base64url'));
        expect(parseAccountId(id)).toBe(id);
      }),
    );
  });

  it('refuses malformed and non-canonical account ids', () => {
    const id = accountIdFromKey(new Uint8Array(32).fill(7));
    expect(codeOf(() => parseAccountId(id.slice(1)))).toBe('decode');
    expect(codeOf(() => parseAccountId(`${id}A`))).toBe('decode');
    expect(codeOf(() => parseAccountId(`${id.slice(0, 42)}+`))).toBe('decode');
    // The last character carries 4 bits; the 2 low bits must be zero.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const accepted = [...last].filter((c) => {
      try {
        parseAccountId(id.slice(0, 42) + c);
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toHaveLength(16);
    expect(codeOf(() => accountIdFromKey(new Uint8Array(31)))).toBe('usage');
  });

  it('device ids are u32 values of at least 1', () => {
    expect(deviceId(1)).toBe(1);
    expect(deviceId(0xffffffff)).toBe(0xffffffff);
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) expect(codeOf(() => deviceId(bad))).toBe('usage');
  });
});
