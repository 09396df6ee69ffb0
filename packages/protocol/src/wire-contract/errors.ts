/**
 * The home server's error codes and the HTTP status each one implies (docs/server.md "Errors"):
 * the one table both sides of the wire read. The server answers every failure with
 * {@link WireErrorBody} — over HTTP with the code's status, over the WebSocket in an `error` frame
 * (json-frames.ts) — and the client maps a code it receives back to the same status.
 *
 * Used by: packages/server (http/ maps its domain errors to these codes; websocket/ sends them in
 * error frames); packages/client (net/: interpreting the server's answers).
 *
 * @example
 * ```ts
 * WIRE_ERROR_STATUS['rate-limited']; // 429
 * isWireErrorCode('not-found');      // true
 * wireErrorBody('not-found', 'no such mailbox'); // { error: { code: 'not-found', message: 'no such mailbox' } }
 * ```
 */
export const WIRE_ERROR_STATUS = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  'rate-limited': 429,
  internal: 500,
  unavailable: 503,
} as const;

/** An error code the server sends. */
export type WireErrorCode = keyof typeof WIRE_ERROR_STATUS;

/** The HTTP status of each code. */
export type WireErrorStatus = (typeof WIRE_ERROR_STATUS)[WireErrorCode];

/** Every error answer's body: a stable code and a fixed sentence (never an id, key or request byte). */
export interface WireErrorBody {
  readonly error: { readonly code: WireErrorCode; readonly message: string };
}

/** Whether `value` is one of the codes above (a client must not trust what a server sends). */
export function isWireErrorCode(value: unknown): value is WireErrorCode {
  return typeof value === 'string' && Object.hasOwn(WIRE_ERROR_STATUS, value);
}

export function wireErrorBody(code: WireErrorCode, message: string): WireErrorBody {
  return { error: { code, message } };
}
