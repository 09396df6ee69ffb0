/**
 * Untrusted bytes: whatever arrives from the server or a member — truncated, bit-flipped,
 * replayed, for another group or epoch, a forged credential — is refused with a GroupError and
 * never crashes or changes the state. Property-based over random corruptions (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindLeafKey, createGroupEngine, GroupError } from '../src/index.ts';
import { newDevice, setup, tuple, utf8 } from './kit.ts';

const engine = createGroupEngine();
const isGroupError = (e: unknown) => GroupError.is(e);

describe('hostile input', () => {
  it('refuses any corruption of an application message or a commit with a GroupError', async () => {
    const [a, b, c] = tuple((await setup(engine, ['a', 'b', 'c'])).states, 3);
    const message = (await engine.encrypt(a, utf8('the real one'))).message;
    const commit = (await engine.commit(c, { remove: [0] })).commit;
    for (const original of [message, commit]) {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            // a flipped bit anywhere
            fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
              const x = original.slice();
              x[i] = (x[i] as number) ^ (1 << bit);
              return x;
            }),
            // truncated, or with bytes appended
            fc.nat(original.length - 1).map((n) => original.slice(0, n)),
            fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => new Uint8Array([...original, ...tail])),
            // garbage
            fc.uint8Array({ maxLength: 300 }),
          ),
          async (bytes) => {
            await expect(engine.process(b, bytes)).rejects.toSatisfy(isGroupError);
          },
        ),
        { numRuns: 150 },
      );
    }
    // And the originals still work on the untouched state.
    expect((await engine.process(b, message)).kind).toBe('application');
  });

  it('refuses a replayed message, a message for another group and one from a future epoch', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const m = await engine.encrypt(a, utf8('once'));
    const first = await engine.process(b, m.message);
    await expect(engine.process(first.state, m.message)).rejects.toSatisfy(isGroupError);
    const [other] = tuple((await setup(engine, ['x', 'y'])).states, 2);
    await expect(engine.process(other, m.message)).rejects.toSatisfy((e) => GroupError.is(e, 'wrong-group'));
    const next = await engine.commit(a, {});
    const future = await engine.encrypt(next.state, utf8('later'));
    await expect(engine.process(b, future.message)).rejects.toSatisfy((e) => GroupError.is(e, 'wrong-epoch'));
  });

  it('refuses to add a key package whose credential binding is forged', async () => {
    const [a] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const mallory = await newDevice(engine, 'mallory');
    const victim = await newDevice(engine, 'victim');
    // Mallory claims to be the victim's device: the victim's account key, her own binding.
    const forged = {
      ...mallory.identity,
      credential: { ...mallory.identity.credential, accountKey: victim.accountKey },
    };
    const kp = await engine.keyPackage(forged);
    await expect(engine.commit(a, { add: [kp.public] })).rejects.toSatisfy(isGroupError);
  });

  it('refuses a second leaf for a device already in the group', async () => {
    const g = await setup(engine, ['a', 'b']);
    const [a] = tuple(g.states, 2);
    const [, bob] = tuple(g.devices, 2);
    const again = await engine.keyPackage(bob.identity);
    await expect(engine.commit(a, { add: [again.public] })).rejects.toSatisfy((e) => GroupError.is(e, 'invalid'));
  });

  it('refuses a welcome made for another key package, and garbage as a welcome', async () => {
    const [, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const carol = await newDevice(engine, 'carol');
    const dave = await newDevice(engine, 'dave');
    const kpCarol = await engine.keyPackage(carol.identity);
    const kpDave = await engine.keyPackage(dave.identity);
    const r = await engine.commit(b, { add: [kpCarol.public] });
    if (r.welcome === undefined) throw new Error('expected a welcome');
    await expect(engine.join(r.welcome, kpDave.private)).rejects.toSatisfy((e) => GroupError.is(e, 'not-for-us'));
    await expect(engine.join(utf8('not a welcome'), kpCarol.private)).rejects.toSatisfy(isGroupError);
    await expect(engine.join(r.welcome, utf8('not a secret'))).rejects.toSatisfy(isGroupError);
  });

  it('binds the credential to the device id and the signature key', async () => {
    const d = await newDevice(engine, 'd', 7);
    const p = engine.primitives;
    const { credential, signatureKey } = d.identity;
    const { encodeCredential, verifyCredential } = await import('../src/credential.ts');
    expect(verifyCredential(p, encodeCredential(credential), signatureKey.publicKey)).toBe(true);
    expect(verifyCredential(p, encodeCredential({ ...credential, deviceId: 8 }), signatureKey.publicKey)).toBe(false);
    expect(verifyCredential(p, encodeCredential(credential), p.ed25519PublicKey(p.randomBytes(32)))).toBe(false);
    expect(() =>
      bindLeafKey(p, { publicKey: d.accountKey, privateKey: p.randomBytes(32) }, 0, signatureKey.publicKey),
    ).toThrow(GroupError);
  });
});
