/**
 * The node:crypto and @noble providers make and accept each other's bytes: a group whose
 * members run different providers works end to end (create, welcome, messages, commits,
 * removal, write keys), and each provider's HPKE opens the other's.
 */
import { describe, expect, it } from 'vitest';
import { makeCiphersuiteImpl } from '../src/crypto/ciphersuite.ts';
import { nobleMlsPrimitives } from '../src/crypto/noble.ts';
import { nodeMlsPrimitives } from '../src/crypto/node.ts';
import { createGroupEngine } from '../src/index.ts';
import { groupId, newDevice, text, utf8 } from './kit.ts';

const onNode = createGroupEngine({ primitives: nodeMlsPrimitives });
const onNoble = createGroupEngine({ primitives: nobleMlsPrimitives });

describe('cross-provider', () => {
  it('HPKE sealed by one provider opens with the other, both ways', async () => {
    const pairs = [
      [makeCiphersuiteImpl(nodeMlsPrimitives), makeCiphersuiteImpl(nobleMlsPrimitives)],
      [makeCiphersuiteImpl(nobleMlsPrimitives), makeCiphersuiteImpl(nodeMlsPrimitives)],
    ] as const;
    for (const [sender, receiver] of pairs) {
      const kp = await receiver.hpke.generateKeyPair();
      const pub = await sender.hpke.importPublicKey(await receiver.hpke.exportPublicKey(kp.publicKey));
      const info = utf8('info');
      const sealed = await sender.hpke.seal(pub, utf8('secret'), info, utf8('aad'));
      expect(text(await receiver.hpke.open(kp.privateKey, sealed.enc, sealed.ct, info, utf8('aad')))).toBe('secret');
      const exported = await sender.hpke.exportSecret(pub, utf8('ctx'), 32, info);
      expect(await receiver.hpke.importSecret(kp.privateKey, utf8('ctx'), exported.enc, 32, info)).toEqual(
        exported.secret,
      );
    }
  });

  it('a group of node and noble members agrees on everything', async () => {
    const alice = await newDevice(onNode, 'alice');
    const bob = await newDevice(onNoble, 'bob');
    const carol = await newDevice(onNode, 'carol');
    let a = await onNode.createGroup({ groupId: groupId(), self: alice.identity });
    const kpBob = await onNoble.keyPackage(bob.identity);
    const kpCarol = await onNode.keyPackage(carol.identity);
    const added = await onNode.commit(a, { add: [kpBob.public, kpCarol.public] });
    a = added.state;
    if (added.welcome === undefined) throw new Error('expected a welcome');
    let b = await onNoble.join(added.welcome, kpBob.private);
    let c = await onNode.join(added.welcome, kpCarol.private);

    const fromBob = await onNoble.encrypt(b, utf8('from noble'));
    b = fromBob.state;
    const atA = await onNode.process(a, fromBob.message);
    expect(atA.kind === 'application' && text(atA.plaintext)).toBe('from noble');
    a = atA.state;

    const bobCommits = await onNoble.commit(b, { remove: [2] });
    b = bobCommits.state;
    a = (await onNode.process(a, bobCommits.commit)).state;
    const atC = await onNode.process(c, bobCommits.commit);
    c = atC.state;
    expect(atC.kind === 'commit' && atC.removedSelf).toBe(true);
    expect(onNode.epochAuthenticator(a)).toEqual(onNoble.epochAuthenticator(b));
    expect((await onNode.writeKeyPair(a)).publicKey).toEqual((await onNoble.writeKeyPair(b)).publicKey);

    const aliceCommits = await onNode.commit(a, {});
    b = (await onNoble.process(b, aliceCommits.commit)).state;
    const fromAlice = await onNode.encrypt(aliceCommits.state, utf8('from node'));
    const atB = await onNoble.process(b, fromAlice.message);
    expect(atB.kind === 'application' && text(atB.plaintext)).toBe('from node');
    // A state saved by one provider's engine is read by the other's.
    const moved = onNode.decodeState(onNoble.encodeState(atB.state));
    expect(onNode.epochAuthenticator(moved)).toEqual(onNode.epochAuthenticator(aliceCommits.state));
  });
});
