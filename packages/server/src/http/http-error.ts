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
  /**
   * @param details Fields answered beside `error` in the body (e.g. a 409's `reason`): the route's
   * own, fixed values or data the caller may see — never request bytes echoed back.
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, string | number>>,
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
