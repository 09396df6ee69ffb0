/**
 * padding.json (test/vectors/padding.ts): plaintexts at and just above each padding bucket, in
 * version 1 (§6.4) and version 2 (§13.3). Regenerated on both backends and compared with the
 * committed JSON, then replayed from the recorded states and draws; the buckets are also checked
 * against the spec's formulas written out here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeSession, encodeSession, encryptMessage, fromHex, ProtocolError, toHex } from '../src/index.ts';
import { backends } from './kit.ts';
import { replayEnv } from './vectors/common.ts';
import { buildPaddingVector, type PaddingVector } from './vectors/padding.ts';

const v = JSON.parse(readFileSync(new URL('./vectors/padding.json', import.meta.url), 'utf8')) as PaddingVector;

/** §6.4 bucket(n). */
function bucket(n: number): number {
  if (n <= 64) return 64;
  if (n <= 4096) return 2 ** Math.ceil(Math.log2(n));
  return 4096 * Math.ceil(n / 4096);
}

describe('padding.json buckets', () => {
  it('follow §6.4 (version 1) and §13.3 (version 2)', () => {
    for (const run of v.runs) {
      for (const c of run.cases) {
        const L = c.plaintextLength;
        const limit = run.version === 1 ? 61439 : 61438;
        if (L > limit) {
          expect(c.error).toBe('usage');
          continue;
        }
        const expected = run.version === 1 ? bucket(L + 1) : L + 24 <= 61440 ? bucket(L + 24) : 61440;
        expect(c.bucket, `v${run.version} L=${L}`).toBe(expected);
        expect(c.messageLength).toBe(expected + (run.version === 1 ? 86 : 74));
        if (run.version === 2) expect(c.sectionLength).toBe(expected - 2 - L);
      }
    }
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('padding.json (%s backend)', (_name, crypto) => {
  it('regenerates byte for byte from the seeds', () => {
    expect(buildPaddingVector(crypto)).toEqual(v);
  });

  it.each(v.runs.map((r) => [r.version, r] as const))(
    'version %i: every case from the previous state and the recorded draws',
    (_version, run) => {
      let state = run.bobState;
      for (const c of run.cases) {
        const env = replayEnv(crypto, c.random);
        const plaintext = new Uint8Array(c.plaintextLength).fill(0x70);
        const session = decodeSession(fromHex(state));
        if (c.error !== null) {
          let code = 'no error';
          try {
            encryptMessage(env.env, session, plaintext);
          } catch (e) {
            if (!ProtocolError.is(e)) throw e;
            code = e.code;
          }
          expect(code).toBe(c.error);
          expect(c.bobState).toBeNull();
          continue;
        }
        const r = encryptMessage(env.env, session, plaintext);
        expect(env.remaining()).toBe(0);
        expect(r.message.length).toBe(c.messageLength);
        if (c.message !== null) expect(toHex(r.message)).toBe(c.message);
        expect(toHex(encodeSession(r.session))).toBe(c.bobState);
        state = c.bobState ?? state;
      }
    },
  );
});
