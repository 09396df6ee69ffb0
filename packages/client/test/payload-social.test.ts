/**
 * The payloads of read receipts, typing, own-device introductions and settings at the byte level
 * (docs/client.md §3): what is sent, and that anything else is refused (`bad-message`).
 */
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from '../src/engine/payload.ts';
import { ClientError } from '../src/errors.ts';

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const refused = (v: unknown) => {
  try {
    decodePayload(json(v));
  } catch (e) {
    return ClientError.is(e, 'bad-message');
  }
  return false;
};

describe('social payloads', () => {
  it('are the JSON the docs show', () => {
    const text = (p: Parameters<typeof encodePayload>[0]) => new TextDecoder().decode(encodePayload(p));
    expect(text({ t: 'typing', active: true })).toBe('{"t":"typing","active":true}');
    expect(text({ t: 'read-receipt', ids: ['001796684020095000'] })).toBe(
      '{"t":"read-receipt","ids":["001796684020095000"]}',
    );
    expect(text({ t: 'settings', sendTyping: false })).toBe('{"t":"settings","sendTyping":false}');
    const mailbox = { server: 'http://127.0.0.1:8787', id: new Uint8Array(16), senderPrivateKey: new Uint8Array(32) };
    expect(decodePayload(encodePayload({ t: 'introduce', device: 3, mailbox }))).toEqual({
      t: 'introduce',
      device: 3,
      mailbox: { server: mailbox.server, id: mailbox.id, senderKey: mailbox.senderPrivateKey },
    });
  });

  it('refuse anything else', () => {
    expect(refused({ t: 'typing', active: true, at: 1 })).toBe(true);
    expect(refused({ t: 'typing', active: 'yes' })).toBe(true);
    expect(refused({ t: 'typing' })).toBe(true);
    expect(refused({ t: 'read-receipt', ids: [] })).toBe(true);
    expect(refused({ t: 'read-receipt', ids: Array.from({ length: 101 }, (_, i) => String(i)) })).toBe(true);
    expect(refused({ t: 'read-receipt', ids: ['x'.repeat(41)] })).toBe(true);
    expect(refused({ t: 'settings' })).toBe(true);
    expect(refused({ t: 'settings', sendTyping: 0 })).toBe(true);
    expect(refused({ t: 'introduce', device: -1, mailbox: {} })).toBe(true);
    expect(refused({ t: 'read-receipt', ids: ['001796684020095000'] })).toBe(false);
  });
});
