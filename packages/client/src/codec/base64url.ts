/**
 * Bytes in JSON, validated at an edge: a zod schema for a byte field, by the wire contract's rule
 * (@parley/protocol `decodeWireBytes`: canonical unpadded base64url, RFC 4648 §5 — one byte
 * string has exactly one spelling, the rule the server applies). Shared by the engine (payloads)
 * and the transport; no Buffer, so both also run in a browser. Encode with `encodeWireBytes`.
 */
import { decodeWireBytes } from '@parley/protocol';
import { z } from 'zod';

/** A zod schema: a canonical base64url string of exactly `length` bytes (any length if omitted). */
export function b64url(length?: number) {
  return z.string().transform((s, ctx) => {
    const bytes = decodeWireBytes(s, length);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: 'malformed bytes' });
      return z.NEVER;
    }
    return bytes;
  });
}
