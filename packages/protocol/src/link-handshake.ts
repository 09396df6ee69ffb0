/**
 * Linking handshake (docs/protocol-devices.md §14.2): a commitment-based short authentication
 * string key agreement between an existing device E and a new device N of one account.
 *
 *   E: e_E, r;  commitment = SHA-256("Parley link commit v1" ‖ e_E.pub ‖ r)   (in the link)
 *   N → E request = e_N.pub (32) ‖ ML-KEM-768 ek (1184) ‖ N's device key (32)
 *   E → N reply   = e_E.pub (32) ‖ r (32) ‖ ML-KEM ct (1088)
 *   transcript = SHA-256("Parley link transcript v1" ‖ link ‖ request ‖ reply)
 *   secrets = HKDF-SHA256(DH(e_E, e_N) ‖ ss, transcript, "Parley link v1", 96)
 *           = K_E→N ‖ K_N→E ‖ sasKey;   SAS = (first 5 bytes of sasKey, big-endian) mod 10^6
 */
import { concatBytes, equalBytes, utf8 } from './bytes.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { encapsulateKem, generateKem, generateX25519, type KemKeyPair, type X25519KeyPair } from './keys.ts';

const COMMIT_LABEL = utf8('Parley link commit v1');
const TRANSCRIPT_LABEL = utf8('Parley link transcript v1');
const KDF_INFO = utf8('Parley link v1');
export const LINK_REQUEST_BYTES = 32 + 1184 + 32;
export const LINK_REPLY_BYTES = 32 + 32 + 1088;

export interface LinkCommitSecret {
  readonly ephemeral: X25519KeyPair;
  readonly nonce: Uint8Array;
}
export interface LinkRequestSecret {
  readonly ephemeral: X25519KeyPair;
  readonly kem: KemKeyPair;
  /** The request as sent (the transcript covers it). */
  readonly request: Uint8Array;
}
export interface LinkKeys {
  /** K_E→N: frames from the existing device to the new one. */
  readonly toNew: Uint8Array;
  /** K_N→E. */
  readonly toExisting: Uint8Array;
  /** Six decimal digits, zero-padded. */
  readonly sas: string;
}

const commitmentOf = (env: ProtocolEnv, pub: Uint8Array, nonce: Uint8Array) =>
  env.crypto.sha256(concatBytes(COMMIT_LABEL, pub, nonce));

/** Step 1 (E): the ephemeral key and nonce it commits to; the commitment goes in the link. */
export function linkCommit(env: ProtocolEnv): { secret: LinkCommitSecret; commitment: Uint8Array } {
  const ephemeral = generateX25519(env);
  const nonce = env.random(32);
  return { secret: { ephemeral, nonce }, commitment: commitmentOf(env, ephemeral.publicKey, nonce) };
}

/** Step 2 (N): the request, carrying N's device key. */
export function linkRequest(
  env: ProtocolEnv,
  deviceKey: Uint8Array,
): { secret: LinkRequestSecret; request: Uint8Array } {
  if (deviceKey.length !== 32) throw new ProtocolError('usage', 'device key must be 32 bytes');
  const ephemeral = generateX25519(env);
  const kem = generateKem(env);
  const request = concatBytes(ephemeral.publicKey, kem.publicKey, deviceKey);
  return { secret: { ephemeral, kem, request }, request };
}

/** N's device key, as the request carries it (`decode` if the request is malformed). */
export function linkRequestDeviceKey(request: Uint8Array): Uint8Array {
  if (request.length !== LINK_REQUEST_BYTES) throw new ProtocolError('decode', 'malformed link request');
  return request.slice(32 + 1184);
}

function derive(env: ProtocolEnv, dh: Uint8Array, ss: Uint8Array, link: Uint8Array, req: Uint8Array, rep: Uint8Array) {
  const transcript = env.crypto.sha256(concatBytes(TRANSCRIPT_LABEL, link, req, rep));
  const out = env.crypto.hkdfSha256(concatBytes(dh, ss), transcript, KDF_INFO, 96);
  let v = 0;
  for (const b of out.subarray(64, 69)) v = v * 256 + b; // 40 bits: exact in a double
  v %= 1_000_000;
  return { toNew: out.slice(0, 32), toExisting: out.slice(32, 64), sas: String(v).padStart(6, '0') };
}

/** Step 3 (E): opens the commitment to N and derives the keys. */
export function linkReply(
  env: ProtocolEnv,
  secret: LinkCommitSecret,
  linkPayload: Uint8Array,
  request: Uint8Array,
): { reply: Uint8Array; keys: LinkKeys } {
  if (request.length !== LINK_REQUEST_BYTES) throw new ProtocolError('decode', 'malformed link request');
  const ePub = request.subarray(0, 32);
  const ek = request.subarray(32, 32 + 1184);
  const { ciphertext, sharedSecret } = encapsulateKem(env, ek);
  const reply = concatBytes(secret.ephemeral.publicKey, secret.nonce, ciphertext);
  const dh = env.crypto.x25519(secret.ephemeral.privateKey, ePub);
  return { reply, keys: derive(env, dh, sharedSecret, linkPayload, request, reply) };
}

/** Step 4 (N): checks the commitment (`bad-signature` if it does not open) and derives the keys. */
export function linkFinish(
  env: ProtocolEnv,
  secret: LinkRequestSecret,
  linkPayload: Uint8Array,
  commitment: Uint8Array,
  reply: Uint8Array,
): LinkKeys {
  if (reply.length !== LINK_REPLY_BYTES) throw new ProtocolError('decode', 'malformed link reply');
  const ePub = reply.subarray(0, 32);
  const nonce = reply.subarray(32, 64);
  if (!equalBytes(commitmentOf(env, ePub, nonce), commitment)) {
    throw new ProtocolError('bad-signature', 'the link reply does not open the commitment');
  }
  const ss = env.crypto.mlKemDecapsulate(reply.subarray(64), secret.kem.secretKey);
  const dh = env.crypto.x25519(secret.ephemeral.privateKey, ePub);
  return derive(env, dh, ss, linkPayload, secret.request, reply);
}
