/**
 * Compatibility promise: a session state saved by protocol v1 (test/fixtures/session-v1.hex, written
 * once by `generate.ts --fixture` and never regenerated) must keep loading and working in every
 * later version; so must the v2 state (session-v2.hex, `generate.ts --fixture --v2`), saved
 * mid-epoch of the KEM ratchet. This test deliberately depends only on the fixture files and the public API, not
 * on the generator. If a future version changes the state encoding, keep decoding v1 and adjust only
 * the re-encoding check below.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  decodeSession,
  decryptMessage,
  encodeSession,
  encryptMessage,
  fromHex,
  type ProtocolEnv,
  ProtocolError,
  type Session,
  sessionVersion,
  toHex,
  utf8,
} from '../src/index.ts';
import { backends, testEnv } from './kit.ts';

interface Fixture {
  readonly stateFile: string;
  readonly stateBytes: number;
  readonly skippedBefore: readonly (readonly number[])[];
  readonly messages: readonly {
    readonly id: string;
    readonly message: string;
    readonly random: readonly string[];
    readonly plaintext: string;
  }[];
  readonly skippedAfter: readonly (readonly number[])[];
  readonly duplicate: string;
  readonly peer: { readonly state: string };
}

const fixtures = new URL('./fixtures/', import.meta.url);
const load = (name: string) => {
  const fixture = JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as Fixture;
  return { fixture, stateHex: readFileSync(new URL(fixture.stateFile, fixtures), 'utf8').trim() };
};
const cases = [
  { version: 1, ...load('session-v1.json') },
  { version: 2, ...load('session-v2.json') },
];

/** An environment that hands out the recorded random draws in order. */
function replay(crypto: CryptoBackend, draws: readonly string[]): { env: ProtocolEnv; remaining: () => number } {
  let i = 0;
  const env: ProtocolEnv = {
    crypto,
    now: () => {
      throw new Error('unexpected clock read');
    },
    random: (n) => {
      const d = draws[i++];
      if (d === undefined || d.length !== 2 * n) throw new Error(`no recorded draw of ${n} bytes`);
      return fromHex(d);
    },
  };
  return { env, remaining: () => draws.length - i };
}

const skipped = (s: Session) => s.ratchet.skipped.map((c) => [...c.keys.keys()]);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe.each(backends.flatMap((b) => cases.map((c) => [c.version, b.name, b, c] as const)))(
  'v%s saved session fixture (%s backend)',
  (version, _name, crypto, { fixture, stateHex }) => {
    it('decodes, and re-encodes to exactly the saved bytes', () => {
      const bytes = fromHex(stateHex);
      expect(bytes.length).toBe(fixture.stateBytes);
      const session = decodeSession(bytes);
      expect(toHex(encodeSession(session))).toBe(stateHex);
      expect(skipped(session)).toEqual(fixture.skippedBefore);
      expect(sessionVersion(session)).toBe(version);
      // v2: saved mid-epoch, as the keyholder with a decapsulation key (docs/protocol-v2.md §13.8).
      if (version === 2) expect(session.ratchet.kem).toMatchObject({ phase: 'keyholder', epoch: 1 });
      else expect(session.ratchet.kem).toBeNull();
    });

    it('decrypts the next messages with the saved state, then refuses a duplicate and can reply', () => {
      let bob = decodeSession(fromHex(stateHex));
      for (const m of fixture.messages) {
        const r = replay(crypto, m.random);
        const got = decryptMessage(r.env, bob, fromHex(m.message));
        expect(r.remaining(), m.id).toBe(0);
        expect(text(got.plaintext), m.id).toBe(m.plaintext);
        bob = got.session;
      }
      expect(skipped(bob)).toEqual(fixture.skippedAfter);

      const dup = fixture.messages.find((m) => m.id === fixture.duplicate);
      expect(dup).toBeDefined();
      let error: unknown;
      try {
        decryptMessage(replay(crypto, []).env, bob, fromHex(dup?.message ?? ''));
      } catch (e) {
        error = e;
      }
      expect(ProtocolError.is(error, 'duplicate-message')).toBe(true);

      // The loaded session still sends: the peer's state saved at the same point decrypts a reply.
      const reply = encryptMessage(testEnv('fixture reply', crypto), bob, utf8('reply after reload'));
      const alice = decodeSession(fromHex(fixture.peer.state));
      expect(text(decryptMessage(testEnv('fixture peer', crypto), alice, reply.message).plaintext)).toBe(
        'reply after reload',
      );
    });
  },
);
