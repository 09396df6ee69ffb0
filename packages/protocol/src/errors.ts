/**
 * Typed errors of the protocol core. Every failure the core reports is a {@link ProtocolError}
 * with a stable {@link ProtocolErrorCode}; callers branch on `code`, never on message text.
 * Messages are fixed strings chosen by this package: they never contain key material,
 * plaintext, identifiers or bytes received from a peer.
 *
 * @example
 * ```ts
 * try { decryptMessage(session, bytes) } catch (e) {
 *   if (ProtocolError.is(e, 'duplicate-message')) { ... }
 * }
 * ```
 */
export type ProtocolErrorCode =
  /** Bytes from a peer or the server could not be parsed (truncated, oversized, malformed). */
  | 'decode'
  /** A version byte we do not understand. */
  | 'unsupported-version'
  /** A signature did not verify (bundle, prekey, identity certificate). */
  | 'bad-signature'
  /** An AEAD failed to open: tampered bytes, wrong key or a message for another session. */
  | 'decrypt-failed'
  /** A key presented by a peer or the server differs from the identity the caller pinned. */
  | 'identity-mismatch'
  /** An initial message that belongs to another session than the one it was given to. */
  | 'wrong-session'
  /** A message that was already decrypted once (or whose key was evicted or is too old). */
  | 'duplicate-message'
  /** A message that would need more skipped keys than allowed (MAX_SKIP). */
  | 'too-many-skipped'
  /** A last-resort KEM prekey presented again with the same base key (replay, X3DH §4.2). */
  | 'replayed-initial-message'
  /** A prekey the initial message refers to is unknown or already used. */
  | 'unknown-prekey'
  /** A link reply whose ephemeral key and nonce do not open the link's commitment (§14.2). */
  | 'bad-commitment'
  /** A link frame past the next index the receiver expects: an earlier one is missing (§14.3). */
  | 'out-of-order'
  /** The caller used the API wrongly (bad argument, wrong state). */
  | 'usage'
  /** A crypto backend or other dependency failed. */
  | 'dependency'
  /** A bug in this package. */
  | 'internal';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Type guard, optionally narrowing to one code. */
  static is(value: unknown, code?: ProtocolErrorCode): value is ProtocolError {
    return value instanceof ProtocolError && (code === undefined || value.code === code);
  }
}
