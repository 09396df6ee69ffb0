/**
 * Addresses are (account, device): nothing in Parley assumes one device per person
 * (docs/protocol-identities.md §3). An account is its identity signing key; its id is that key in
 * base64url. A device id is a positive u32 chosen by the account.
 */
import { ProtocolError } from './errors.ts';

export type AccountId = string & { readonly __brand: 'AccountId' };
export type DeviceId = number & { readonly __brand: 'DeviceId' };

export interface Address {
  readonly account: AccountId;
  readonly device: DeviceId;
}

const B64URL = /^[A-Za-z0-9_-]{43}$/;

export function accountIdFromKey(signingKey: Uint8Array): AccountId {
  if (signingKey.length !== 32) throw new ProtocolError('usage', 'identity signing key must be 32 bytes');
  return base64url(signingKey) as AccountId;
}

export function parseAccountId(s: string): AccountId {
  // 43 characters hold 258 bits: the last character's two low bits must be zero (canonical).
  if (!B64URL.test(s) || ALPHABET.indexOf(s.charAt(42)) % 4 !== 0) {
    throw new ProtocolError('decode', 'malformed account id');
  }
  return s as AccountId;
}

export function deviceId(n: number): DeviceId {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new ProtocolError('usage', 'device id must be a u32 ≥ 1');
  return n as DeviceId;
}

export function addressToString(a: Address): string {
  return `${a.account}.${a.device}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** RFC 4648 §5 base64url without padding (portable: no Buffer in the core). */
export function base64url(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8) | (b[i + 2] as number);
    out +=
      ALPHABET.charAt(n >> 18) +
      ALPHABET.charAt((n >> 12) & 63) +
      ALPHABET.charAt((n >> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rem = b.length - i;
  if (rem === 1) {
    const n = (b[i] as number) << 16;
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63);
  } else if (rem === 2) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] as number) << 8);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63);
  }
  return out;
}

/**
 * Decodes unpadded base64url (RFC 4648 §5), accepting only the canonical form (no padding, no
 * whitespace, zero trailing bits), so every byte string has exactly one text form. Throws `decode`.
 */
export function fromBase64url(s: string): Uint8Array {
  if (s.length % 4 === 1) throw new ProtocolError('decode', 'malformed base64url');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const v = ALPHABET.indexOf(s.charAt(i));
    if (v < 0) throw new ProtocolError('decode', 'malformed base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) throw new ProtocolError('decode', 'malformed base64url');
  return out;
}
