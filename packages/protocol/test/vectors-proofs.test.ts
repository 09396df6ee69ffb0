/**
 * proofs.json (test/vectors/proofs.ts): the account, device, mailbox and address proofs of
 * docs/protocol-identities.md §3.3–§3.7. Regenerated on both backends and compared with the committed JSON,
 * then checked from the recorded bytes alone: each signature verifies over the recorded message,
 * re-signing gives the same bytes, and the library's proof functions sign exactly that message.
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
  parseAccountId,
  toHex,
  verifyDeviceCertificate,
} from '../src/index.ts';
import { backends } from './kit.ts';
import { replayEnv } from './vectors/common.ts';
import { buildProofsVector, type ProofsVector } from './vectors/proofs.ts';

const v = JSON.parse(readFileSync(new URL('./vectors/proofs.json', import.meta.url), 'utf8')) as ProofsVector;

describe.each(backends.map((b) => [b.name, b] as const))('proofs.json (%s backend)', (_name, crypto) => {
  const env = replayEnv(crypto, []).env;

  it('regenerates byte for byte from the seed', () => {
    expect(buildProofsVector(crypto)).toEqual(v);
  });

  it('every recorded signature verifies over its recorded message and is what re-signing gives', () => {
    const priv: Record<string, string> = {
      [v.identity.signingPublicKey]: v.identity.signingPrivateKey,
      ...Object.fromEntries(Object.values(v.keys).map((k) => [k.publicKey, k.privateKey])),
    };
    expect(v.proofs).toHaveLength(7);
    for (const p of v.proofs) {
      expect(crypto.ed25519Verify(fromHex(p.publicKey), fromHex(p.message), fromHex(p.signature)), p.name).toBe(true);
      const sk = priv[p.publicKey];
      expect(sk, p.name).toBeDefined();
      expect(toHex(crypto.ed25519Sign(fromHex(sk ?? ''), fromHex(p.message))), p.name).toBe(p.signature);
    }
  });

  it('the proof checks accept the recorded signatures, each under its own label only', () => {
    const i = v.inputs;
    const sig = (name: string) => fromHex(v.proofs.find((p) => p.name === name)?.signature ?? '');
    const account = fromHex(v.identity.signingPublicKey);
    const device = fromHex(v.keys.device.publicKey);
    const dev = deviceId(3);
    const auth = fromHex(i.authChallenge);
    const reg = sig('authentication proof, purpose 0x01 register');
    expect(checkDeviceProof(env, device, AuthPurpose.register, auth, account, dev, reg)).toBe(true);
    expect(checkDeviceProof(env, device, AuthPurpose.connect, auth, account, dev, reg)).toBe(false);
    const con = sig('authentication proof, purpose 0x02 connect');
    expect(checkDeviceProof(env, device, AuthPurpose.connect, auth, account, dev, con)).toBe(true);

    const mailbox = fromHex(i.mailboxId);
    const sender = fromHex(v.keys.sender.publicKey);
    expect(checkDelivery(env, sender, mailbox, fromHex(i.envelope), sig('mailbox delivery'))).toBe(true);
    const access = sig('mailbox access');
    expect(
      checkMailboxAccess(env, fromHex(v.keys.recipient.publicKey), mailbox, fromHex(i.mailboxChallenge), access),
    ).toBe(true);
    const sending = sig('sending proof');
    expect(checkSendingRight(env, sender, mailbox, fromHex(i.sendingChallenge), sending)).toBe(true);
    // The same key and inputs under the other label do not verify (§3.6: the labels separate the proofs).
    expect(checkMailboxAccess(env, sender, mailbox, fromHex(i.sendingChallenge), sending)).toBe(false);
    const owner = fromHex(v.keys.owner.publicKey);
    const own = sig('contact address ownership');
    expect(checkAddressOwnership(env, owner, fromHex(i.addressId), fromHex(i.addressChallenge), own)).toBe(true);
    expect(checkMailboxAccess(env, owner, fromHex(i.addressId), fromHex(i.addressChallenge), own)).toBe(false);
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
