/**
 * group-proof.json (test/vectors/group-proof.ts): group proofs by an epoch's write key, each
 * bound to one operation. Regenerated on both backends and compared with the committed JSON, then
 * checked from the recorded bytes alone: each operation encodes as recorded, each proof verifies
 * over its recorded message, and the library's check accepts it for its own group, epoch and
 * operation only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkGroupAccess, fromHex, httpOperation, socketOperation, toHex, utf8 } from '../src/index.ts';
import { backends } from './kit.ts';
import { replayEnv } from './vectors/common.ts';
import { buildGroupProofVector, type GroupProofVector } from './vectors/group-proof.ts';

const v = JSON.parse(readFileSync(new URL('./vectors/group-proof.json', import.meta.url), 'utf8')) as GroupProofVector;

describe.each(backends.map((b) => [b.name, b] as const))('group-proof.json (%s backend)', (_name, crypto) => {
  const env = replayEnv(crypto, []).env;
  const key = fromHex(v.writeKey.publicKey);
  const group = fromHex(v.groupId);
  const challenge = fromHex(v.challenge);

  it('regenerates byte for byte from the seed', () => {
    expect(buildGroupProofVector(crypto)).toEqual(v);
  });

  it('each proof verifies over its recorded message and for its own group, epoch and operation only', () => {
    expect(v.proofs).toHaveLength(3);
    for (const p of v.proofs) {
      const op =
        p.kind === 'socket'
          ? socketOperation(p.frameType ?? '')
          : httpOperation(env, p.method ?? '', p.target ?? '', utf8(p.body ?? ''));
      expect(toHex(op), p.name).toBe(p.operation);
      const proof = fromHex(p.proof);
      expect(crypto.ed25519Verify(key, fromHex(p.message), proof), p.name).toBe(true);
      expect(checkGroupAccess(env, key, group, p.epoch, challenge, op, proof), p.name).toBe(true);
      expect(checkGroupAccess(env, key, group, p.epoch + 1, challenge, op, proof), p.name).toBe(false);
      for (const other of v.proofs.filter((o) => o.name !== p.name)) {
        expect(checkGroupAccess(env, key, group, p.epoch, challenge, fromHex(other.operation), proof)).toBe(false);
      }
    }
  });
});
