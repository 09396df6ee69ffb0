/**
 * bound-proofs.json (test/vectors/bound-proofs.ts): the account, device, mailbox and address
 * proofs of docs/protocol-identities.md §3.3–§3.7, each bound to its operation (§3.5.1).
 * Regenerated on both backends and compared with the committed JSON, then checked from the
 * recorded bytes alone: each operation encodes as recorded, each signature verifies over the
 * recorded message, re-signing gives the same bytes, the library's proof checks accept each
 * proof for its own operation and label only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AuthPurpose,
  accountIdFromKey,
  checkAddressOwnership,
  checkDelivery,
  checkDeviceProof,
  checkMailboxAccess,
  checkSendingRight,
  decodeDeviceCertificate,
  deviceId,
  fromBase64url,
  fromHex,
  httpOperation,
  parseAccountId,
  REGISTRATION_OPERATION,
  socketOperation,
  toHex,
  utf8,
  verifyDeviceCertificate,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { type BoundProofsVector, buildBoundProofsVector } from './vectors/bound-proofs.ts';
import { replayEnv } from './vectors/common.ts';

const v = JSON.parse(
  readFileSync(new URL('./vectors/bound-proofs.json', import.meta.url), 'utf8'),
) as BoundProofsVector;

describe.each(backends.map((b) => [b.name, b] as const))('bound-proofs.json (%s backend)', (_name, crypto) => {
  const env = replayEnv(crypto, []).env;
  const op = (name: string) => fromHex(v.operations.find((o) => o.name === name)?.encoded ?? '');
  const sig = (name: string) => fromHex(v.proofs.find((p) => p.name === name)?.signature ?? '');

  it('regenerates byte for byte from the seed', () => {
    expect(buildBoundProofsVector(crypto)).toEqual(v);
  });

  it('each operation encodes as recorded from what it records', () => {
    expect(v.operations).toHaveLength(6);
    for (const o of v.operations) {
      const built =
        o.kind === 'registration'
          ? REGISTRATION_OPERATION
          : o.kind === 'socket'
            ? socketOperation(o.frameType ?? '')
            : httpOperation(env, o.method ?? '', o.target ?? '', utf8(o.body ?? ''));
      expect(toHex(built), o.name).toBe(o.encoded);
    }
  });

  it('every recorded signature verifies over its recorded message, which ends with its operation', () => {
    const priv: Record<string, string> = {
      [v.identity.signingPublicKey]: v.identity.signingPrivateKey,
      ...Object.fromEntries(Object.values(v.keys).map((k) => [k.publicKey, k.privateKey])),
    };
    expect(v.proofs).toHaveLength(8);
    for (const p of v.proofs) {
      expect(crypto.ed25519Verify(fromHex(p.publicKey), fromHex(p.message), fromHex(p.signature)), p.name).toBe(true);
      const sk = priv[p.publicKey];
      expect(sk, p.name).toBeDefined();
      expect(toHex(crypto.ed25519Sign(fromHex(sk ?? ''), fromHex(p.message))), p.name).toBe(p.signature);
      if (p.operation !== undefined) expect(p.message.endsWith(toHex(op(p.operation))), p.name).toBe(true);
    }
  });

  it('the proof checks accept each recorded proof for its own operation and label only', () => {
    const i = v.inputs;
    const account = fromHex(v.identity.signingPublicKey);
    const device = fromHex(v.keys.device.publicKey);
    const dev = deviceId(3);
    const auth = fromHex(i.authChallenge);
    const reg = sig('authentication proof, purpose 0x01 register');
    const registration = op('registration');
    expect(checkDeviceProof(env, device, AuthPurpose.register, auth, account, dev, registration, reg)).toBe(true);
    expect(checkDeviceProof(env, device, AuthPurpose.connect, auth, account, dev, registration, reg)).toBe(false);
    const connect = fromHex(i.connectChallenge);
    const con = sig('authentication proof, purpose 0x02 connect');
    const counts = op('read prekey counts');
    expect(checkDeviceProof(env, device, AuthPurpose.connect, connect, account, dev, counts, con)).toBe(true);
    expect(checkDeviceProof(env, device, AuthPurpose.connect, connect, account, dev, registration, con)).toBe(false);

    const mailbox = fromHex(i.mailboxId);
    const recipient = fromHex(v.keys.recipient.publicKey);
    const sender = fromHex(v.keys.sender.publicKey);
    expect(checkDelivery(env, sender, mailbox, fromHex(i.envelope), sig('mailbox delivery'))).toBe(true);
    const ack = op('acknowledge messages 1 and 2');
    const access = sig('mailbox access over HTTP');
    expect(checkMailboxAccess(env, recipient, mailbox, fromHex(i.mailboxChallenge), ack, access)).toBe(true);
    expect(checkMailboxAccess(env, recipient, mailbox, fromHex(i.mailboxChallenge), counts, access)).toBe(false);
    const subscribe = op('subscribe frame');
    const sub = sig('mailbox access in a subscribe frame');
    expect(checkMailboxAccess(env, recipient, mailbox, fromHex(i.subscribeChallenge), subscribe, sub)).toBe(true);
    const authorize = op('authorize frame');
    expect(checkMailboxAccess(env, recipient, mailbox, fromHex(i.subscribeChallenge), authorize, sub)).toBe(false);
    const sending = sig('sending proof');
    expect(checkSendingRight(env, sender, mailbox, fromHex(i.sendingChallenge), authorize, sending)).toBe(true);
    expect(checkSendingRight(env, sender, mailbox, fromHex(i.sendingChallenge), subscribe, sending)).toBe(false);
    // The same key and inputs under another label do not verify (§3.6: the labels separate the proofs).
    expect(checkMailboxAccess(env, sender, mailbox, fromHex(i.sendingChallenge), authorize, sending)).toBe(false);
    const owner = fromHex(v.keys.owner.publicKey);
    const own = sig('contact address ownership');
    const list = op('list contact requests');
    const address = fromHex(i.addressId);
    expect(checkAddressOwnership(env, owner, address, fromHex(i.addressChallenge), list, own)).toBe(true);
    expect(checkMailboxAccess(env, owner, address, fromHex(i.addressChallenge), list, own)).toBe(false);
  });

  it('the account id, address and device certificate decode to the recorded keys', () => {
    const account = fromHex(v.identity.signingPublicKey);
    expect(accountIdFromKey(account)).toBe(v.accountId);
    expect(parseAccountId(v.accountId)).toBe(v.accountId);
    expect(toHex(fromBase64url(v.accountId))).toBe(v.identity.signingPublicKey);
    expect(v.address).toBe(`${v.accountId}.3`);
    const bytes = fromHex(v.deviceCertificate.encoded);
    expect(bytes.length).toBe(110);
    const cert = decodeDeviceCertificate(bytes);
    expect(cert.deviceId).toBe(v.deviceCertificate.deviceId);
    expect(cert.createdAt).toBe(v.deviceCertificate.createdAt);
    expect(toHex(cert.deviceKey)).toBe(v.keys.device.publicKey);
    expect(toHex(cert.signature)).toBe(v.proofs[0]?.signature);
    const identity = {
      signingKey: account,
      agreementKey: fromHex(v.identity.agreementPublicKey),
      certificate: fromHex(v.identity.certificate),
    };
    verifyDeviceCertificate(env, identity, cert);
  });
});
