/**
 * State in, state out: a commit the delivery service refuses (another member's commit won the
 * epoch, design §6) is dropped by keeping the old state, which must still work in full.
 */
import { describe, expect, it } from 'vitest';
import { createGroupEngine } from '../src/index.ts';
import { setup, text, tuple, utf8 } from './kit.ts';

const engine = createGroupEngine();

describe('a refused commit', () => {
  it('leaves the committer’s previous state usable for the winning commit and messages', async () => {
    const [a, b, c] = tuple((await setup(engine, ['a', 'b', 'c'])).states, 3);
    const before = engine.encodeState(a);
    await engine.commit(a, { remove: [2] }); // refused by the server: never adopted
    expect(engine.encodeState(a)).toEqual(before);
    const winner = await engine.commit(b, {});
    const atA = await engine.process(a, winner.commit);
    const atC = await engine.process(c, winner.commit);
    expect(engine.epochAuthenticator(atA.state)).toEqual(engine.epochAuthenticator(winner.state));
    const m = await engine.encrypt(atA.state, utf8('retrying on the new epoch'));
    const got = await engine.process(atC.state, m.message);
    expect(got.kind === 'application' && text(got.plaintext)).toBe('retrying on the new epoch');
  });

  it('a failed process leaves the state as it was', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const m = await engine.encrypt(a, utf8('hi'));
    const tampered = m.message.slice();
    tampered.set([(tampered.at(-1) ?? 0) ^ 1], tampered.length - 1);
    const before = engine.encodeState(b);
    await expect(engine.process(b, tampered)).rejects.toThrow();
    expect(engine.encodeState(b)).toEqual(before);
    const got = await engine.process(b, m.message);
    expect(got.kind === 'application' && text(got.plaintext)).toBe('hi');
  });
});
