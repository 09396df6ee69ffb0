/**
 * Prekey grants (src/prekey-grant.ts): both backends derive the same grant and hash as an
 * independent HKDF-SHA-256 (node:crypto's hkdfSync, RFC 5869), under their own labels.
 */
import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PREKEY_GRANT_BYTES, prekeyGrantHash, prekeyGrantOf, toHex, utf8 } from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

const hkdf = (ikm: Uint8Array, info: string) =>
  toHex(new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), utf8(info), 32)));

describe.each(backends.map((b) => [b.name, b] as const))('prekey grants (%s backend)', (_name, crypto) => {
  const env = testEnv('prekey-grant', crypto);

  it('derive the grant from a link secret and its hash from the grant, each under its own label', () => {
    const secret = env.random(32);
    const grant = prekeyGrantOf(env, secret);
    expect(grant).toHaveLength(PREKEY_GRANT_BYTES);
    expect(toHex(grant)).toBe(hkdf(secret, 'Parley prekey grant v1'));
    expect(toHex(prekeyGrantHash(env, grant))).toBe(hkdf(grant, 'Parley prekey grant hash v1'));
    expect(toHex(prekeyGrantHash(env, grant))).not.toBe(toHex(grant));
    expect(toHex(prekeyGrantOf(env, env.random(32)))).not.toBe(toHex(grant));
  });

  it('refuse inputs of the wrong length with a typed error', () => {
    expect(codeOf(() => prekeyGrantOf(env, new Uint8Array(31)))).toBe('decode');
    expect(codeOf(() => prekeyGrantHash(env, new Uint8Array(33)))).toBe('decode');
  });
});
