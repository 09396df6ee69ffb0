/**
 * Known-answer vectors for multi-device (docs/protocol-devices.md §14): device-link.json. Device
 * lists (a valid pair of versions and lists every decoder must refuse, each with its error code),
 * a full linking handshake from recorded randomness (commitment, request, reply, the SAS hash and
 * digits, the transcript, the frame keys), link frames each way, and frames to refuse. Written by
 * generate.ts; checked by vectors-device-link.test.ts on both backends. Never reorder the steps:
 * each random draw and clock tick is consumed in order.
 */
import {
  type CryptoBackend,
  certifyDevice,
  concatBytes,
  deviceId,
  encodeDeviceCertificate,
  generateEd25519,
  generateIdentity,
  LinkFrameKind,
  linkCommit,
  linkFinish,
  linkReply,
  linkRequest,
  sealLinkFrame,
  signDeviceList,
  toHex,
  utf8,
  Writer,
} from '../../src/index.ts';
import { type Hex, type IdentityVector, identityVector, RNG_DESCRIPTION, recorder } from './common.ts';

export const DEVICE_LINK_SEEDS = {
  owner: 'parley/vectors/devices/owner',
  other: 'parley/vectors/devices/other',
  existing: 'parley/vectors/link/existing',
  new: 'parley/vectors/link/new',
} as const;

export interface RefusedVector {
  readonly name: string;
  readonly hex: Hex;
  readonly error: string;
}

export interface DeviceLinkVector {
  readonly description: string;
  readonly sections: string;
  readonly labels: Record<string, string>;
  readonly deviceLists: {
    readonly owner: IdentityVector;
    readonly other: IdentityVector;
    /** Each certificate's 110-byte encoding (§3.4), device ids 1, 2 and 5. */
    readonly certificates: readonly Hex[];
    readonly valid: readonly {
      readonly name: string;
      readonly version: number;
      readonly issuedAt: number;
      readonly deviceIds: readonly number[];
      readonly hex: Hex;
    }[];
    /** Opened with `owner`'s public identity. */
    readonly refused: readonly RefusedVector[];
    /** compareDeviceLists(known, next) on the valid lists, by name. */
    readonly compare: readonly { readonly known: string | null; readonly next: string; readonly result: string }[];
  };
  readonly handshake: {
    readonly linkPayload: Hex;
    readonly existingRandom: { readonly commit: Hex[]; readonly reply: Hex[] };
    readonly newRandom: { readonly deviceKey: Hex[]; readonly request: Hex[] };
    readonly ephemeralExisting: { readonly privateKey: Hex; readonly publicKey: Hex };
    readonly nonce: Hex;
    readonly commitment: Hex;
    readonly newDeviceKey: Hex;
    readonly request: Hex;
    readonly reply: Hex;
    readonly dh: Hex;
    readonly kemSharedSecret: Hex;
    readonly sasHash: Hex;
    readonly sas: string;
    readonly transcript: Hex;
    readonly toNew: Hex;
    readonly toExisting: Hex;
    /** A reply opening another commitment: linkFinish refuses it. */
    readonly refusedReplies: readonly RefusedVector[];
  };
  readonly frames: {
    readonly valid: readonly {
      readonly name: string;
      readonly key: 'toNew' | 'toExisting';
      readonly kind: number;
      readonly index: number;
      readonly plaintext: Hex;
      readonly nonce: Hex;
      readonly hex: Hex;
    }[];
    /** Opened with the named key. */
    readonly refused: readonly (RefusedVector & { readonly key: 'toNew' | 'toExisting' })[];
  };
}

const LIST_LABEL = 'Parley device list v1';

export function buildDeviceLinkVector(crypto: CryptoBackend): DeviceLinkVector {
  // --- Device lists.
  const o = recorder(DEVICE_LINK_SEEDS.owner, crypto);
  const owner = generateIdentity(o.env);
  const certs = [1, 2, 5].map((n) => certifyDevice(o.env, owner, deviceId(n), generateEd25519(o.env).publicKey));
  const [c1, c2, c5] = certs as [(typeof certs)[0], (typeof certs)[0], (typeof certs)[0]];
  const x = recorder(DEVICE_LINK_SEEDS.other, crypto);
  const other = generateIdentity(x.env);
  const foreign = certifyDevice(x.env, other, deviceId(3), generateEd25519(x.env).publicKey);
  const v1 = signDeviceList(o.env, owner, { version: 1, issuedAt: 1_767_225_600_000, devices: [c1] });
  const v2 = signDeviceList(o.env, owner, { version: 2, issuedAt: 1_767_312_000_000, devices: [c1, c2, c5] });
  const fork = signDeviceList(o.env, owner, { version: 2, issuedAt: 1_767_312_000_000, devices: [c1, c5] });
  const theirs = signDeviceList(x.env, other, { version: 7, issuedAt: 1_767_312_000_000, devices: [foreign] });
  const resign = (body: Uint8Array) =>
    concatBytes(body, crypto.ed25519Sign(owner.signing.privateKey, concatBytes(utf8(LIST_LABEL), body)));
  const header = (version: number, count: number) =>
    new Writer(51).u8(1).u8(8).bytes(owner.signing.publicKey).u53(version).u53(1_767_312_000_000).u8(count).finish();
  const enc = encodeDeviceCertificate;
  const badSig = v2.slice();
  badSig[badSig.length - 1] = (badSig[badSig.length - 1] as number) ^ 0x80;
  const changedBody = v2.slice();
  changedBody[49] = (changedBody[49] as number) ^ 0x01; // issuedAt
  const relabelled = theirs.slice();
  relabelled.set(owner.signing.publicKey, 2);
  const refusedLists: RefusedVector[] = [
    { name: 'signature bit flipped', hex: toHex(badSig), error: 'bad-signature' },
    { name: 'issuedAt changed after signing', hex: toHex(changedBody), error: 'bad-signature' },
    { name: 'another account’s list', hex: toHex(theirs), error: 'identity-mismatch' },
    { name: 'another account’s list relabelled with this account key', hex: toHex(relabelled), error: 'bad-signature' },
    {
      name: 'signed, but a certificate by another identity (ghost device)',
      hex: toHex(resign(concatBytes(header(3, 2), enc(c1), enc(foreign)))),
      error: 'bad-signature',
    },
    {
      name: 'signed, devices unordered',
      hex: toHex(resign(concatBytes(header(3, 2), enc(c2), enc(c1)))),
      error: 'decode',
    },
    {
      name: 'signed, device listed twice',
      hex: toHex(resign(concatBytes(header(3, 2), enc(c2), enc(c2)))),
      error: 'decode',
    },
    { name: 'signed, no device', hex: toHex(resign(header(3, 0))), error: 'decode' },
    { name: 'signed, version 0', hex: toHex(resign(concatBytes(header(0, 1), enc(c1)))), error: 'decode' },
    { name: 'count says 2, one certificate', hex: toHex(resign(concatBytes(header(3, 2), enc(c1)))), error: 'decode' },
    { name: 'truncated signature', hex: toHex(v2.subarray(0, v2.length - 1)), error: 'decode' },
    { name: 'trailing byte', hex: toHex(concatBytes(v2, Uint8Array.of(0))), error: 'decode' },
    { name: 'wire version 2', hex: toHex(concatBytes(Uint8Array.of(2), v2.subarray(1))), error: 'unsupported-version' },
    { name: 'a device certificate, not a list', hex: toHex(enc(c1)), error: 'decode' },
  ];

  // --- The handshake.
  const e = recorder(DEVICE_LINK_SEEDS.existing, crypto);
  const n = recorder(DEVICE_LINK_SEEDS.new, crypto);
  const linkPayload = utf8('example link payload: the client encodes it (docs/protocol-devices.md §14.2.1)');
  const { secret: cs, commitment } = linkCommit(e.env);
  const commitRandom = e.take();
  const deviceKey = generateEd25519(n.env).publicKey;
  const deviceKeyRandom = n.take();
  const { secret: rs, request } = linkRequest(n.env, deviceKey);
  const requestRandom = n.take();
  const { reply, keys } = linkReply(e.env, cs, linkPayload, request);
  const replyRandom = e.take();
  const atNew = linkFinish(n.env, rs, linkPayload, commitment, reply);
  if (toHex(atNew.toNew) !== toHex(keys.toNew) || atNew.sas !== keys.sas) throw new Error('handshake disagrees');
  const ephemeralN = request.subarray(2, 34);
  const dh = crypto.x25519(cs.ephemeral.privateKey, ephemeralN);
  const kemSharedSecret = crypto.mlKemDecapsulate(reply.subarray(66), rs.kem.secretKey);
  const link = new Writer().var32(linkPayload).finish();
  const sasHash = crypto.sha256(
    concatBytes(utf8('Parley link sas v1'), link, request, cs.ephemeral.publicKey, cs.nonce),
  );
  const transcript = crypto.sha256(concatBytes(utf8('Parley link transcript v1'), link, request, reply));
  const other2 = linkCommit(e.env);
  const wrongReply = linkReply(e.env, other2.secret, linkPayload, request).reply;
  const flippedNonce = reply.slice();
  flippedNonce[40] = (flippedNonce[40] as number) ^ 0x01;

  // --- Frames.
  const key = { toNew: keys.toNew, toExisting: keys.toExisting };
  const specs = [
    {
      name: 'confirm (N → E, index 0)',
      key: 'toExisting',
      kind: LinkFrameKind.confirm,
      index: 0,
      text: '{"history":"all"}',
    },
    { name: 'ack (N → E, index 1)', key: 'toExisting', kind: LinkFrameKind.ack, index: 1, text: '{"chunk":0}' },
    { name: 'grant (E → N, index 0)', key: 'toNew', kind: LinkFrameKind.grant, index: 0, text: '{"grant":"…"}' },
    { name: 'chunk (E → N, index 1, empty plaintext)', key: 'toNew', kind: LinkFrameKind.chunk, index: 1, text: '' },
    { name: 'end (E → N, index 4294967295)', key: 'toNew', kind: LinkFrameKind.end, index: 0xffffffff, text: '{}' },
    { name: 'abort (E → N, index 2)', key: 'toNew', kind: LinkFrameKind.abort, index: 2, text: '{"reason":1}' },
  ] as const;
  const valid = specs.map((s) => ({
    name: s.name,
    key: s.key,
    kind: s.kind,
    index: s.index,
    plaintext: toHex(utf8(s.text)),
    nonce: toHex(new Writer(12).u32(0).u53(s.index).finish()),
    hex: toHex(sealLinkFrame(e.env, key[s.key], s.kind, s.index, utf8(s.text))),
  }));
  const grant = sealLinkFrame(e.env, keys.toNew, LinkFrameKind.grant, 0, utf8('{"grant":"…"}'));
  const flip = (at: number, mask = 0x01) => {
    const b = grant.slice();
    b[at] = (b[at] as number) ^ mask;
    return toHex(b);
  };
  const refusedFrames = [
    { name: 'under the other direction’s key', key: 'toExisting', hex: toHex(grant), error: 'decrypt-failed' },
    { name: 'kind changed (grant → chunk)', key: 'toNew', hex: flip(2, 0x07), error: 'decrypt-failed' },
    { name: 'index changed', key: 'toNew', hex: flip(6), error: 'decrypt-failed' },
    { name: 'ciphertext bit flipped', key: 'toNew', hex: flip(8), error: 'decrypt-failed' },
    { name: 'tag bit flipped', key: 'toNew', hex: flip(grant.length - 1), error: 'decrypt-failed' },
    {
      name: 'unknown kind 7',
      key: 'toNew',
      hex: toHex(concatBytes(grant.subarray(0, 2), Uint8Array.of(7), grant.subarray(3))),
      error: 'decode',
    },
    { name: 'shorter than header and tag', key: 'toNew', hex: toHex(grant.subarray(0, 22)), error: 'decode' },
    { name: 'another wire type', key: 'toNew', hex: flip(1, 0x0f), error: 'decode' },
    { name: 'wire version 2', key: 'toNew', hex: flip(0, 0x03), error: 'unsupported-version' },
  ] as const;

  return {
    description:
      'Multi-device (docs/protocol-devices.md §14): signed device lists, the commitment-based linking handshake ' +
      'with its 6-digit SAS, and the AES-256-GCM link frames. deviceLists: the owner signs versions 1 and 2 and a ' +
      'fork of version 2; every "refused" list must be refused by openDeviceList(owner) with the given code. ' +
      'handshake: E (existing device) commits, N (new device) requests, E replies, N finishes; every intermediate ' +
      'value is given. frames: sealed with the handshake keys; "refused" ones fail with the given code. ' +
      RNG_DESCRIPTION,
    sections: 'docs/protocol.md §14 (docs/protocol-devices.md §14.1 device lists, §14.2 handshake, §14.3 frames)',
    labels: {
      deviceList: LIST_LABEL,
      commit: 'Parley link commit v1',
      sas: 'Parley link sas v1',
      transcript: 'Parley link transcript v1',
      keys: 'Parley link v1',
    },
    deviceLists: {
      owner: identityVector(owner),
      other: identityVector(other),
      certificates: certs.map((c) => toHex(enc(c))),
      valid: [
        { name: 'v1', version: 1, issuedAt: 1_767_225_600_000, deviceIds: [1], hex: toHex(v1) },
        { name: 'v2', version: 2, issuedAt: 1_767_312_000_000, deviceIds: [1, 2, 5], hex: toHex(v2) },
        { name: 'v2-fork', version: 2, issuedAt: 1_767_312_000_000, deviceIds: [1, 5], hex: toHex(fork) },
      ],
      refused: refusedLists,
      compare: [
        { known: null, next: 'v1', result: 'newer' },
        { known: 'v1', next: 'v2', result: 'newer' },
        { known: 'v2', next: 'v1', result: 'older' },
        { known: 'v2', next: 'v2', result: 'same' },
        { known: 'v2', next: 'v2-fork', result: 'conflict' },
      ],
    },
    handshake: {
      linkPayload: toHex(linkPayload),
      existingRandom: { commit: commitRandom, reply: replyRandom },
      newRandom: { deviceKey: deviceKeyRandom, request: requestRandom },
      ephemeralExisting: { privateKey: toHex(cs.ephemeral.privateKey), publicKey: toHex(cs.ephemeral.publicKey) },
      nonce: toHex(cs.nonce),
      commitment: toHex(commitment),
      newDeviceKey: toHex(deviceKey),
      request: toHex(request),
      reply: toHex(reply),
      dh: toHex(dh),
      kemSharedSecret: toHex(kemSharedSecret),
      sasHash: toHex(sasHash),
      sas: keys.sas,
      transcript: toHex(transcript),
      toNew: toHex(keys.toNew),
      toExisting: toHex(keys.toExisting),
      refusedReplies: [
        { name: 'opens another commitment', hex: toHex(wrongReply), error: 'bad-commitment' },
        { name: 'nonce bit flipped', hex: toHex(flippedNonce), error: 'bad-commitment' },
        { name: 'truncated', hex: toHex(reply.subarray(0, reply.length - 1)), error: 'decode' },
        { name: 'a request, not a reply', hex: toHex(request), error: 'decode' },
      ],
    },
    frames: { valid, refused: refusedFrames },
  };
}
