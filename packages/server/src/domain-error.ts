/**
 * The errors of code that HTTP and the WebSocket share (delivery, device proofs): they say
 * what went wrong in the server's own terms, and each transport maps them to the wire — HTTP to
 * a status and an error body (http/app.ts), the WebSocket to an error frame (websocket/) — through
 * {@link wireCodeOf}, so both answer a failure with the same code. Messages are fixed sentences:
 * no identifiers, keys or request bytes.
 *
 * @example
 * ```ts
 * try { await deliver(deps, 'http', id, envelope, signature) } catch (e) {
 *   if (DomainError.is(e, 'mailbox-full')) retryLater();
 * }
 * ```
 */
import type { WireErrorCode } from '@parley/protocol';

export type DomainErrorCode =
  /** No mailbox has this id (or the id cannot name one). */
  | 'no-such-mailbox'
  /**
   * A delivery's signature is not the mailbox's sender key's. Answered as `no-such-mailbox` is,
   * word for word, so that a prober cannot tell which mailbox ids exist (as reads cannot).
   */
  | 'bad-signature'
  /** An envelope larger than the wire contract allows. */
  | 'envelope-too-large'
  /** The mailbox holds its bound of unacknowledged messages: retry later. */
  | 'mailbox-full'
  /** A device's proof is missing, malformed or does not verify (or its challenge is spent). */
  | 'no-valid-proof'
  /**
   * What a group reader needs next is no longer kept (retention deleted it, or the epoch it
   * proves is older than any kept): it must be added to the group again.
   */
  | 'rejoin';

/** The wire error code each domain error is answered with, on every transport. */
const WIRE_CODE: { readonly [C in DomainErrorCode]: WireErrorCode } = {
  'no-such-mailbox': 'not-found',
  'bad-signature': 'not-found',
  'envelope-too-large': 'too-large',
  'mailbox-full': 'rate-limited',
  'no-valid-proof': 'unauthorized',
  rejoin: 'gone',
};

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** Type guard, optionally narrowing to one code. */
  static is(value: unknown, code?: DomainErrorCode): value is DomainError {
    return value instanceof DomainError && (code === undefined || value.code === code);
  }
}

/** The wire error code a domain error is answered with. */
export function wireCodeOf(e: DomainError): WireErrorCode {
  return WIRE_CODE[e.code];
}
