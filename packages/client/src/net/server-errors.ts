/**
 * How answers from a home server become `ClientError`s, the same for HTTP and WebSocket. Messages
 * are fixed sentences: they may name the server's origin (scheme, host and port, which the user
 * typed) and an HTTP status, never a path, an id, a key or text the server sent.
 */
import { isWireErrorCode, WIRE_ERROR_STATUS, type WireErrorCode } from '@parley/protocol';
import { ClientError, type ServerRefusal } from '../errors.ts';

/** A server error code we pass on: one of the wire contract's (anything else is dropped). */
export function safeServerCode(code: unknown): WireErrorCode | undefined {
  return isWireErrorCode(code) ? code : undefined;
}

export function unreachable(origin: string, cause?: unknown): ClientError {
  return new ClientError(
    'server-unreachable',
    `Cannot reach the server at ${origin}. Check the address and that it is running.`,
    cause === undefined ? {} : { cause },
  );
}

export function malformedAnswer(status?: number): ClientError {
  return new ClientError(
    'server-error',
    'The server sent an answer this client does not understand. Check that it runs a compatible Parley version.',
    status === undefined ? { refusal: 'later' } : { status, refusal: 'later' },
  );
}

/**
 * What a status means (errors.ts {@link ServerRefusal}): 404 gone, 401 not the owner, 409 a
 * conflict, 408 and every 5xx (or no status) worth retrying, any other 4xx refused for good.
 */
export function refusalOf(status: number | undefined): ServerRefusal {
  if (status === undefined || status === 408 || status >= 500) return 'later';
  if (status === WIRE_ERROR_STATUS['not-found']) return 'gone';
  if (status === WIRE_ERROR_STATUS.unauthorized) return 'not-owner';
  if (status === WIRE_ERROR_STATUS.conflict) return 'conflict';
  return status >= 400 ? 'refused' : 'later';
}

export function rateLimited(retryAfterMs?: number): ClientError {
  return new ClientError(
    'rate-limited',
    'The server is limiting how often this can be done. Try again later.',
    retryAfterMs === undefined ? {} : { retryAfterMs },
  );
}

export function registrationRefused(): ClientError {
  return new ClientError(
    'registration-refused',
    'The server refused the registration: it is private and needs a valid registration key.',
    { status: WIRE_ERROR_STATUS.forbidden, serverCode: 'forbidden', refusal: 'refused' },
  );
}

/** Any other error answer: `server-error` with the status and the server's code, if it sent one. */
export function serverError(status: number | undefined, serverCode: string | undefined): ClientError {
  const what = [status, serverCode === undefined ? undefined : `(${serverCode})`].filter((x) => x !== undefined);
  return new ClientError(
    'server-error',
    `The server answered with an error${what.length ? `: ${what.join(' ')}` : ''}.`,
    {
      ...(status === undefined ? {} : { status }),
      ...(serverCode === undefined ? {} : { serverCode }),
      refusal: refusalOf(status),
    },
  );
}

/**
 * Why the server refused a device call with 409 (docs/server.md "Devices"), as the `serverCode`
 * of the `server-error` it becomes: the answer's `reason`, one of these or dropped.
 */
export type DeviceConflict = 'device-exists' | 'device-limit' | 'last-device' | 'unknown-device';

const DEVICE_CONFLICT_MESSAGES: { readonly [R in DeviceConflict]: string } = {
  'device-exists': 'The server already has a device with that id on this account.',
  'device-limit': 'This account has the most devices the server allows. Remove one first.',
  'last-device': 'This is the account’s only device: it cannot be removed (delete the account instead).',
  'unknown-device': 'The device list names a device the server does not have on this account.',
};

/** A 409 answer to a device call: `server-error` whose `serverCode` says why, when the server said. */
export function deviceConflict(reason: unknown): ClientError {
  const known = typeof reason === 'string' && Object.hasOwn(DEVICE_CONFLICT_MESSAGES, reason);
  const status = WIRE_ERROR_STATUS.conflict;
  if (!known) return serverError(status, 'conflict');
  const code = reason as DeviceConflict;
  return new ClientError('server-error', DEVICE_CONFLICT_MESSAGES[code], {
    status,
    serverCode: code,
    refusal: 'conflict',
  });
}

/**
 * An error a server reported in a WebSocket frame, mapped as its HTTP status would be (the wire
 * contract's table, @parley/protocol errors.ts); a code outside the contract has no status.
 */
export function socketError(code: unknown): ClientError {
  const serverCode = safeServerCode(code);
  if (serverCode === 'rate-limited') return rateLimited();
  return serverError(serverCode === undefined ? undefined : WIRE_ERROR_STATUS[serverCode], serverCode);
}

/**
 * Milliseconds from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Runs a local signing step. Its only failures are malformed arguments (a key or an id of the
 * wrong length), which are the caller's: `usage`, with a message that names no bytes.
 */
export function signing<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new ClientError('usage', 'A key or id passed to the network layer is malformed.', { cause: e });
  }
}
