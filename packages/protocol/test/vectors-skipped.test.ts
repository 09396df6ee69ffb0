/**
 * skipped-keys.json (test/vectors/skipped-keys.ts): skipped keys across several chains, MAX_SKIP
 * and both storage caps (docs/protocol-ratchet.md §7.3, §7.4). Regenerated on both backends and compared
 * with the committed JSON, then replayed step by step from the recorded states, messages and draws.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSession,
  decryptMessage,
  encodeSession,
  encryptMessage,
  fromHex,
  ProtocolError,
  type Session,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { replayEnv } from './vectors/common.ts';
import { buildSkippedKeysVector, type SkippedKeysVector } from './vectors/skipped-keys.ts';

const v = JSON.parse(
  readFileSync(new URL('./vectors/skipped-keys.json', import.meta.url), 'utf8'),
) as SkippedKeysVector;

/** The summary's N ranges without the chain names ("c7: 6-999" → "6-999"). */
const numbers = (summary: readonly string[]) => summary.map((c) => c.slice(c.indexOf(':') + 2));

function ranges(s: Session): string[] {
  return s.ratchet.skipped.map((c) => {
    const ns = [...c.keys.keys()];
    const out: string[] = [];
    for (let i = 0; i < ns.length; ) {
      let j = i;
      while (j + 1 < ns.length && (ns[j + 1] as number) === (ns[j] as number) + 1) j++;
      out.push(i === j ? `${ns[i]}` : `${ns[i]}-${ns[j]}`);
      i = j + 1;
    }
    return out.join(',');
  });
}

describe.each(backends.map((b) => [b.name, b] as const))('skipped-keys.json (%s backend)', (_name, crypto) => {
  it('regenerates byte for byte from the seeds', () => {
    expect(buildSkippedKeysVector(crypto)).toEqual(v);
  });

  it("replays every one of Bob's steps from the previous state, the message and the draws", () => {
    let state = v.bobInitialState;
    for (const step of v.steps) {
      const before = decodeSession(fromHex(state));
      const env = replayEnv(crypto, step.random);
      const sending = /^bob encrypts (B\d+)/.exec(step.action);
      if (sending) {
        const r = encryptMessage(env.env, before, utf8(sending[1] ?? ''));
        expect(toHex(r.message), step.action).toBe(step.message);
        expect(toHex(encodeSession(r.session)), step.action).toBe(step.bobState);
      } else if (step.error !== null) {
        let code = 'no error';
        try {
          decryptMessage(env.env, before, fromHex(step.message));
        } catch (e) {
          if (!ProtocolError.is(e)) throw e;
          code = e.code;
        }
        expect(code, step.action).toBe(step.error);
        expect(step.bobState).toBeNull();
        expect(toHex(encodeSession(before)), step.action).toBe(state); // unchanged
      } else {
        const r = decryptMessage(env.env, before, fromHex(step.message));
        expect(new TextDecoder().decode(r.plaintext), step.action).toMatch(/^c\d+ n\d+$/);
        expect(toHex(encodeSession(r.session)), step.action).toBe(step.bobState);
      }
      expect(env.remaining(), step.action).toBe(0);
      if (step.bobState !== null) state = step.bobState;
      const after = decodeSession(fromHex(state));
      expect(ranges(after), step.action).toEqual(numbers(step.skipped));
      expect(after.ratchet.sentSinceReceive, step.action).toBe(step.sentSinceReceive);
    }
  });

  it('covers both caps, MAX_SKIP at its boundary and the errors for evicted keys', () => {
    const errors = v.steps.map((s) => s.error).filter((e) => e !== null);
    expect(errors).toEqual(['decrypt-failed', 'too-many-skipped', 'duplicate-message']);
    expect(Math.max(...v.steps.map((s) => s.skipped.length))).toBe(5);
    const total = (s: (typeof v.steps)[number]) => {
      const session = decodeSession(fromHex(s.bobState ?? v.bobInitialState));
      return session.ratchet.skipped.reduce((n, c) => n + c.keys.size, 0);
    };
    expect(Math.max(...v.steps.filter((s) => s.bobState !== null).map(total))).toBe(2000);
  });
});
