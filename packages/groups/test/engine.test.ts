import { type ClientState, decodeMlsMessage, emptyPskIndex, processPrivateMessage } from 'ts-mls';
import { describe, expect, it } from 'vitest';
import { createGroupEngine, GroupError, type GroupState } from '../src/index.ts';
import { setup, text, tuple, utf8 } from './kit.ts';

const engine = createGroupEngine();

describe('GroupEngine', () => {
  it('creates a group, adds members who read each other, and all agree on the epoch', async () => {
    const g = await setup(engine, ['alice', 'bob', 'carol']);
    const [, bob] = tuple(g.devices, 2);
    const [a, b, c] = tuple(g.states, 3);
    expect(engine.epoch(a)).toBe(1n);
    expect(engine.epoch(b)).toBe(1n);
    expect(engine.epochAuthenticator(b)).toEqual(engine.epochAuthenticator(a));
    expect(engine.members(c).map((m) => m.deviceId)).toEqual([1, 1, 1]);
    expect(engine.members(c)[1]?.accountKey).toEqual(bob.accountKey);

    const sent = await engine.encrypt(b, utf8('hello group'));
    const got = await engine.process(a, sent.message);
    expect(got.kind).toBe('application');
    if (got.kind !== 'application') return;
    expect(text(got.plaintext)).toBe('hello group');
    expect(got.sender.accountKey).toEqual(bob.accountKey);
    expect(got.sender.leaf).toBe(1);
    const atCarol = await engine.process(c, sent.message);
    expect(atCarol.kind === 'application' && text(atCarol.plaintext)).toBe('hello group');
  });

  it('a commit processed by every member moves them all to the same next epoch', async () => {
    const [a, b, c, d] = tuple((await setup(engine, ['a', 'b', 'c', 'd'])).states, 4);
    const r = await engine.commit(c, {});
    const processed = tuple(await Promise.all([a, b, d].map((s) => engine.process(s, r.commit))), 3);
    for (const p of processed) {
      expect(p.kind).toBe('commit');
      expect(engine.epoch(p.state)).toBe(2n);
      expect(engine.epochAuthenticator(p.state)).toEqual(engine.epochAuthenticator(r.state));
      if (p.kind === 'commit') expect(p.sender.leaf).toBe(2);
    }
    const [wa, wb] = await Promise.all([engine.writeKeyPair(r.state), engine.writeKeyPair(processed[1].state)]);
    expect(wa.publicKey).toEqual(wb.publicKey);
    expect(wa.publicKey).not.toEqual((await engine.writeKeyPair(c)).publicKey);
  });

  // The trap: ts-mls ≤ 1.6.2 let a member removed by a commit removing exactly one member read
  // what was sent after it. A removed member must fail to decrypt the next application message.
  it('a member removed by a single-member remove commit cannot decrypt the next message', async () => {
    const [a, b, c] = tuple((await setup(engine, ['a', 'b', 'c'])).states, 3);
    const r = await engine.commit(a, { remove: [2] });
    const atB = await engine.process(b, r.commit);
    const atC = await engine.process(c, r.commit);
    expect(atC.kind === 'commit' && atC.removedSelf).toBe(true);
    expect(atB.kind === 'commit' && atB.removed.map((m) => m.leaf)).toEqual([2]);
    expect(engine.active(atC.state)).toBe(false);

    const next = await engine.encrypt(r.state, utf8('after the removal'));
    expect((await engine.process(atB.state, next.message)).kind).toBe('application');
    // Through the engine: refused as removed; from the state C had before processing its
    // removal: for an epoch it does not have.
    await expect(engine.process(atC.state, next.message)).rejects.toSatisfy((e) => GroupError.is(e, 'removed'));
    await expect(engine.process(c, next.message)).rejects.toSatisfy((e) => GroupError.is(e, 'wrong-epoch'));
    // Beneath the engine's checks: ts-mls itself, given C's state after the removal, cannot open it.
    const decoded = decodeMlsMessage(next.message, 0)?.[0];
    if (decoded?.wireformat !== 'mls_private_message') throw new Error('expected a private message');
    await expect(
      processPrivateMessage(mlsOf(atC.state), decoded.privateMessage, emptyPskIndex, engine.cipherSuite),
    ).rejects.toThrow();
  });

  it('state survives encode/decode and keeps working', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const restored = engine.decodeState(engine.encodeState(b));
    const m = await engine.encrypt(a, utf8('x'));
    const got = await engine.process(restored, m.message);
    expect(got.kind === 'application' && text(got.plaintext)).toBe('x');
  });
});

function mlsOf(state: GroupState): ClientState {
  return (state as unknown as { mls: ClientState }).mls;
}
