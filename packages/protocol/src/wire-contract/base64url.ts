/**
 * Bytes in the server API's JSON (docs/server.md "API v1"): unpadded base64url (RFC 4648 §5) in
 * its one canonical spelling — only the 64 URL-safe characters, no padding, no whitespace and
 * zero trailing bits — so one byte string has exactly one text form, and a field that names a
 * length (a 32-byte key, a 16-byte mailbox id) must decode to exactly that many bytes.
 *
 * This is the portable reference (no Buffer: it runs in a browser). The server decodes with
 * Node's Buffer on its hot path and is tested to agree with {@link decodeWireBytes}.
 *
 * Used by: packages/server (src/wire-json.ts, its header parsers); packages/client (net/).
 *
 * @example
 * ```ts
 * encodeWireBytes(new Uint8Array([0xfb, 0xff])); // '-_8'
 * decodeWireBytes('-_8');     // Uint8Array [0xfb, 0xff]
 * decodeWireBytes('-_9');     // null: non-zero trailing bits
 * decodeWireBytes('-_8', 3);  // null: not 3 bytes
 * ```
 */
import { base64url, fromBase64url } from '../address.ts';
import { ProtocolError } from '../errors.ts';

/** The characters a wire byte string may contain (a necessary, not a sufficient, condition). */
export const WIRE_BYTES_ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Encodes bytes for the wire. */
export function encodeWireBytes(bytes: Uint8Array): string {
  return base64url(bytes);
}

/** Decodes a canonical wire byte string (of exactly `length` bytes, if given), or returns `null`. */
export function decodeWireBytes(s: string, length?: number): Uint8Array | null {
  let out: Uint8Array;
  try {
    out = fromBase64url(s);
  } catch (e) {
    if (ProtocolError.is(e, 'decode')) return null;
    throw e;
  }
  return length === undefined || out.length === length ? out : null;
}
