/**
 * The operation a proof authorises (docs/protocol-identities.md §3.5.1). Every proof over a server
 * challenge — a device's (§3.5), a mailbox owner's or a sender's (§3.6), an address owner's
 * (§3.7) — signs, after its own fields, the one operation it was made for, so that whoever sees a
 * request before the server does cannot withhold it and spend its proof on another:
 *
 *   registration = 0x00                                  (the proof travels in the body of the
 *                                                         one request it authorises)
 *   http         = 0x01 ‖ u8 len ‖ method ‖ u16 len ‖ target ‖ SHA-256(body) (32)
 *   socket frame = 0x02 ‖ u8 len ‖ frame type
 *
 * `method` is the HTTP method in upper case; `target` is the request's path from the API root
 * (`/v1/…`) and, when it has one, `?` and its query in canonical form ({@link canonicalTarget});
 * the body digest is over the exact bytes of the body (an empty body is hashed too). A WebSocket
 * frame's object (the mailbox) is signed by the proof itself; the frame type says what is done
 * with it. Every field is length-prefixed, so no two operations encode alike.
 *
 * @example
 * ```ts
 * const op = httpOperation(env, 'POST', '/v1/mailboxes/AAAAAAAAAAAAAAAAAAAAAA/ack', utf8('{"seqs":[1]}'));
 * const proof = proveMailboxAccess(env, recipient.privateKey, mailboxId, challenge, op);
 * ```
 */
import { Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';

/** The encoded operation a proof signs (§3.5.1), as built by the functions of this file. */
export type Operation = Uint8Array;

export const OperationKind = { registration: 0x00, http: 0x01, socketFrame: 0x02 } as const;

/** The longest target a proof can bind (longer requests are refused, never truncated). */
export const MAX_OPERATION_TARGET = 2048;

const METHOD = /^[A-Z]{1,16}$/;
/** Printable ASCII without space: what a normalised path and a form-encoded query consist of. */
const TARGET = /^\/[\x21-\x7e]*$/;
const FRAME_TYPE = /^[a-z][a-z-]{0,31}$/;

/** The operation of a registration proof (purpose `register`): bound by what it signs already. */
export const REGISTRATION_OPERATION = Uint8Array.of(OperationKind.registration);

/**
 * An HTTP request as a proof binds it. `target` must already be canonical ({@link canonicalTarget});
 * `body` is the exact bytes sent (empty for none). `usage` for a method or target that cannot be
 * bound (a server treats that as a proof that does not verify).
 */
export function httpOperation(env: ProtocolEnv, method: string, target: string, body: Uint8Array): Operation {
  if (!METHOD.test(method)) throw new ProtocolError('usage', 'the method cannot be bound by a proof');
  if (target.length > MAX_OPERATION_TARGET || !TARGET.test(target)) {
    throw new ProtocolError('usage', 'the request target cannot be bound by a proof');
  }
  const digest = env.crypto.sha256(body);
  return new Writer(4 + method.length + target.length + 32)
    .u8(OperationKind.http)
    .u8(method.length)
    .bytes(asciiBytes(method))
    .u16(target.length)
    .bytes(asciiBytes(target))
    .bytes(digest)
    .finish();
}

/** A WebSocket frame carrying a proof, as the proof binds it: its type (`subscribe`, `authorize`, …). */
export function socketOperation(frameType: string): Operation {
  if (!FRAME_TYPE.test(frameType)) throw new ProtocolError('usage', 'the frame type cannot be bound by a proof');
  return new Writer(2 + frameType.length)
    .u8(OperationKind.socketFrame)
    .u8(frameType.length)
    .bytes(asciiBytes(frameType))
    .finish();
}

/**
 * The canonical target of a request (§3.5.1): the path as given, then, if the query has any
 * parameter, `?` and its name–value pairs parsed as application/x-www-form-urlencoded, sorted
 * by name then value (UTF-16 code unit order, stable) and serialised again in that encoding. Two
 * queries that differ only in the order of their parameters or in how they escape a character
 * are the same target; adding, removing or changing a parameter changes it.
 *
 * @example
 * ```ts
 * canonicalTarget('/v1/mailboxes/x/messages', 'limit=5&after=2'); // '/v1/mailboxes/x/messages?after=2&limit=5'
 * ```
 */
export function canonicalTarget(path: string, query: string): string {
  const pairs = [...new URLSearchParams(query)].sort(([an, av], [bn, bv]) =>
    an === bn ? compareUnits(av, bv) : compareUnits(an, bn),
  );
  const q = new URLSearchParams(pairs).toString();
  return q === '' ? path : `${path}?${q}`;
}

function compareUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The checks above keep these strings to ASCII, so each character is one byte. */
function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
