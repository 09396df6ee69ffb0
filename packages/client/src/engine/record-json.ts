/**
 * The byte form of a record's value: UTF-8 JSON with byte strings as `{"$b": base64url}`.
 * Decoding here only parses; record-schemas.ts checks the shape of each kind.
 */
import { base64url, fromBase64url } from '@parley/protocol';
import { ClientError } from '../errors.ts';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodeRecord(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: base64url(v) } : v)));
}

export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(bytes), (_k, v: unknown) =>
      v !== null && typeof v === 'object' && '$b' in v && typeof (v as { $b: unknown }).$b === 'string'
        ? fromBase64url((v as { $b: string }).$b)
        : v,
    );
  } catch (e) {
    throw new ClientError('store-corrupt', 'A record of this profile is damaged.', { cause: e });
  }
}
