import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_BYTES,
  checkAddressOwnership,
  checkDelivery,
  checkMailboxAccess,
  checkSendingRight,
  generateEd25519,
  MAILBOX_ID_BYTES,
  proveAddressOwnership,
  proveMailboxAccess,
  proveSendingRight,
  signDelivery,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('mailbox signatures (%s backend)', (_name, crypto) => {
  const env = testEnv('mailbox', crypto);
  const sender = generateEd25519(env);
  const recipient = generateEd25519(env);
  const mailbox = env.random(MAILBOX_ID_BYTES);
  const otherMailbox = env.random(MAILBOX_ID_BYTES);

  it('a delivery signature covers the mailbox and every byte of the envelope', () => {
    const envelope = utf8('ciphertext bytes');
    const sig = signDelivery(env, sender.privateKey, mailbox, envelope);
    expect(checkDelivery(env, sender.publicKey, mailbox, envelope, sig)).toBe(true);
    expect(checkDelivery(env, sender.publicKey, otherMailbox, envelope, sig)).toBe(false);
    expect(checkDelivery(env, sender.publicKey, mailbox, utf8('ciphertext byteS'), sig)).toBe(false);
    expect(checkDelivery(env, recipient.publicKey, mailbox, envelope, sig)).toBe(false);
  });

  it('an access proof answers one challenge for one mailbox, and is not a delivery signature', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const proof = proveMailboxAccess(env, recipient.privateKey, mailbox, challenge);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, proof)).toBe(true);
    expect(checkMailboxAccess(env, recipient.publicKey, otherMailbox, challenge, proof)).toBe(false);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, env.random(CHALLENGE_BYTES), proof)).toBe(false);
    expect(checkDelivery(env, recipient.publicKey, mailbox, challenge, proof)).toBe(false);
    expect(codeOf(() => checkMailboxAccess(env, recipient.publicKey, mailbox.subarray(1), challenge, proof))).toBe(
      'decode',
    );
  });

  it('an address ownership proof and a mailbox access proof never stand in for each other', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const id = env.random(MAILBOX_ID_BYTES);
    const owner = proveAddressOwnership(env, recipient.privateKey, id, challenge);
    expect(checkAddressOwnership(env, recipient.publicKey, id, challenge, owner)).toBe(true);
    expect(checkMailboxAccess(env, recipient.publicKey, id, challenge, owner)).toBe(false);
    const access = proveMailboxAccess(env, recipient.privateKey, id, challenge);
    expect(checkAddressOwnership(env, recipient.publicKey, id, challenge, access)).toBe(false);
  });

  it('a sending proof answers one challenge for one mailbox, and is neither an access proof nor a delivery', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const proof = proveSendingRight(env, sender.privateKey, mailbox, challenge);
    expect(checkSendingRight(env, sender.publicKey, mailbox, challenge, proof)).toBe(true);
    expect(checkSendingRight(env, sender.publicKey, otherMailbox, challenge, proof)).toBe(false);
    expect(checkSendingRight(env, sender.publicKey, mailbox, env.random(CHALLENGE_BYTES), proof)).toBe(false);
    expect(checkSendingRight(env, recipient.publicKey, mailbox, challenge, proof)).toBe(false);
    // The same key and bytes under the other labels: the labels keep the three proofs apart.
    expect(checkMailboxAccess(env, sender.publicKey, mailbox, challenge, proof)).toBe(false);
    expect(checkAddressOwnership(env, sender.publicKey, mailbox, challenge, proof)).toBe(false);
    const access = proveMailboxAccess(env, sender.privateKey, mailbox, challenge);
    expect(checkSendingRight(env, sender.publicKey, mailbox, challenge, access)).toBe(false);
    expect(codeOf(() => checkSendingRight(env, sender.publicKey, mailbox, challenge.subarray(1), proof))).toBe(
      'decode',
    );
  });
});
