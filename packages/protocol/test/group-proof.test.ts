import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_BYTES,
  checkGroupAccess,
  checkMailboxAccess,
  GROUP_ID_BYTES,
  generateEd25519,
  groupProofSubject,
  httpOperation,
  proveGroupAccess,
  socketOperation,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('group proofs (%s backend)', (_name, crypto) => {
  const env = testEnv('group', crypto);
  const writeKey = generateEd25519(env);
  const other = generateEd25519(env);
  const group = env.random(GROUP_ID_BYTES);
  const challenge = env.random(CHALLENGE_BYTES);
  const post = httpOperation(env, 'POST', '/v1/groups/g/messages', utf8('{"kind":"application","message":"AA"}'));

  it('answers one challenge for one operation on one group in one epoch', () => {
    const proof = proveGroupAccess(env, writeKey.privateKey, group, 7, challenge, post);
    expect(checkGroupAccess(env, writeKey.publicKey, group, 7, challenge, post, proof)).toBe(true);
    expect(checkGroupAccess(env, writeKey.publicKey, group, 8, challenge, post, proof)).toBe(false);
    expect(checkGroupAccess(env, writeKey.publicKey, env.random(GROUP_ID_BYTES), 7, challenge, post, proof)).toBe(
      false,
    );
    expect(checkGroupAccess(env, writeKey.publicKey, group, 7, env.random(CHALLENGE_BYTES), post, proof)).toBe(false);
    const otherBody = httpOperation(
      env,
      'POST',
      '/v1/groups/g/messages',
      utf8('{"kind":"application","message":"AQ"}'),
    );
    expect(checkGroupAccess(env, writeKey.publicKey, group, 7, challenge, otherBody, proof)).toBe(false);
    expect(
      checkGroupAccess(env, writeKey.publicKey, group, 7, challenge, socketOperation('subscribe-group'), proof),
    ).toBe(false);
    expect(checkGroupAccess(env, other.publicKey, group, 7, challenge, post, proof)).toBe(false);
  });

  it('is not a mailbox proof, nor the other way round', () => {
    const proof = proveGroupAccess(env, writeKey.privateKey, group, 0, challenge, post);
    expect(checkMailboxAccess(env, writeKey.publicKey, group, challenge, post, proof)).toBe(false);
  });

  it('encodes the subject as the group id and a big-endian u64 epoch, and refuses malformed ones', () => {
    const subject = groupProofSubject(new Uint8Array(16).fill(1), 258);
    expect([...subject.subarray(16)]).toEqual([0, 0, 0, 0, 0, 0, 1, 2]);
    expect(codeOf(() => groupProofSubject(new Uint8Array(15), 0))).toBe('decode');
    expect(codeOf(() => groupProofSubject(group, -1))).toBe('usage');
    expect(codeOf(() => proveGroupAccess(env, writeKey.privateKey, group, 0, new Uint8Array(31), post))).toBe('decode');
  });
});
