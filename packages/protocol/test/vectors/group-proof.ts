/**
 * Known-answer vectors for group proofs (src/group-proof.ts; docs/server.md "Groups"): an epoch's
 * write key answering a server challenge for one operation on one group in one epoch —
 * group-proof.json. The write key, group id and challenge are drawn from one seeded environment in
 * that order; the message signed is laid out here from the spec, independently of src/, and the
 * Ed25519 signature is deterministic. Written by generate.ts with the others; checked by
 * vectors-group-proof.test.ts on both backends.
 */
import {
  type CryptoBackend,
  concatBytes,
  generateEd25519,
  httpOperation,
  proveGroupAccess,
  socketOperation,
  toHex,
  utf8,
} from '../../src/index.ts';
import { type Hex, RNG_DESCRIPTION, recorder } from './common.ts';

export const GROUP_PROOF_SEED = 'parley/vectors/group-proof';

export interface GroupProofEntry {
  readonly name: string;
  /** `http` (method, target, body as UTF-8 text) or `socket` (frame type). */
  readonly kind: 'http' | 'socket';
  readonly method?: string;
  readonly target?: string;
  readonly body?: string;
  readonly frameType?: string;
  readonly epoch: number;
  readonly operation: Hex;
  /** "Parley group v1" ‖ challenge ‖ group id ‖ u64 epoch ‖ operation. */
  readonly message: Hex;
  readonly proof: Hex;
}

export interface GroupProofVector {
  readonly description: string;
  readonly rng: string;
  readonly draws: readonly Hex[];
  readonly writeKey: { readonly privateKey: Hex; readonly publicKey: Hex };
  readonly groupId: Hex;
  readonly challenge: Hex;
  readonly proofs: readonly GroupProofEntry[];
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export function buildGroupProofVector(crypto: CryptoBackend): GroupProofVector {
  const rec = recorder(GROUP_PROOF_SEED, crypto);
  const env = rec.env;
  const writeKey = generateEd25519(env);
  const groupId = env.random(16);
  const challenge = env.random(32);
  const draws = rec.take();
  const id = Buffer.from(groupId).toString('base64url');
  const cases = [
    {
      name: 'post',
      kind: 'http' as const,
      method: 'POST',
      target: `/v1/groups/${id}/messages`,
      body: '{"kind":"application","message":"AQID"}',
      epoch: 7,
    },
    {
      name: 'read',
      kind: 'http' as const,
      method: 'GET',
      target: `/v1/groups/${id}/messages?after=12&limit=100`,
      body: '',
      epoch: 7,
    },
    { name: 'subscribe', kind: 'socket' as const, frameType: 'subscribe-group', epoch: 2 ** 32 + 1 },
  ];
  const proofs = cases.map((c): GroupProofEntry => {
    const operation =
      c.kind === 'http' ? httpOperation(env, c.method, c.target, utf8(c.body)) : socketOperation(c.frameType);
    const message = concatBytes(utf8('Parley group v1'), challenge, groupId, u64(c.epoch), operation);
    const proof = proveGroupAccess(env, writeKey.privateKey, groupId, c.epoch, challenge, operation);
    return { ...c, operation: toHex(operation), message: toHex(message), proof: toHex(proof) };
  });
  return {
    description:
      'Group proofs (packages/protocol/src/group-proof.ts, docs/server.md "Groups"): proof = Ed25519-Sign(writeKey_epoch, ' +
      '"Parley group v1" ‖ challenge (32) ‖ group id (16) ‖ u64 epoch ‖ operation), the operation as in bound-proofs.json.',
    rng: RNG_DESCRIPTION,
    draws,
    writeKey: { privateKey: toHex(writeKey.privateKey), publicKey: toHex(writeKey.publicKey) },
    groupId: toHex(groupId),
    challenge: toHex(challenge),
    proofs,
  };
}
