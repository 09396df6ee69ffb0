/**
 * device-link.json (docs/protocol-devices.md §14) on both backends: the file regenerates byte for
 * byte; every valid list opens and every refused one fails with its code; the handshake is
 * recomputed from the recorded draws and, step by step, from the primitives alone (commitment, SAS
 * hash and digits, transcript, HKDF); every frame opens or is refused as recorded.
 */
import { describe, expect, it } from 'vitest';
import {
  compareDeviceLists,
  concatBytes,
  deviceListIds,
  fromHex,
  linkCommit,
  linkFinish,
  linkReply,
  linkRequest,
  openDeviceList,
  openLinkFrame,
  toHex,
  utf8,
  Writer,
} from '../src/index.ts';
import { backends, codeOf } from './kit.ts';
import { loadVector, publicIdentityFrom, replayEnv } from './vectors/common.ts';
import { buildDeviceLinkVector, type DeviceLinkVector } from './vectors/device-link.ts';

const v = loadVector<DeviceLinkVector>('device-link.json');

describe.each(backends.map((b) => [b.name, b] as const))('device-link.json (%s backend)', (_n, crypto) => {
  const env = replayEnv(crypto, []).env;
  const owner = publicIdentityFrom(v.deviceLists.owner.encoded);

  it('regenerates byte for byte from the seeds', () => {
    expect(buildDeviceLinkVector(crypto)).toEqual(v);
  });

  it('device lists: the valid ones open, the refused ones fail with their code', () => {
    for (const l of v.deviceLists.valid) {
      const list = openDeviceList(env, fromHex(l.hex), owner);
      expect([list.version, list.issuedAt, deviceListIds(list)]).toEqual([l.version, l.issuedAt, l.deviceIds]);
    }
    for (const r of v.deviceLists.refused) {
      expect([r.name, codeOf(() => openDeviceList(env, fromHex(r.hex), owner))]).toEqual([r.name, r.error]);
    }
    const byName = new Map(v.deviceLists.valid.map((l) => [l.name, fromHex(l.hex)]));
    for (const c of v.deviceLists.compare) {
      const known = c.known === null ? null : (byName.get(c.known) ?? null);
      expect(compareDeviceLists(known, byName.get(c.next) as Uint8Array)).toBe(c.result);
    }
  });

  it('handshake: replayed from the recorded draws on both sides', () => {
    const h = v.handshake;
    const payload = fromHex(h.linkPayload);
    const e1 = replayEnv(crypto, h.existingRandom.commit);
    const { secret: cs, commitment } = linkCommit(e1.env);
    expect(toHex(commitment)).toBe(h.commitment);
    const n1 = replayEnv(crypto, h.newRandom.request);
    const { secret: rs, request } = linkRequest(n1.env, fromHex(h.newDeviceKey));
    expect(toHex(request)).toBe(h.request);
    const e2 = replayEnv(crypto, h.existingRandom.reply);
    const { reply, keys } = linkReply(e2.env, cs, payload, request);
    expect(toHex(reply)).toBe(h.reply);
    const atNew = linkFinish(env, rs, payload, commitment, reply);
    for (const k of [keys, atNew])
      expect([toHex(k.toNew), toHex(k.toExisting), k.sas]).toEqual([h.toNew, h.toExisting, h.sas]);
    expect([e1.remaining(), n1.remaining(), e2.remaining()]).toEqual([0, 0, 0]);
    for (const r of h.refusedReplies) {
      expect([r.name, codeOf(() => linkFinish(env, rs, payload, commitment, fromHex(r.hex)))]).toEqual([
        r.name,
        r.error,
      ]);
    }
  });

  it('handshake: every value recomputed from the primitives, as §14.2 writes them', () => {
    const h = v.handshake;
    const reply = fromHex(h.reply);
    const request = fromHex(h.request);
    const eE = reply.subarray(2, 34);
    const nonce = reply.subarray(34, 66);
    expect([toHex(eE), toHex(nonce)]).toEqual([h.ephemeralExisting.publicKey, h.nonce]);
    expect(toHex(crypto.sha256(concatBytes(utf8(v.labels.commit ?? ''), eE, nonce)))).toBe(h.commitment);
    expect(toHex(crypto.x25519(fromHex(h.ephemeralExisting.privateKey), request.subarray(2, 34)))).toBe(h.dh);
    const link = new Writer().var32(fromHex(h.linkPayload)).finish();
    const sasHash = crypto.sha256(concatBytes(utf8(v.labels.sas ?? ''), link, request, eE, nonce));
    expect(toHex(sasHash)).toBe(h.sasHash);
    const n = sasHash.subarray(0, 5).reduce((acc, b) => acc * 256 + b, 0);
    expect((n % 1_000_000).toString().padStart(6, '0')).toBe(h.sas);
    const transcript = crypto.sha256(concatBytes(utf8(v.labels.transcript ?? ''), link, request, reply));
    expect(toHex(transcript)).toBe(h.transcript);
    const okm = crypto.hkdfSha256(
      concatBytes(fromHex(h.dh), fromHex(h.kemSharedSecret)),
      transcript,
      utf8(v.labels.keys ?? ''),
      64,
    );
    expect([toHex(okm.subarray(0, 32)), toHex(okm.subarray(32))]).toEqual([h.toNew, h.toExisting]);
  });

  it('frames: each opens to its kind, index and plaintext; the refused ones fail with their code', () => {
    const keys = { toNew: fromHex(v.handshake.toNew), toExisting: fromHex(v.handshake.toExisting) };
    for (const f of v.frames.valid) {
      const bytes = fromHex(f.hex);
      const opened = openLinkFrame(env, keys[f.key], bytes);
      expect([opened.kind, opened.index, toHex(opened.plaintext)]).toEqual([f.kind, f.index, f.plaintext]);
      // Independently: AES-256-GCM with the recorded nonce and the 7-byte header as AAD.
      const pt = crypto.aesGcmOpen(keys[f.key], fromHex(f.nonce), bytes.subarray(7), bytes.subarray(0, 7));
      expect(pt && toHex(pt)).toBe(f.plaintext);
    }
    for (const r of v.frames.refused) {
      expect([r.name, codeOf(() => openLinkFrame(env, keys[r.key], fromHex(r.hex)))]).toEqual([r.name, r.error]);
    }
  });
});
