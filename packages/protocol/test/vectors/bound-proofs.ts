/**
 * Known-answer vectors for the proofs of docs/protocol-identities.md §3.3–§3.7 as they are bound
 * to one operation (§3.5.1): bound-proofs.json. It replaces proofs.json, whose unbound proofs
 * ("Parley auth v1", "Parley mailbox v1", …) servers now refuse. Every key and input is drawn
 * from one seeded environment in the order of `steps`; each operation is recorded as its encoded
 * bytes, each proof as the exact bytes signed (built here from the spec's layouts, independently
 * of src/) and the Ed25519 signature, which is deterministic. Written by generate.ts with the
 * others; checked by vectors-bound-proofs.test.ts on both backends.
 */
import {
  AuthPurpose,
  accountIdOf,
  addressToString,
  base64url,
  type CryptoBackend,
  certifyDevice,
  concatBytes,
  deviceId,
  encodeDeviceCertificate,
  generateEd25519,
  generateIdentity,
  httpOperation,
  proveAddressOwnership,
  proveDevice,
  proveMailboxAccess,
  proveSendingRight,
  publicIdentity,
  REGISTRATION_OPERATION,
  signDelivery,
  socketOperation,
  toHex,
  utf8,
} from '../../src/index.ts';
import { CLOCK_START, type Hex, type IdentityVector, identityVector, RNG_DESCRIPTION, recorder } from './common.ts';

export const BOUND_PROOF_SEED = 'parley/vectors/bound-proofs';
export const BOUND_PROOF_DEVICE = 3;

/** One operation a proof is bound to: how it is built, and its encoding (§3.5.1). */
export interface OperationEntry {
  readonly name: string;
  /** `registration`, `http` (method, target, body as UTF-8 text) or `socket` (frame type). */
  readonly kind: 'registration' | 'http' | 'socket';
  readonly method?: string;
  readonly target?: string;
  readonly body?: string;
  readonly frameType?: string;
  readonly encoded: Hex;
}

/** One signature: who signs, over which operation, the exact message and the signature. */
export interface BoundProofEntry {
  readonly name: string;
  readonly section: string;
  /** How the message is laid out, in the spec's notation. */
  readonly layout: string;
  /** The Ed25519 public key that verifies it (the signer's private key is in `keys`). */
  readonly signer: string;
  readonly publicKey: Hex;
  /** The name of the entry of `operations` it is bound to; none for the unbound signatures. */
  readonly operation?: string;
  readonly message: Hex;
  readonly signature: Hex;
}

export interface BoundProofsVector {
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
    readonly connectChallenge: Hex;
    readonly mailboxId: Hex;
    /** An envelope is opaque bytes to the server; this one is UTF-8 text. */
    readonly envelope: Hex;
    readonly mailboxChallenge: Hex;
    readonly subscribeChallenge: Hex;
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
  readonly operations: readonly OperationEntry[];
  readonly proofs: readonly BoundProofEntry[];
}

const u16 = (n: number) => Uint8Array.of(n >>> 8, n & 0xff);
const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
const u64 = (n: number) => concatBytes(u32(Math.floor(n / 2 ** 32)), u32(n >>> 0));

/** §3.5.1's layouts, written out here rather than taken from src/operation.ts. */
function httpBytes(crypto: CryptoBackend, method: string, target: string, body: string): Uint8Array {
  return concatBytes(
    Uint8Array.of(0x01, method.length),
    utf8(method),
    u16(target.length),
    utf8(target),
    crypto.sha256(utf8(body)),
  );
}

export function buildBoundProofsVector(crypto: CryptoBackend): BoundProofsVector {
  const rec = recorder(BOUND_PROOF_SEED, crypto);
  const env = rec.env;
  const identity = generateIdentity(env);
  const device = generateEd25519(env);
  const cert = certifyDevice(env, identity, deviceId(BOUND_PROOF_DEVICE), device.publicKey);
  const authChallenge = env.random(32);
  const connectChallenge = env.random(32);
  const recipient = generateEd25519(env);
  const sender = generateEd25519(env);
  const mailboxId = env.random(16);
  const mailboxChallenge = env.random(32);
  const subscribeChallenge = env.random(32);
  const sendingChallenge = env.random(32);
  const owner = generateEd25519(env);
  const addressId = env.random(16);
  const addressChallenge = env.random(32);
  const envelope = utf8('an envelope: opaque bytes to the server');
  const account = identity.signing.publicKey;
  const dev = deviceId(BOUND_PROOF_DEVICE);

  const mailboxPath = `/v1/mailboxes/${base64url(mailboxId)}`;
  const addressPath = `/v1/addresses/${base64url(addressId)}`;
  const http = (name: string, method: string, target: string, body: string) => {
    const encoded = httpOperation(env, method, target, utf8(body));
    if (toHex(encoded) !== toHex(httpBytes(crypto, method, target, body)))
      throw new Error(`${name}: differs from src/`);
    return { entry: { name, kind: 'http' as const, method, target, body, encoded: toHex(encoded) }, encoded };
  };
  const socket = (name: string, frameType: string) => {
    const encoded = socketOperation(frameType);
    if (toHex(encoded) !== toHex(concatBytes(Uint8Array.of(0x02, frameType.length), utf8(frameType)))) {
      throw new Error(`${name}: differs from src/`);
    }
    return { entry: { name, kind: 'socket' as const, frameType, encoded: toHex(encoded) }, encoded };
  };
  const registration = {
    entry: { name: 'registration', kind: 'registration' as const, encoded: toHex(REGISTRATION_OPERATION) },
    encoded: REGISTRATION_OPERATION,
  };
  const counts = http('read prekey counts', 'GET', '/v1/devices/self/prekey-counts', '');
  const ack = http('acknowledge messages 1 and 2', 'POST', `${mailboxPath}/ack`, '{"seqs":[1,2]}');
  const subscribe = socket('subscribe frame', 'subscribe');
  const authorize = socket('authorize frame', 'authorize');
  const list = http('list contact requests', 'GET', `${addressPath}/requests?after=0&limit=10`, '');

  const entry = (
    name: string,
    section: string,
    layout: string,
    signer: string,
    publicKey: Uint8Array,
    operation: { entry: OperationEntry } | null,
    message: Uint8Array,
    signature: Uint8Array,
  ): BoundProofEntry => {
    if (!crypto.ed25519Verify(publicKey, message, signature)) throw new Error(`${name}: message differs from src/`);
    return {
      name,
      section,
      layout,
      signer,
      publicKey: toHex(publicKey),
      ...(operation === null ? {} : { operation: operation.entry.name }),
      message: toHex(message),
      signature: toHex(signature),
    };
  };
  const authLayout =
    '"Parley auth v2" (14) ‖ u8 purpose ‖ challenge (32) ‖ account signing key (32) ‖ u32 deviceId ‖ operation';
  const proofs = [
    entry(
      'device certificate',
      '§3.4',
      '"Parley device v1" (16) ‖ u32 deviceId ‖ u64 createdAt ‖ deviceKey (32)',
      'identity signing key',
      account,
      null,
      concatBytes(utf8('Parley device v1'), u32(BOUND_PROOF_DEVICE), u64(cert.createdAt), device.publicKey),
      cert.signature,
    ),
    entry(
      'authentication proof, purpose 0x01 register',
      '§3.5',
      authLayout,
      'device key',
      device.publicKey,
      registration,
      concatBytes(
        utf8('Parley auth v2'),
        Uint8Array.of(AuthPurpose.register),
        authChallenge,
        account,
        u32(BOUND_PROOF_DEVICE),
        registration.encoded,
      ),
      proveDevice(env, device.privateKey, AuthPurpose.register, authChallenge, account, dev, registration.encoded),
    ),
    entry(
      'authentication proof, purpose 0x02 connect',
      '§3.5',
      authLayout,
      'device key',
      device.publicKey,
      counts,
      concatBytes(
        utf8('Parley auth v2'),
        Uint8Array.of(AuthPurpose.connect),
        connectChallenge,
        account,
        u32(BOUND_PROOF_DEVICE),
        counts.encoded,
      ),
      proveDevice(env, device.privateKey, AuthPurpose.connect, connectChallenge, account, dev, counts.encoded),
    ),
    entry(
      'mailbox delivery',
      '§3.6',
      '"Parley deliver v1" (17) ‖ mailboxId (16) ‖ envelope',
      'sender key',
      sender.publicKey,
      null,
      concatBytes(utf8('Parley deliver v1'), mailboxId, envelope),
      signDelivery(env, sender.privateKey, mailboxId, envelope),
    ),
    entry(
      'mailbox access over HTTP',
      '§3.6',
      '"Parley mailbox v2" (17) ‖ challenge (32) ‖ mailboxId (16) ‖ operation',
      'recipient key',
      recipient.publicKey,
      ack,
      concatBytes(utf8('Parley mailbox v2'), mailboxChallenge, mailboxId, ack.encoded),
      proveMailboxAccess(env, recipient.privateKey, mailboxId, mailboxChallenge, ack.encoded),
    ),
    entry(
      'mailbox access in a subscribe frame',
      '§3.6',
      '"Parley mailbox v2" (17) ‖ challenge (32) ‖ mailboxId (16) ‖ operation',
      'recipient key',
      recipient.publicKey,
      subscribe,
      concatBytes(utf8('Parley mailbox v2'), subscribeChallenge, mailboxId, subscribe.encoded),
      proveMailboxAccess(env, recipient.privateKey, mailboxId, subscribeChallenge, subscribe.encoded),
    ),
    entry(
      'sending proof',
      '§3.6',
      '"Parley sending v2" (17) ‖ challenge (32) ‖ mailboxId (16) ‖ operation',
      'sender key',
      sender.publicKey,
      authorize,
      concatBytes(utf8('Parley sending v2'), sendingChallenge, mailboxId, authorize.encoded),
      proveSendingRight(env, sender.privateKey, mailboxId, sendingChallenge, authorize.encoded),
    ),
    entry(
      'contact address ownership',
      '§3.7',
      '"Parley address v2" (17) ‖ challenge (32) ‖ addressId (16) ‖ operation',
      'owner key',
      owner.publicKey,
      list,
      concatBytes(utf8('Parley address v2'), addressChallenge, addressId, list.encoded),
      proveAddressOwnership(env, owner.privateKey, addressId, addressChallenge, list.encoded),
    ),
  ];
  const pair = (k: { privateKey: Uint8Array; publicKey: Uint8Array }) => ({
    privateKey: toHex(k.privateKey),
    publicKey: toHex(k.publicKey),
  });
  const accountId = accountIdOf(publicIdentity(identity));
  return {
    description:
      'The proofs of §3.3–§3.7, each bound to the operation it authorises (§3.5.1), all from one seeded ' +
      'environment (env = testEnv(seed)) in the order of "steps". Replaces proofs.json, whose unbound proofs ' +
      'are refused. "operations" gives each operation as built (HTTP: method, canonical target and the body ' +
      'as UTF-8 text, whose SHA-256 is in the encoding; WebSocket: the frame type) and its encoding. For each ' +
      'proof: the signer, its public key, its operation, the exact message signed (built from the layout ' +
      'given, independently of the code that signs) and the Ed25519 signature (RFC 8032, deterministic). ' +
      'Also the account id and address text of §3.3 and the encoded device certificate of §3.4 (createdAt ' +
      `is the clock's first value). ${RNG_DESCRIPTION}`,
    sections: 'docs/protocol.md §3.3, §3.4, §3.5, §3.5.1, §3.6, §3.7',
    seed: BOUND_PROOF_SEED,
    clockStart: CLOCK_START,
    steps: [
      'identity = generateIdentity(env)  // random(32) Ed25519 seed, random(32) X25519 key',
      'device = generateEd25519(env)  // random(32)',
      `certificate = certifyDevice(env, identity, ${BOUND_PROOF_DEVICE}, device.publicKey)  // now()`,
      'authChallenge = random(32); connectChallenge = random(32)',
      'recipient = generateEd25519(env); sender = generateEd25519(env)  // random(32) each',
      'mailboxId = random(16); mailboxChallenge = random(32); subscribeChallenge = random(32); sendingChallenge = random(32)',
      'owner = generateEd25519(env)  // random(32)',
      'addressId = random(16); addressChallenge = random(32)',
      'envelope = UTF-8 "an envelope: opaque bytes to the server" (no draw)',
      'targets name the mailbox and the address by the base64url of their ids (no draw)',
    ],
    identity: identityVector(identity),
    keys: { device: pair(device), recipient: pair(recipient), sender: pair(sender), owner: pair(owner) },
    inputs: {
      authChallenge: toHex(authChallenge),
      connectChallenge: toHex(connectChallenge),
      mailboxId: toHex(mailboxId),
      envelope: toHex(envelope),
      mailboxChallenge: toHex(mailboxChallenge),
      subscribeChallenge: toHex(subscribeChallenge),
      sendingChallenge: toHex(sendingChallenge),
      addressId: toHex(addressId),
      addressChallenge: toHex(addressChallenge),
    },
    accountId,
    address: addressToString({ account: accountId, device: dev }),
    deviceCertificate: {
      deviceId: BOUND_PROOF_DEVICE,
      createdAt: cert.createdAt,
      encoded: toHex(encodeDeviceCertificate(cert)),
    },
    operations: [registration.entry, counts.entry, ack.entry, subscribe.entry, authorize.entry, list.entry],
    proofs,
  };
}
