/**
 * A member that bypasses its own engine (a modified client driving ts-mls directly) and sends a
 * well-formed, correctly signed and encrypted commit that breaks Parley's rules: every honest
 * member refuses it with a GroupError and keeps its state.
 */
import {
  type ClientState,
  createCommit,
  defaultAuthenticationService,
  defaultCapabilities,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackage,
} from 'ts-mls';
import { describe, expect, it } from 'vitest';
import { createGroupEngine, GroupError, type GroupState } from '../src/index.ts';
import { setup, tuple } from './kit.ts';

const engine = createGroupEngine();

function mlsOf(state: GroupState): ClientState {
  return (state as unknown as { mls: ClientState }).mls;
}

/** The hostile member's raw state, with ts-mls's accept-everything credential policy. */
function unchecked(state: GroupState): ClientState {
  const s = mlsOf(state);
  return { ...s, clientConfig: { ...s.clientConfig, authService: defaultAuthenticationService } };
}

async function commitBytes(state: ClientState, proposals: Parameters<typeof createCommit>[1]): Promise<Uint8Array> {
  const r = await createCommit({ state, cipherSuite: engine.cipherSuite }, proposals);
  return encodeMlsMessage(r.commit);
}

describe('a hostile member', () => {
  it('cannot add a leaf whose credential is not a Parley credential', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b', 'c'])).states, 3);
    const mallory = await generateKeyPackage(
      { credentialType: 'basic', identity: new TextEncoder().encode('mallory') },
      defaultCapabilities(),
      defaultLifetime,
      [],
      engine.cipherSuite,
    );
    const commit = await commitBytes(unchecked(a), {
      extraProposals: [{ proposalType: 'add', add: { keyPackage: mallory.publicPackage } }],
    });
    const before = engine.encodeState(b);
    await expect(engine.process(b, commit)).rejects.toSatisfy((e) => GroupError.is(e));
    expect(engine.encodeState(b)).toEqual(before);
  });

  it('cannot commit a proposal type Parley does not use (here: new group context extensions)', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const commit = await commitBytes(mlsOf(a), {
      extraProposals: [{ proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [] } }],
    });
    await expect(engine.process(b, commit)).rejects.toSatisfy((e) => GroupError.is(e, 'unsupported'));
  });

  it('cannot send its commit as a PublicMessage', async () => {
    const [a, b] = tuple((await setup(engine, ['a', 'b'])).states, 2);
    const commit = await commitBytes(mlsOf(a), { wireAsPublicMessage: true });
    await expect(engine.process(b, commit)).rejects.toSatisfy((e) => GroupError.is(e, 'unsupported'));
  });
});
