/**
 * Bytes in JSON (docs/server.md: unpadded, canonical base64url, RFC 4648 §5), shared by the engine
 * (payloads) and the transport, without Node's Buffer so that both also run in a browser. Decoding is strict: a string with a
 * character outside the alphabet, padding, or non-zero trailing bits is refused, so one byte
 * string has exactly one spelling — the same rule the server applies.
 */
import { base64url, fromBase64url, ProtocolError } from '@parley/protocol';
import { z } from 'zod';

export { base64url as toB64url };

/** Decodes canonical unpadded base64url, or returns `null`. */
export function fromB64url(s: string): Uint8Array | null {
  try {
    return fromBase64url(s);
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    throw e;
  }
}

/** A zod schema: a canonical base64url string of exactly `length` bytes (any length if omitted). */
export function b64url(length?: number) {
  return z.string().transform((s, ctx) => {
    const bytes = fromB64url(s);
    if (bytes === null || (length !== undefined && bytes.length !== length)) {
      ctx.addIssue({ code: 'custom', message: 'malformed bytes' });
      return z.NEVER;
    }
    return bytes;
  });
}
