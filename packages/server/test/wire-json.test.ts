/**
 * The server decodes JSON bytes with Node's Buffer (fast on its hot path); the rule is the wire
 * contract's, whose portable reference the client uses. They must accept exactly the same strings.
 */
import { decodeWireBytes } from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeB64url, toB64url } from '../src/wire-json.ts';

const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('wire-json bytes', () => {
  it('agrees with the wire contract on canonical strings of every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(82), (b, length) => {
        const s = toB64url(b);
        expect(decodeB64url(s)).toEqual(decodeWireBytes(s));
        expect(decodeB64url(s, length)).toEqual(decodeWireBytes(s, length));
      }),
    );
  });

  it('agrees with the wire contract on arbitrary strings, near-canonical ones included', () => {
    const nearly = fc.string({ unit: fc.constantFrom(...B64URL_CHARS, '=', '+', '/', ' ', '.'), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(nearly, fc.string({ maxLength: 12 })), (s) => {
        expect(decodeB64url(s)).toEqual(decodeWireBytes(s));
      }),
      { numRuns: 2000 },
    );
  });
});
