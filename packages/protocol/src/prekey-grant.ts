/**
 * Prekey grants (docs/server.md, "Bundle budgets"): a secret that an invitation link already
 * gives its holder lets them fetch the inviter's bundle with one-time prekeys even while anonymous
 * fetches are past their budget. The owner registers the grant's hash with its server; the holder
 * presents the grant with the fetch. Both are derived with HKDF-SHA-256 (RFC 5869), under labels
 * of their own:
 *
 *   grant = HKDF(ikm = secret, salt = "", info = "Parley prekey grant v1", 32)
 *   hash  = HKDF(ikm = grant,  salt = "", info = "Parley prekey grant hash v1", 32)
 *
 * For an invitation the secret is the link's mailbox sender private key: the server holds only
 * that mailbox's sender public key, so it cannot derive the grant, and the hash it stores does not
 * tell which mailbox the grant belongs to.
 */
import { utf8 } from './bytes.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';

export const PREKEY_GRANT_BYTES = 32;
/** The most grant hashes one registration may carry. */
export const MAX_PREKEY_GRANTS_PER_REQUEST = 100;
const GRANT_INFO = utf8('Parley prekey grant v1');
const HASH_INFO = utf8('Parley prekey grant hash v1');
const NO_SALT = new Uint8Array(0);

/** The grant a 32-byte secret of a link gives whoever holds the link. */
export function prekeyGrantOf(env: ProtocolEnv, secret: Uint8Array): Uint8Array {
  if (secret.length !== 32) throw new ProtocolError('decode', 'malformed prekey grant secret');
  return env.crypto.hkdfSha256(secret, NO_SALT, GRANT_INFO, PREKEY_GRANT_BYTES);
}

/** What the owner registers and the server compares: the grant's one-way image. */
export function prekeyGrantHash(env: ProtocolEnv, grant: Uint8Array): Uint8Array {
  if (grant.length !== PREKEY_GRANT_BYTES) throw new ProtocolError('decode', 'malformed prekey grant');
  return env.crypto.hkdfSha256(grant, NO_SALT, HASH_INFO, PREKEY_GRANT_BYTES);
}
