/**
 * Account identity (docs/protocol-identities.md §3.1): an Ed25519 signing key (the account itself) and an
 * X25519 agreement key certified by it. We use two keys and a certificate rather than XEdDSA
 * because node:crypto has no XEdDSA and the certificate costs one signature, once.
 *
 *   certificate = Ed25519-Sign(signing, "Parley identity v1" ‖ agreementPublicKey)
 *
 * A public identity is encoded as signingKey (32) ‖ agreementKey (32) ‖ certificate (64).
 */
import { type AccountId, accountIdFromKey } from './address.ts';
import { concatBytes, equalBytes, utf8 } from './bytes.ts';
import type { Reader, Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { type Ed25519KeyPair, generateEd25519, generateX25519, type X25519KeyPair } from './keys.ts';

const CERT_LABEL = utf8('Parley identity v1');
export const PUBLIC_IDENTITY_BYTES = 128;

export interface PublicIdentity {
  readonly signingKey: Uint8Array;
  readonly agreementKey: Uint8Array;
  readonly certificate: Uint8Array;
}

export interface IdentityKeyPair {
  readonly signing: Ed25519KeyPair;
  readonly agreement: X25519KeyPair;
  readonly certificate: Uint8Array;
}

/**
 * @example
 * ```ts
 * const me = generateIdentity(defaultEnv);
 * const account = accountIdOf(publicIdentity(me)); // base64url of the signing key
 * ```
 */
export function generateIdentity(env: ProtocolEnv): IdentityKeyPair {
  const signing = generateEd25519(env);
  const agreement = generateX25519(env);
  const certificate = env.crypto.ed25519Sign(signing.privateKey, concatBytes(CERT_LABEL, agreement.publicKey));
  return { signing, agreement, certificate };
}

export function publicIdentity(id: IdentityKeyPair): PublicIdentity {
  return { signingKey: id.signing.publicKey, agreementKey: id.agreement.publicKey, certificate: id.certificate };
}

export function accountIdOf(id: PublicIdentity): AccountId {
  return accountIdFromKey(id.signingKey);
}

/** Throws `bad-signature` unless the agreement key is certified by the signing key. */
export function verifyIdentity(env: ProtocolEnv, id: PublicIdentity): void {
  if (!env.crypto.ed25519Verify(id.signingKey, concatBytes(CERT_LABEL, id.agreementKey), id.certificate)) {
    throw new ProtocolError('bad-signature', 'identity certificate does not verify');
  }
}

/**
 * Byte equality of two public identities, certificate included, so that a pinned (already
 * verified) identity that equals a received one vouches for every byte of it. Ed25519 signing is
 * deterministic (RFC 8032 §5.1.6), so the owner's certificate never changes by itself.
 */
/**
 * With a pinned identity, `presented` must equal it byte for byte (the pinned one was verified
 * when it was pinned); without one, its certificate is verified now. Returns the identity object
 * to use from then on (the pinned one, whose keys' parsed forms a backend may have cached).
 */
export function checkIdentity(env: ProtocolEnv, presented: PublicIdentity, pinned?: PublicIdentity): PublicIdentity {
  if (pinned === undefined) {
    verifyIdentity(env, presented);
    return presented;
  }
  if (!sameIdentity(pinned, presented)) {
    throw new ProtocolError('identity-mismatch', 'peer identity differs from the pinned identity');
  }
  return pinned;
}

export function sameIdentity(a: PublicIdentity, b: PublicIdentity): boolean {
  return (
    equalBytes(a.signingKey, b.signingKey) &&
    equalBytes(a.agreementKey, b.agreementKey) &&
    equalBytes(a.certificate, b.certificate)
  );
}

export function writeIdentity(w: Writer, id: PublicIdentity): void {
  w.bytes(id.signingKey).bytes(id.agreementKey).bytes(id.certificate);
}

export function readIdentity(r: Reader): PublicIdentity {
  return { signingKey: r.bytes(32), agreementKey: r.x25519Public(), certificate: r.bytes(64) };
}

export function encodeIdentity(id: PublicIdentity): Uint8Array {
  return concatBytes(id.signingKey, id.agreementKey, id.certificate);
}
