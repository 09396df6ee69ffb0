/**
 * Bytes in JSON at the edge (HTTP bodies, WebSocket frames): zod schemas for byte fields. Bytes
 * travel as unpadded base64url (RFC 4648 §5) and must be canonical, so one byte string has
 * exactly one spelling (the wire contract's rule).
 */
import { WIRE_BYTES_ALPHABET } from '@parley/protocol';
import { z } from 'zod';

/**
 * Decodes canonical unpadded base64url (of exactly `length` bytes, if given), or `null`.
 * Node's decoder skips characters outside the alphabet, so the re-encoding is compared too. The
 * rule is the wire contract's (@parley/protocol `decodeWireBytes`); this is its Buffer-fast twin,
 * tested to agree (test/wire-json.test.ts).
 */
export function decodeB64url(s: string, length?: number): Uint8Array | null {
  if (!WIRE_BYTES_ALPHABET.test(s)) return null;
  const out = new Uint8Array(Buffer.from(s, 'base64url'));
  if (Buffer.from(out).toString('base64url') !== s || (length !== undefined && out.length !== length)) return null;
  return out;
}

/** A zod schema for a canonical unpadded base64url string of exactly `bytes` bytes (or any). */
export function b64url(bytes?: number) {
  return z
    .string()
    .max(200_000)
    .transform((s, ctx) => {
      const out = decodeB64url(s, bytes);
      if (out === null) {
        ctx.addIssue({ code: 'custom', message: bytes === undefined ? 'bad base64url' : `expected ${bytes} bytes` });
        return z.NEVER;
      }
      return out;
    });
}

export function toB64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}
