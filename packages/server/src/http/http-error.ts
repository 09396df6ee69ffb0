/**
 * The server's typed API errors: every failure is `{"error":{"code":…,"message":…}}` with the
 * status its code implies (the wire contract: @parley/protocol wire-contract/errors.ts). Messages
 * are fixed strings: no identifiers, keys or request bytes.
 */
import { WIRE_ERROR_STATUS, type WireErrorCode, type WireErrorStatus, wireErrorBody } from '@parley/protocol';

/** The status of each code (the wire contract's table, under the name this package exported). */
export const ERROR_STATUS = WIRE_ERROR_STATUS;

export type ErrorCode = WireErrorCode;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): WireErrorStatus {
    return ERROR_STATUS[this.code];
  }

  static is(value: unknown): value is HttpError {
    return value instanceof HttpError;
  }
}

export const errorBody = wireErrorBody;
