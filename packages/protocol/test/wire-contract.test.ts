/**
 * The server's wire contract (src/wire-contract/): the error table, the bytes of the frames the
 * server builds from it, and the base64url rule — the values both sides of the wire rely on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64url,
  decodeWireBytes,
  encodeWireBytes,
  errorFrame,
  isWireErrorCode,
  MAX_ACK_SEQS,
  MAX_BODY_BYTES,
  MAX_ENVELOPE_BYTES,
  MAX_SEQS_PER_REQUEST,
  SERVER_HELLO,
  SOCKET_PATH,
  WIRE_BYTES_ALPHABET,
  WIRE_ERROR_STATUS,
  wireErrorBody,
} from '../src/index.ts';

describe('wire contract', () => {
  it('maps every error code to its HTTP status (docs/server.md "Errors")', () => {
    expect(WIRE_ERROR_STATUS).toEqual({
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
    });
    expect(isWireErrorCode('rate-limited')).toBe(true);
    for (const bad of ['toString', '__proto__', 'Not-Found', 404, undefined, ''])
      expect(isWireErrorCode(bad)).toBe(false);
  });

  it('builds error bodies and frames with the bytes the server sends', () => {
    expect(JSON.stringify(wireErrorBody('not-found', 'no such mailbox'))).toBe(
      '{"error":{"code":"not-found","message":"no such mailbox"}}',
    );
    expect(JSON.stringify(errorFrame(7, 'forbidden', 'x'))).toBe(
      '{"type":"error","id":7,"error":{"code":"forbidden","message":"x"}}',
    );
    expect(JSON.stringify(errorFrame(undefined, 'bad-request', 'malformed frame'))).toBe(
      '{"type":"error","error":{"code":"bad-request","message":"malformed frame"}}',
    );
    expect(JSON.stringify(SERVER_HELLO)).toBe('{"type":"hello","api":1,"features":["authorize","binary"]}');
    expect(SOCKET_PATH).toBe('/v1/ws');
  });

  it('keeps the limits consistent with each other', () => {
    expect(MAX_ACK_SEQS).toBe(MAX_SEQS_PER_REQUEST);
    // A JSON send carries the envelope as base64url (4 characters per 3 bytes) with room to spare.
    expect(MAX_BODY_BYTES).toBeGreaterThan(Math.ceil((MAX_ENVELOPE_BYTES * 4) / 3) + 200);
  });

  it('decodes exactly the canonical spellings, of the length asked for', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const s = encodeWireBytes(b);
        expect(s).toBe(base64url(b));
        expect(WIRE_BYTES_ALPHABET.test(s)).toBe(true);
        expect(decodeWireBytes(s)).toEqual(b);
        expect(decodeWireBytes(s, b.length)).toEqual(b);
        expect(decodeWireBytes(s, b.length + 1)).toBeNull();
      }),
    );
    for (const bad of ['A', 'AB=', 'AB+/', 'AB C', 'AR', 'AAB', '-_9']) expect(decodeWireBytes(bad), bad).toBeNull();
    expect(decodeWireBytes('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
  });
});
