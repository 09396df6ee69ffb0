import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalTarget,
  concatBytes,
  httpOperation,
  MAX_OPERATION_TARGET,
  REGISTRATION_OPERATION,
  socketOperation,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('operations (%s backend)', (_name, crypto) => {
  const env = testEnv('operation', crypto);

  it('an HTTP operation is 0x01, the method, the target, then SHA-256 of the body (§3.5.1)', () => {
    const body = utf8('{"seqs":[1]}');
    const op = httpOperation(env, 'POST', '/v1/mailboxes/x/ack', body);
    const expected = concatBytes(
      Uint8Array.of(0x01, 4),
      utf8('POST'),
      Uint8Array.of(0, 19),
      utf8('/v1/mailboxes/x/ack'),
      crypto.sha256(body),
    );
    expect(toHex(op)).toBe(toHex(expected));
    // FIPS 180-4 SHA-256 of the empty string: an empty body is hashed too.
    const get = httpOperation(env, 'GET', '/', new Uint8Array(0));
    expect(toHex(get.subarray(get.length - 32))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it("the backend's SHA-256 gives FIPS 180-2's known answers", () => {
    expect(toHex(crypto.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const twoBlocks = utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(toHex(crypto.sha256(twoBlocks))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  it('a socket operation is 0x02 and the frame type; registration is 0x00', () => {
    expect(toHex(socketOperation('subscribe'))).toBe(toHex(concatBytes(Uint8Array.of(0x02, 9), utf8('subscribe'))));
    expect(toHex(REGISTRATION_OPERATION)).toBe('00');
  });

  it('refuses what it cannot bind, with usage, rather than truncating it', () => {
    const empty = new Uint8Array(0);
    expect(codeOf(() => httpOperation(env, 'get', '/', empty))).toBe('usage');
    expect(codeOf(() => httpOperation(env, 'GET', 'v1/x', empty))).toBe('usage');
    expect(codeOf(() => httpOperation(env, 'GET', '/a b', empty))).toBe('usage');
    expect(codeOf(() => httpOperation(env, 'GET', '/é', empty))).toBe('usage');
    expect(codeOf(() => httpOperation(env, 'GET', `/${'a'.repeat(MAX_OPERATION_TARGET)}`, empty))).toBe('usage');
    expect(codeOf(() => socketOperation('Subscribe'))).toBe('usage');
    expect(codeOf(() => socketOperation(''))).toBe('usage');
  });

  it('distinct operations never encode alike', () => {
    const arb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'GE', 'TPOST'),
      target: fc.stringMatching(/^\/[a-z/?=&]{0,12}$/),
      body: fc.uint8Array({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const same = a.method === b.method && a.target === b.target && toHex(a.body) === toHex(b.body);
        const ea = toHex(httpOperation(env, a.method, a.target, a.body));
        const eb = toHex(httpOperation(env, b.method, b.target, b.body));
        expect(ea === eb).toBe(same);
      }),
    );
  });
});

describe('canonical targets', () => {
  it('sort the parameters and normalise their escaping; a path without a query is unchanged', () => {
    expect(canonicalTarget('/v1/x', '')).toBe('/v1/x');
    expect(canonicalTarget('/v1/x', '?')).toBe('/v1/x');
    expect(canonicalTarget('/v1/x', 'limit=5&after=2')).toBe('/v1/x?after=2&limit=5');
    expect(canonicalTarget('/v1/x', '?after=2&limit=5')).toBe('/v1/x?after=2&limit=5');
    expect(canonicalTarget('/v1/x', 'a=%7E&a=b%20c')).toBe(canonicalTarget('/v1/x', 'a=b+c&a=~'));
  });

  it('keep every parameter: a repeated or added one changes the target', () => {
    expect(canonicalTarget('/v1/x', 'after=2&after=9')).toBe('/v1/x?after=2&after=9');
    expect(canonicalTarget('/v1/x', 'after=2&limit=1')).not.toBe(canonicalTarget('/v1/x', 'after=2'));
  });
});
