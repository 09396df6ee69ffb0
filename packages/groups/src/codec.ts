/**
 * Bytes at the engine's edges: MLS messages (RFC 9420 §6, MLSMessage) in and out, the saved
 * group state and a key package's private half. Every decoder consumes its input exactly (no
 * trailing bytes) and throws `decode` otherwise.
 *
 * Saved state: u8 STATE_VERSION ‖ ts-mls GroupState encoding (tree included). Key package
 * secret: u8 KEY_PACKAGE_SECRET_VERSION ‖ u32 n ‖ MLSMessage(KeyPackage) (n bytes) ‖ three
 * u16-length-prefixed private keys (init, leaf HPKE, signature).
 */
import {
  type ClientConfig,
  type ClientState,
  decodeGroupState,
  decodeMlsMessage,
  encodeGroupState,
  encodeMlsMessage,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { GroupError } from './errors.ts';

export const STATE_VERSION = 1;
export const KEY_PACKAGE_SECRET_VERSION = 1;
/** Larger inputs are refused before parsing (a 10,000-member state is ~3 MB). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function decodeMessage(bytes: Uint8Array): MLSMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_MESSAGE_BYTES) {
    throw new GroupError('decode', 'malformed group message');
  }
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (cause) {
    throw new GroupError('decode', 'malformed group message', { cause });
  }
  if (decoded === undefined || decoded[1] !== bytes.length || decoded[0].version !== 'mls10') {
    throw new GroupError('decode', 'malformed group message');
  }
  return decoded[0];
}

export function encodeMessage(m: MLSMessage): Uint8Array {
  return encodeMlsMessage(m);
}

export function encodeKeyPackage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage });
}

export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const m = decodeMessage(bytes);
  if (m.wireformat !== 'mls_key_package') throw new GroupError('decode', 'not a key package');
  return m.keyPackage;
}

export function encodeState(state: ClientState): Uint8Array {
  const body = encodeGroupState(state);
  const out = new Uint8Array(1 + body.length);
  out[0] = STATE_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeState(bytes: Uint8Array, clientConfig: ClientConfig): ClientState {
  if (bytes.length < 1 || bytes[0] !== STATE_VERSION) throw new GroupError('decode', 'unsupported state version');
  // ts-mls decoders return [value, bytes consumed from offset].
  let decoded: ReturnType<typeof decodeGroupState>;
  try {
    decoded = decodeGroupState(bytes, 1);
  } catch (cause) {
    throw new GroupError('decode', 'malformed group state', { cause });
  }
  if (decoded === undefined || 1 + decoded[1] !== bytes.length) throw new GroupError('decode', 'malformed group state');
  return { ...decoded[0], clientConfig };
}

export function encodeKeyPackageSecret(publicPackage: KeyPackage, privatePackage: PrivateKeyPackage): Uint8Array {
  const kp = encodeKeyPackage(publicPackage);
  const keys = [privatePackage.initPrivateKey, privatePackage.hpkePrivateKey, privatePackage.signaturePrivateKey];
  const out = new Uint8Array(1 + 4 + kp.length + keys.reduce((n, k) => n + 2 + k.length, 0));
  const v = new DataView(out.buffer);
  out[0] = KEY_PACKAGE_SECRET_VERSION;
  v.setUint32(1, kp.length);
  out.set(kp, 5);
  let o = 5 + kp.length;
  for (const k of keys) {
    v.setUint16(o, k.length);
    out.set(k, o + 2);
    o += 2 + k.length;
  }
  return out;
}

export function decodeKeyPackageSecret(bytes: Uint8Array): {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
} {
  const fail = () => new GroupError('decode', 'malformed key package secret');
  if (bytes.length < 5 || bytes[0] !== KEY_PACKAGE_SECRET_VERSION) throw fail();
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const n = v.getUint32(1);
  if (5 + n > bytes.length) throw fail();
  const publicPackage = decodeKeyPackage(bytes.subarray(5, 5 + n));
  const keys: Uint8Array[] = [];
  let o = 5 + n;
  for (let i = 0; i < 3; i++) {
    if (o + 2 > bytes.length) throw fail();
    const len = v.getUint16(o);
    if (o + 2 + len > bytes.length) throw fail();
    keys.push(bytes.slice(o + 2, o + 2 + len));
    o += 2 + len;
  }
  if (o !== bytes.length) throw fail();
  const [initPrivateKey, hpkePrivateKey, signaturePrivateKey] = keys as [Uint8Array, Uint8Array, Uint8Array];
  return { publicPackage, privatePackage: { initPrivateKey, hpkePrivateKey, signaturePrivateKey } };
}
