/**
 * Invitation links and contact-address links (docs/client.md §2). Both are a versioned binary
 * payload in base64url after a fixed prefix:
 *
 *   parley://invite/<payload>    u8 version=1 ‖ u8 kind=0x10 ‖ var16 server URL (UTF-8)
 *                                ‖ identity (128 B, protocol §3.1) ‖ u32 device ‖ mailbox id (16 B)
 *                                ‖ mailbox sender private key (32 B) ‖ u64 expiresAt (ms)
 *   parley://address/<payload>   u8 version=1 ‖ u8 kind=0x11 ‖ var16 server URL
 *                                ‖ identity (128 B) ‖ u32 device ‖ address id (16 B)
 *   parley://link/<payload>      u8 version=1 ‖ u8 kind=0x12 ‖ var16 server URL ‖ identity (128 B)
 *                                ‖ up mailbox id (16 B) ‖ up sender private key (32 B)
 *                                ‖ down mailbox id (16 B) ‖ down recipient private key (32 B)
 *                                ‖ commitment (32 B) ‖ u64 expiresAt (ms)
 *
 * The inviter's identity travels in the link, out of band: the invitee verifies the bundle it
 * fetches from the inviter's server against it, so that server cannot substitute keys. The
 * sender key lets exactly the holders of the link deliver into the one-time mailbox.
 *
 * A device link (docs/client.md §4.10) is shown by a device of the account to a new device of the
 * same person: "up" is the mailbox the new device writes to, "down" the one it reads (hence its
 * recipient key), and the commitment binds the existing device's handshake key (protocol §14.2).
 */
import {
  base64url,
  type DeviceId,
  deviceId,
  fromBase64url,
  type ProtocolEnv,
  ProtocolError,
  type PublicIdentity,
  Reader,
  readIdentity,
  verifyIdentity,
  Writer,
  writeIdentity,
} from '@parley/protocol';
import { ClientError } from '../errors.ts';

export const LINK_VERSION = 1;
const INVITE_KIND = 0x10;
const ADDRESS_KIND = 0x11;
const DEVICE_LINK_KIND = 0x12;
export const INVITE_PREFIX = 'parley://invite/';
export const ADDRESS_PREFIX = 'parley://address/';
export const DEVICE_LINK_PREFIX = 'parley://link/';
/** Longest server URL a link may carry. */
const MAX_URL = 512;

export interface Invitation {
  readonly server: string;
  readonly identity: PublicIdentity;
  readonly device: DeviceId;
  readonly mailboxId: Uint8Array;
  readonly senderPrivateKey: Uint8Array;
  readonly expiresAt: number;
}

export interface AddressLink {
  readonly server: string;
  readonly identity: PublicIdentity;
  readonly device: DeviceId;
  readonly addressId: Uint8Array;
}

export interface DeviceLink {
  readonly server: string;
  readonly identity: PublicIdentity;
  readonly up: { readonly id: Uint8Array; readonly senderPrivateKey: Uint8Array };
  readonly down: { readonly id: Uint8Array; readonly recipientPrivateKey: Uint8Array };
  readonly commitment: Uint8Array;
  readonly expiresAt: number;
}

/** A device link and its payload bytes (what the handshake transcript covers). */
export function encodeDeviceLink(l: DeviceLink): { link: string; payload: Uint8Array } {
  const w = new Writer(512).u8(LINK_VERSION).u8(DEVICE_LINK_KIND).var16(new TextEncoder().encode(l.server));
  writeIdentity(w, l.identity);
  const payload = w
    .bytes(l.up.id)
    .bytes(l.up.senderPrivateKey)
    .bytes(l.down.id)
    .bytes(l.down.recipientPrivateKey)
    .bytes(l.commitment)
    .u53(l.expiresAt)
    .finish();
  return { link: DEVICE_LINK_PREFIX + base64url(payload), payload };
}

const BAD_DEVICE_LINK =
  'This is not a valid Parley device link (it may be cut short or mistyped). Show a new link on your other device.';

/** Parses a device link; any defect is `bad-link`. Expiry is the caller's check (it has the clock). */
export function decodeDeviceLink(env: ProtocolEnv, link: string): DeviceLink & { readonly payload: Uint8Array } {
  const s = link.trim();
  if (!s.startsWith(DEVICE_LINK_PREFIX)) {
    throw new ClientError(
      'bad-link',
      s.startsWith(INVITE_PREFIX) || s.startsWith(ADDRESS_PREFIX)
        ? 'This is a link to meet someone, not to link a device: use it with `connect` or `request`.'
        : BAD_DEVICE_LINK,
    );
  }
  try {
    const payload = fromBase64url(s.slice(DEVICE_LINK_PREFIX.length));
    const r = new Reader(payload, 'link');
    if (r.u8() !== LINK_VERSION)
      throw new ClientError('bad-link', 'This link was made by a newer Parley: update Parley.');
    if (r.u8() !== DEVICE_LINK_KIND) r.fail();
    const server = checkServerUrl(new TextDecoder('utf-8', { fatal: true }).decode(r.var16(MAX_URL)));
    const identity = readIdentity(r);
    const up = { id: r.bytes(16), senderPrivateKey: r.bytes(32) };
    const down = { id: r.bytes(16), recipientPrivateKey: r.bytes(32) };
    const out = { server, identity, up, down, commitment: r.bytes(32), expiresAt: r.u53(), payload };
    r.end();
    verifyIdentity(env, identity);
    return out;
  } catch (e) {
    if (e instanceof ClientError) throw e;
    if (e instanceof ProtocolError || e instanceof TypeError) throw new ClientError('bad-link', BAD_DEVICE_LINK);
    throw e;
  }
}

function head(w: Writer, kind: number, server: string, identity: PublicIdentity, device: DeviceId): Writer {
  w.u8(LINK_VERSION).u8(kind).var16(new TextEncoder().encode(server));
  writeIdentity(w, identity);
  return w.u32(device);
}

export function encodeInvitation(i: Invitation): string {
  const w = head(new Writer(256), INVITE_KIND, i.server, i.identity, i.device);
  return INVITE_PREFIX + base64url(w.bytes(i.mailboxId).bytes(i.senderPrivateKey).u53(i.expiresAt).finish());
}

export function encodeAddressLink(a: AddressLink): string {
  const w = head(new Writer(256), ADDRESS_KIND, a.server, a.identity, a.device);
  return ADDRESS_PREFIX + base64url(w.bytes(a.addressId).finish());
}

const BAD_INVITE =
  'This is not a valid Parley invitation link (it may be cut short or mistyped). Ask for the link again.';
const BAD_ADDRESS = 'This is not a valid Parley contact address (it may be cut short or mistyped). Ask for it again.';

/** Parses an invitation link; any defect is `bad-link`. Expiry is the caller's check (it has the clock). */
export function decodeInvitation(env: ProtocolEnv, link: string): Invitation {
  return parse(env, link.trim(), INVITE_PREFIX, INVITE_KIND, BAD_INVITE, (r, base) => ({
    ...base,
    mailboxId: r.bytes(16),
    senderPrivateKey: r.bytes(32),
    expiresAt: r.u53(),
  }));
}

export function decodeAddressLink(env: ProtocolEnv, link: string): AddressLink {
  return parse(env, link.trim(), ADDRESS_PREFIX, ADDRESS_KIND, BAD_ADDRESS, (r, base) => ({
    ...base,
    addressId: r.bytes(16),
  }));
}

function parse<T>(
  env: ProtocolEnv,
  link: string,
  prefix: string,
  kind: number,
  bad: string,
  rest: (r: Reader, base: { server: string; identity: PublicIdentity; device: DeviceId }) => T,
): T {
  if (!link.startsWith(prefix)) {
    const other = link.startsWith(INVITE_PREFIX) || link.startsWith(ADDRESS_PREFIX);
    throw new ClientError(
      'bad-link',
      other
        ? prefix === INVITE_PREFIX
          ? 'This is a contact address, not an invitation: use it with `request`.'
          : 'This is an invitation, not a contact address: use it with `connect`.'
        : bad,
    );
  }
  try {
    const r = new Reader(fromBase64url(link.slice(prefix.length)), 'link');
    if (r.u8() !== LINK_VERSION)
      throw new ClientError('bad-link', 'This link was made by a newer Parley: update Parley.');
    if (r.u8() !== kind) r.fail();
    const server = new TextDecoder('utf-8', { fatal: true }).decode(r.var16(MAX_URL));
    const identity = readIdentity(r);
    const device = deviceId(r.u32());
    const out = rest(r, { server: checkServerUrl(server), identity, device });
    r.end();
    verifyIdentity(env, identity);
    return out;
  } catch (e) {
    if (e instanceof ClientError) throw e;
    if (e instanceof ProtocolError || e instanceof TypeError) throw new ClientError('bad-link', bad);
    throw e;
  }
}

/** Only http(s) origins with an optional path; anything else is refused (a TypeError is mapped to bad-link). */
export function checkServerUrl(s: string): string {
  const u = new URL(s);
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || u.search || u.hash) {
    throw new TypeError('unsupported server URL');
  }
  return s;
}
