/**
 * JSON at the edge: request bodies are parsed with a zod schema into typed values or refused
 * with `bad-request`. Bytes travel as unpadded base64url (RFC 4648 §5) and must be canonical, so
 * one byte string has exactly one spelling.
 */
import { WIRE_BYTES_ALPHABET } from '@parley/protocol';
import type { Context } from 'hono';
import { z } from 'zod';
import { HttpError } from './http/http-error.ts';

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

/** Reads the JSON body and validates it; `bad-request` naming the first bad field otherwise. */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpError('bad-request', 'body must be JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new HttpError('bad-request', `invalid ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
