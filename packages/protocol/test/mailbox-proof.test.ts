import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_BYTES,
  checkAddressOwnership,
  checkDelivery,
  checkMailboxAccess,
  checkSendingRight,
  generateEd25519,
  httpOperation,
  MAILBOX_ID_BYTES,
  proveAddressOwnership,
  proveMailboxAccess,
  proveSendingRight,
  signDelivery,
  socketOperation,
  utf8,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

describe.each(backends.map((b) => [b.name, b] as const))('mailbox signatures (%s backend)', (_name, crypto) => {
  const env = testEnv('mailbox', crypto);
  const sender = generateEd25519(env);
  const recipient = generateEd25519(env);
  const mailbox = env.random(MAILBOX_ID_BYTES);
  const otherMailbox = env.random(MAILBOX_ID_BYTES);
  const empty = new Uint8Array(0);
  const read = httpOperation(env, 'GET', '/v1/mailboxes/x/messages', empty);
  const subscribe = socketOperation('subscribe');
  const authorize = socketOperation('authorize');

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
    const proof = proveMailboxAccess(env, recipient.privateKey, mailbox, challenge, read);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, read, proof)).toBe(true);
    expect(checkMailboxAccess(env, recipient.publicKey, otherMailbox, challenge, read, proof)).toBe(false);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, env.random(CHALLENGE_BYTES), read, proof)).toBe(false);
    expect(checkDelivery(env, recipient.publicKey, mailbox, challenge, proof)).toBe(false);
    expect(
      codeOf(() => checkMailboxAccess(env, recipient.publicKey, mailbox.subarray(1), challenge, read, proof)),
    ).toBe('decode');
  });

  it('an access proof is bound to its operation: method, target, body digest or frame type (§3.5.1)', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const proof = proveMailboxAccess(env, recipient.privateKey, mailbox, challenge, read);
    const others = [
      httpOperation(env, 'POST', '/v1/mailboxes/x/ack', utf8('{"seqs":[1,2,3]}')),
      httpOperation(env, 'DELETE', '/v1/mailboxes/x', empty),
      httpOperation(env, 'GET', '/v1/mailboxes/x/messages?after=7', empty),
      httpOperation(env, 'GET', '/v1/mailboxes/x/messages', utf8(' ')),
      subscribe,
    ];
    for (const op of others)
      expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, op, proof)).toBe(false);
    const ack = utf8('{"seqs":[1]}');
    const ackProof = proveMailboxAccess(
      env,
      recipient.privateKey,
      mailbox,
      challenge,
      httpOperation(env, 'POST', '/v1/mailboxes/x/ack', ack),
    );
    const otherBody = httpOperation(env, 'POST', '/v1/mailboxes/x/ack', utf8('{"seqs":[2]}'));
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, otherBody, ackProof)).toBe(false);
    const subscribed = proveMailboxAccess(env, recipient.privateKey, mailbox, challenge, subscribe);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, subscribe, subscribed)).toBe(true);
    expect(checkMailboxAccess(env, recipient.publicKey, mailbox, challenge, read, subscribed)).toBe(false);
  });

  it('an address ownership proof and a mailbox access proof never stand in for each other', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const id = env.random(MAILBOX_ID_BYTES);
    const owner = proveAddressOwnership(env, recipient.privateKey, id, challenge, read);
    expect(checkAddressOwnership(env, recipient.publicKey, id, challenge, read, owner)).toBe(true);
    expect(checkMailboxAccess(env, recipient.publicKey, id, challenge, read, owner)).toBe(false);
    const del = httpOperation(env, 'DELETE', '/v1/addresses/x', empty);
    expect(checkAddressOwnership(env, recipient.publicKey, id, challenge, del, owner)).toBe(false);
    const access = proveMailboxAccess(env, recipient.privateKey, id, challenge, read);
    expect(checkAddressOwnership(env, recipient.publicKey, id, challenge, read, access)).toBe(false);
  });

  it('a sending proof answers one challenge for one mailbox, and is neither an access proof nor a delivery', () => {
    const challenge = env.random(CHALLENGE_BYTES);
    const proof = proveSendingRight(env, sender.privateKey, mailbox, challenge, authorize);
    expect(checkSendingRight(env, sender.publicKey, mailbox, challenge, authorize, proof)).toBe(true);
    expect(checkSendingRight(env, sender.publicKey, otherMailbox, challenge, authorize, proof)).toBe(false);
    expect(checkSendingRight(env, sender.publicKey, mailbox, env.random(CHALLENGE_BYTES), authorize, proof)).toBe(
      false,
    );
    expect(checkSendingRight(env, recipient.publicKey, mailbox, challenge, authorize, proof)).toBe(false);
    expect(checkSendingRight(env, sender.publicKey, mailbox, challenge, subscribe, proof)).toBe(false);
    // The same key and bytes under the other labels: the labels keep the three proofs apart.
    expect(checkMailboxAccess(env, sender.publicKey, mailbox, challenge, authorize, proof)).toBe(false);
    expect(checkAddressOwnership(env, sender.publicKey, mailbox, challenge, authorize, proof)).toBe(false);
    const access = proveMailboxAccess(env, sender.privateKey, mailbox, challenge, authorize);
    expect(checkSendingRight(env, sender.publicKey, mailbox, challenge, authorize, access)).toBe(false);
    expect(
      codeOf(() => checkSendingRight(env, sender.publicKey, mailbox, challenge.subarray(1), authorize, proof)),
    ).toBe('decode');
  });
});
