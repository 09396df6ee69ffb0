/**
 * Known-answer vectors for the account, device, mailbox and address proofs (docs/protocol.md
 * §3.3–§3.7): proofs.json. Every key and input is drawn from one seeded environment in the order
 * of `steps`; each proof is recorded as the exact bytes signed (built here from the spec's
 * layouts, independently of src/) and the Ed25519 signature, which is deterministic.
 * Written by generate.ts with the others; checked by vectors-proofs.test.ts on both backends.
 */
import {
  AuthPurpose,
  accountIdOf,
  addressToString,
  type CryptoBackend,
  certifyDevice,
  concatBytes,
  deviceId,
  encodeDeviceCertificate,
  generateEd25519,
  generateIdentity,
  proveAddressOwnership,
  proveDevice,
  proveMailboxAccess,
  proveSendingRight,
  publicIdentity,
  signDelivery,
  toHex,
  utf8,
} from '../../src/index.ts';
import { CLOCK_START, type Hex, type IdentityVector, identityVector, RNG_DESCRIPTION, recorder } from './common.ts';

export const PROOF_SEED = 'parley/vectors/proofs';
export const PROOF_DEVICE = 3;

/** One signature: who signs, the exact message and the signature. */
export interface ProofEntry {
  readonly name: string;
  readonly section: string;
  /** How the message is laid out, in the spec's notation. */
  readonly layout: string;
  /** The Ed25519 public key that verifies it (the signer's private key is in `keys`). */
  readonly signer: string;
  readonly publicKey: Hex;
  readonly message: Hex;
  readonly signature: Hex;
}

export interface ProofsVector {
  readonly description: string;
  readonly sections: string;
  readonly seed: string;
  readonly clockStart: number;
  readonly steps: readonly string[];
  readonly identity: IdentityVector;
  /** Ed25519 key pairs (private = 32-byte seed), by role. */
  readonly keys: Record<
    'device' | 'recipient' | 'sender' | 'owner',
    { readonly privateKey: Hex; readonly publicKey: Hex }
  >;
  readonly inputs: {
    readonly authChallenge: Hex;
    readonly mailboxId: Hex;
    /** An envelope is opaque bytes to the server; this one is UTF-8 text. */
    readonly envelope: Hex;
    readonly mailboxChallenge: Hex;
    readonly sendingChallenge: Hex;
    readonly addressId: Hex;
    readonly addressChallenge: Hex;
  };
  /** §3.3: base64url of the signing key, and the address text form. */
  readonly accountId: string;
  readonly address: string;
  /** §3.4: the certificate's fields and its 110-byte encoding. */
  readonly deviceCertificate: {
    readonly deviceId: number;
    readonly createdAt: number;
    readonly encoded: Hex;
  };
  readonly proofs: readonly ProofEntry[];
}

const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u64 = (n: number) => concatBytes(u32(Math.floor(n / 2 ** 32)), u32(n >>> 0));

export function buildProofsVector(crypto: CryptoBackend): ProofsVector {
  const rec = recorder(PROOF_SEED, crypto);
  const env = rec.env;
  const identity = generateIdentity(env);
  const device = generateEd25519(env);
  const cert = certifyDevice(env, identity, deviceId(PROOF_DEVICE), device.publicKey);
  const authChallenge = env.random(32);
  const recipient = generateEd25519(env);
  const sender = generateEd25519(env);
  const mailboxId = env.random(16);
  const mailboxChallenge = env.random(32);
  const sendingChallenge = env.random(32);
  const owner = generateEd25519(env);
  const addressId = env.random(16);
  const addressChallenge = env.random(32);
  const envelope = utf8('an envelope: opaque bytes to the server');
  const account = identity.signing.publicKey;
  const dev = deviceId(PROOF_DEVICE);

  const entry = (
    name: string,
    section: string,
    layout: string,
    signer: string,
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
  ): ProofEntry => {
    if (!crypto.ed25519Verify(publicKey, message, signature)) throw new Error(`${name}: message differs from src/`);
    return {
      name,
      section,
      layout,
      signer,
      publicKey: toHex(publicKey),
      message: toHex(message),
      signature: toHex(signature),
    };
  };
  const proofs = [
    entry(
      'device certificate',
      '§3.4',
      '"Parley device v1" (16) ‖ u32 deviceId ‖ u64 createdAt ‖ deviceKey (32)',
      'identity signing key',
      account,
      concatBytes(utf8('Parley device v1'), u32(PROOF_DEVICE), u64(cert.createdAt), device.publicKey),
      cert.signature,
    ),
    ...([AuthPurpose.register, AuthPurpose.connect] as const).map((purpose) =>
      entry(
        `authentication proof, purpose ${purpose === AuthPurpose.register ? '0x01 register' : '0x02 connect'}`,
        '§3.5',
        '"Parley auth v1" (14) ‖ u8 purpose ‖ challenge (32) ‖ account signing key (32) ‖ u32 deviceId',
        'device key',
        device.publicKey,
        concatBytes(utf8('Parley auth v1'), Uint8Array.of(purpose), authChallenge, account, u32(PROOF_DEVICE)),
        proveDevice(env, device.privateKey, purpose, authChallenge, account, dev),
      ),
    ),
    entry(
      'mailbox delivery',
      '§3.6',
      '"Parley deliver v1" (17) ‖ mailboxId (16) ‖ envelope',
      'sender key',
      sender.publicKey,
      concatBytes(utf8('Parley deliver v1'), mailboxId, envelope),
      signDelivery(env, sender.privateKey, mailboxId, envelope),
    ),
    entry(
      'mailbox access',
      '§3.6',
      '"Parley mailbox v1" (17) ‖ challenge (32) ‖ mailboxId (16)',
      'recipient key',
      recipient.publicKey,
      concatBytes(utf8('Parley mailbox v1'), mailboxChallenge, mailboxId),
      proveMailboxAccess(env, recipient.privateKey, mailboxId, mailboxChallenge),
    ),
    entry(
      'sending proof',
      '§3.6',
      '"Parley sending v1" (17) ‖ challenge (32) ‖ mailboxId (16)',
      'sender key',
      sender.publicKey,
      concatBytes(utf8('Parley sending v1'), sendingChallenge, mailboxId),
      proveSendingRight(env, sender.privateKey, mailboxId, sendingChallenge),
    ),
    entry(
      'contact address ownership',
      '§3.7',
      '"Parley address v1" (17) ‖ challenge (32) ‖ addressId (16)',
      'owner key',
      owner.publicKey,
      concatBytes(utf8('Parley address v1'), addressChallenge, addressId),
      proveAddressOwnership(env, owner.privateKey, addressId, addressChallenge),
    ),
  ];
  const pair = (k: { privateKey: Uint8Array; publicKey: Uint8Array }) => ({
    privateKey: toHex(k.privateKey),
    publicKey: toHex(k.publicKey),
  });
  const accountId = accountIdOf(publicIdentity(identity));
  return {
    description:
      'The proofs of §3.3–§3.7, all from one seeded environment (env = testEnv(seed)) in the order of ' +
      '"steps". For each proof: the signer, its public key, the exact message signed (built from the ' +
      'layout given, independently of the code that signs) and the Ed25519 signature (RFC 8032, ' +
      'deterministic). Also the account id and address text of §3.3 and the encoded device certificate ' +
      `of §3.4 (createdAt is the clock's first value). ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §3.3, §3.4, §3.5, §3.6, §3.7',
    seed: PROOF_SEED,
    clockStart: CLOCK_START,
    steps: [
      'identity = generateIdentity(env)  // random(32) Ed25519 seed, random(32) X25519 key',
      'device = generateEd25519(env)  // random(32)',
      `certificate = certifyDevice(env, identity, ${PROOF_DEVICE}, device.publicKey)  // now()`,
      'authChallenge = random(32)',
      'recipient = generateEd25519(env); sender = generateEd25519(env)  // random(32) each',
      'mailboxId = random(16); mailboxChallenge = random(32); sendingChallenge = random(32)',
      'owner = generateEd25519(env)  // random(32)',
      'addressId = random(16); addressChallenge = random(32)',
      'envelope = UTF-8 "an envelope: opaque bytes to the server" (no draw)',
    ],
    identity: identityVector(identity),
    keys: { device: pair(device), recipient: pair(recipient), sender: pair(sender), owner: pair(owner) },
    inputs: {
      authChallenge: toHex(authChallenge),
      mailboxId: toHex(mailboxId),
      envelope: toHex(envelope),
      mailboxChallenge: toHex(mailboxChallenge),
      sendingChallenge: toHex(sendingChallenge),
      addressId: toHex(addressId),
      addressChallenge: toHex(addressChallenge),
    },
    accountId,
    address: addressToString({ account: accountId, device: dev }),
    deviceCertificate: {
      deviceId: PROOF_DEVICE,
      createdAt: cert.createdAt,
      encoded: toHex(encodeDeviceCertificate(cert)),
    },
    proofs,
  };
}
