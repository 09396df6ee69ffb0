/**
 * Typed errors of the group engine. Every failure the engine reports is a {@link GroupError}
 * with a stable {@link GroupErrorCode}; callers branch on `code`, never on message text.
 * Messages are fixed strings chosen by this package: they never contain key material,
 * plaintext, identifiers, or text from ts-mls (whose messages may quote received values); the
 * library's error, when there is one, is kept as `cause` for debugging only.
 *
 * @example
 * ```ts
 * try { await engine.process(state, bytes) } catch (e) {
 *   if (GroupError.is(e, 'wrong-epoch')) { ... }
 * }
 * ```
 */
export type GroupErrorCode =
  /** Bytes from a peer or the server could not be parsed (truncated, trailing bytes, unknown type). */
  | 'decode'
  /** Well-formed bytes that break an RFC 9420 rule (bad tree, bad proposal list, bad leaf…). */
  | 'invalid'
  /** A signature, MAC, confirmation tag or AEAD did not verify. */
  | 'verify'
  /** A leaf's credential is not a valid Parley credential, or its binding signature fails. */
  | 'credential'
  /** A message for an epoch this state cannot read (older than retained, or from the future). */
  | 'wrong-epoch'
  /** A message for another group. */
  | 'wrong-group'
  /** A Welcome that holds no secrets for the given key package. */
  | 'not-for-us'
  /** A message whose key was already used (replay) or is beyond the ratchet's reach. */
  | 'key-unavailable'
  /** This member was removed from the group: its state can read and send nothing newer. */
  | 'removed'
  /** A ciphersuite other than the one Parley uses. */
  | 'unsupported'
  /** The caller used the API wrongly (bad argument, state that cannot do this). */
  | 'usage'
  /** A crypto dependency failed. */
  | 'dependency'
  /** A bug in this package or in ts-mls. */
  | 'internal';

export class GroupError extends Error {
  override readonly name = 'GroupError';
  readonly code: GroupErrorCode;

  constructor(code: GroupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** Type guard, optionally narrowing to one code. */
  static is(value: unknown, code?: GroupErrorCode): value is GroupError {
    return value instanceof GroupError && (code === undefined || value.code === code);
  }
}
