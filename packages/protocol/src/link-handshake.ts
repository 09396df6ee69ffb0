/**
 * The device-linking handshake (docs/protocol-devices.md §14.2): a hybrid X25519 + ML-KEM-768 key
 * agreement between an existing device E of an account and a new device N, authenticated by a
 * 6-digit short authentication string (SAS) that the user compares on both screens. E commits to
 * its contribution before it sees N's (the commitment travels in the link, out of band), which is
 * the hash-commitment construction of Vaudenay's SAS-based message cross-authentication (SAS-MCA,
 * CRYPTO 2005; SAS-AKA, Pasini–Vaudenay, PKC 2006) and of ZRTP (RFC 6189 §4.4.1.1 hash commitment,
 * §7 SAS):
 *
 *   E:  e_E ← X25519, r ← 32 random bytes
 *       commitment = SHA-256("Parley link commit v1" ‖ e_E.pub ‖ r)            → in the link
 *   N → E  request = 01 ‖ 09 ‖ e_N.pub (32) ‖ ek_N (1184, ML-KEM-768) ‖ N's device key (32)
 *   E → N  reply   = 01 ‖ 0a ‖ e_E.pub (32) ‖ r (32) ‖ ct (1088) where (ct, ss) = Encaps(ek_N)
 *   N:  SHA-256("Parley link commit v1" ‖ e_E.pub ‖ r) = commitment, else `bad-commitment`
 *   both:
 *     sas        = SHA-256("Parley link sas v1" ‖ u32 len(link) ‖ link ‖ request ‖ e_E.pub ‖ r)
 *     SAS        = (first 5 bytes of sas, big-endian) mod 10^6, as 6 digits with leading zeros
 *     transcript = SHA-256("Parley link transcript v1" ‖ u32 len(link) ‖ link ‖ request ‖ reply)
 *     K_E→N ‖ K_N→E = HKDF-SHA256(ikm = X25519(e_E, e_N) ‖ ss, salt = transcript,
 *                                 info = "Parley link v1", 64)
 *
 * The SAS covers everything either side sends except ct, and nothing in it is chosen by E after
 * it has seen N's request: E's part (e_E, r) is fixed by the commitment, N's part (the request)
 * reaches E before E opens it. ct, which E can only compute after the request, is kept out of the
 * SAS on purpose: a man in the middle posing as E could otherwise try ML-KEM encapsulations until
 * N's SAS equals the one it already obtained from E (10^6 tries take seconds). ct instead feeds
 * the keys, which both sides confirm with their first frame (§14.3).
 */
import { concatBytes, equalBytes, utf8 } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import { MLKEM768_CIPHERTEXT_BYTES, MLKEM768_PUBLIC_KEY_BYTES } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { encapsulateKem, generateKem, generateX25519, type KemKeyPair, type X25519KeyPair } from './keys.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

const COMMIT_LABEL = utf8('Parley link commit v1');
const SAS_LABEL = utf8('Parley link sas v1');
const TRANSCRIPT_LABEL = utf8('Parley link transcript v1');
const KEYS_INFO = utf8('Parley link v1');

export const LINK_COMMITMENT_BYTES = 32;
export const LINK_NONCE_BYTES = 32;
export const LINK_REQUEST_BYTES = 2 + 32 + MLKEM768_PUBLIC_KEY_BYTES + 32;
export const LINK_REPLY_BYTES = 2 + 32 + LINK_NONCE_BYTES + MLKEM768_CIPHERTEXT_BYTES;
/** Digits of the short authentication string. */
export const LINK_SAS_DIGITS = 6;
/** The most bytes of link payload the handshake hashes (a link is shown as a QR code or a URL). */
export const MAX_LINK_PAYLOAD_BYTES = 4096;

/** E's secret half of the commitment. Use it for one request only, then wipe it. */
export interface LinkCommitSecret {
  readonly ephemeral: X25519KeyPair;
  readonly nonce: Uint8Array;
}

/** N's secrets between its request and E's reply. */
export interface LinkRequestSecret {
  readonly ephemeral: X25519KeyPair;
  readonly kem: KemKeyPair;
  /** The request as sent (hashed into the SAS and the transcript). */
  readonly request: Uint8Array;
}

export interface LinkRequest {
  readonly ephemeralKey: Uint8Array;
  readonly kemPublicKey: Uint8Array;
  /** The new device's Ed25519 device key, which E certifies. */
  readonly deviceKey: Uint8Array;
}

/** What both sides derive: the two frame keys and the 6 digits the user compares. */
export interface LinkKeys {
  /** K_E→N: seals frames from the existing device to the new one. */
  readonly toNew: Uint8Array;
  /** K_N→E: seals frames from the new device to the existing one. */
  readonly toExisting: Uint8Array;
  /** 6 decimal digits, leading zeros kept. */
  readonly sas: string;
}

function commit(env: ProtocolEnv, ephemeralKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return env.crypto.sha256(concatBytes(COMMIT_LABEL, ephemeralKey, nonce));
}

function checkPayload(linkPayload: Uint8Array): void {
  if (linkPayload.length > MAX_LINK_PAYLOAD_BYTES) throw new ProtocolError('usage', 'link payload too long');
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  return new Writer(4 + bytes.length).var32(bytes).finish();
}

/** SAS = first 5 bytes of the SAS hash, big-endian, mod 10^6, zero-padded to 6 digits. */
function sasDigits(hash: Uint8Array): string {
  let n = 0;
  for (let i = 0; i < 5; i++) n = n * 256 + (hash[i] as number);
  return (n % 1_000_000).toString().padStart(LINK_SAS_DIGITS, '0');
}

function derive(
  env: ProtocolEnv,
  linkPayload: Uint8Array,
  request: Uint8Array,
  reply: Uint8Array,
  ephemeralKeyE: Uint8Array,
  nonce: Uint8Array,
  dh: Uint8Array,
  kemSecret: Uint8Array,
): LinkKeys {
  const link = lengthPrefixed(linkPayload);
  const sas = sasDigits(env.crypto.sha256(concatBytes(SAS_LABEL, link, request, ephemeralKeyE, nonce)));
  const transcript = env.crypto.sha256(concatBytes(TRANSCRIPT_LABEL, link, request, reply));
  const okm = env.crypto.hkdfSha256(concatBytes(dh, kemSecret), transcript, KEYS_INFO, 64);
  return { toNew: okm.slice(0, 32), toExisting: okm.slice(32, 64), sas };
}

/**
 * Step 1 (E): a fresh ephemeral key and nonce, and the commitment to put in the link.
 *
 * @example
 * ```ts
 * const { secret, commitment } = linkCommit(env); // commitment goes into the link payload
 * ```
 */
export function linkCommit(env: ProtocolEnv): { secret: LinkCommitSecret; commitment: Uint8Array } {
  const ephemeral = generateX25519(env);
  const nonce = env.random(LINK_NONCE_BYTES);
  return { secret: { ephemeral, nonce }, commitment: commit(env, ephemeral.publicKey, nonce) };
}

/** Step 2 (N): fresh X25519 and ML-KEM-768 keys, sent with N's device key. */
export function linkRequest(
  env: ProtocolEnv,
  deviceKey: Uint8Array,
): { secret: LinkRequestSecret; request: Uint8Array } {
  if (deviceKey.length !== 32) throw new ProtocolError('usage', 'device key must be 32 bytes');
  const ephemeral = generateX25519(env);
  const kem = generateKem(env);
  const request = new Writer(LINK_REQUEST_BYTES)
    .u8(WIRE_VERSION)
    .u8(WireType.linkRequest)
    .bytes(ephemeral.publicKey)
    .bytes(kem.publicKey)
    .bytes(deviceKey)
    .finish();
  return { secret: { ephemeral, kem, request }, request };
}

/** Parses a link request (`decode` unless it is exactly one; the keys are checked when used). */
export function decodeLinkRequest(bytes: Uint8Array): LinkRequest {
  const r = new Reader(bytes, 'link request');
  readFrame(r, WireType.linkRequest, 'link request');
  const out = {
    ephemeralKey: r.x25519Public(),
    kemPublicKey: r.bytes(MLKEM768_PUBLIC_KEY_BYTES),
    deviceKey: r.bytes(32),
  };
  r.end();
  return out;
}

/**
 * Step 3 (E): answers the (first and only) request to this commitment, opening it. Returns the
 * reply to send, the keys, and the request's content (N's device key, to certify once the user has
 * compared the SAS). `decode` for a malformed request or unusable keys in it.
 */
export function linkReply(
  env: ProtocolEnv,
  secret: LinkCommitSecret,
  linkPayload: Uint8Array,
  request: Uint8Array,
): { reply: Uint8Array; keys: LinkKeys; request: LinkRequest } {
  checkPayload(linkPayload);
  const req = decodeLinkRequest(request);
  const dh = env.crypto.x25519(secret.ephemeral.privateKey, req.ephemeralKey);
  const { ciphertext, sharedSecret } = encapsulateKem(env, req.kemPublicKey);
  const reply = new Writer(LINK_REPLY_BYTES)
    .u8(WIRE_VERSION)
    .u8(WireType.linkReply)
    .bytes(secret.ephemeral.publicKey)
    .bytes(secret.nonce)
    .bytes(ciphertext)
    .finish();
  const keys = derive(env, linkPayload, request, reply, secret.ephemeral.publicKey, secret.nonce, dh, sharedSecret);
  return { reply, keys, request: req };
}

/**
 * Step 4 (N): checks that the reply opens the link's commitment (`bad-commitment` otherwise: the
 * link or the reply was tampered with) and derives the keys. `decode` for a malformed reply.
 */
export function linkFinish(
  env: ProtocolEnv,
  secret: LinkRequestSecret,
  linkPayload: Uint8Array,
  commitment: Uint8Array,
  reply: Uint8Array,
): LinkKeys {
  checkPayload(linkPayload);
  if (commitment.length !== LINK_COMMITMENT_BYTES) throw new ProtocolError('usage', 'commitment must be 32 bytes');
  const r = new Reader(reply, 'link reply');
  readFrame(r, WireType.linkReply, 'link reply');
  const ephemeralKey = r.x25519Public();
  const nonce = r.bytes(LINK_NONCE_BYTES);
  const ciphertext = r.bytes(MLKEM768_CIPHERTEXT_BYTES);
  r.end();
  if (!equalBytes(commit(env, ephemeralKey, nonce), commitment)) {
    throw new ProtocolError('bad-commitment', 'link reply does not open the commitment');
  }
  const dh = env.crypto.x25519(secret.ephemeral.privateKey, ephemeralKey);
  const kemSecret = env.crypto.mlKemDecapsulate(ciphertext, secret.kem.secretKey);
  return derive(env, linkPayload, secret.request, reply, ephemeralKey, nonce, dh, kemSecret);
}
