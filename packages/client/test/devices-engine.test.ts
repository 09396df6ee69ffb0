/**
 * The pure parts of several devices (docs/client.md §4.9): judging a signed device list (newer,
 * same, older, conflict, invalid), which devices fan-out reaches, the stale steps, and the sync
 * payloads' schemas.
 */
import {
  certifyDevice,
  defaultEnv,
  deviceId,
  encodeIdentity,
  generateEd25519,
  generateIdentity,
  type IdentityKeyPair,
  publicIdentity,
  signDeviceList,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { judgeDeviceList, listedDevices } from '../src/engine/device-list-check.ts';
import { proveSession, sessionProven } from '../src/engine/device-proof.ts';
import { canSendTo, DEFAULT_DEVICE_TIMES, isDropped } from '../src/engine/fan-out.ts';
import { decodePayload, encodePayload, type OutgoingPayload } from '../src/engine/payload.ts';
import type { DeviceRecord } from '../src/engine/records.ts';
import { staleStep } from '../src/engine/stale-devices.ts';
import { ClientError } from '../src/errors.ts';

const env = defaultEnv;
const DAY = 24 * 60 * 60 * 1000;

function listOf(id: IdentityKeyPair, version: number, devices: number[]): Uint8Array {
  const certs = devices.map((d) => certifyDevice(env, id, deviceId(d), generateEd25519(env).publicKey));
  return signDeviceList(env, id, { version, issuedAt: 1, devices: certs });
}

const device = (over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  v: 2,
  id: 'c/0000000002',
  contactId: 'c',
  device: 2,
  theirMailbox: { server: 'http://s', id: new Uint8Array(16), senderPrivateKey: new Uint8Array(32) },
  myMailbox: {
    id: new Uint8Array(16),
    recipient: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
    sender: { privateKey: new Uint8Array(32), publicKey: new Uint8Array(32) },
    lastSeq: 0,
  },
  session: new Uint8Array([1]),
  previousSessions: [],
  ...over,
});

describe('device lists', () => {
  const alice = generateIdentity(env);
  const mine = publicIdentity(alice);
  const v1 = listOf(alice, 1, [1, 2]);
  const v2 = listOf(alice, 2, [1]);

  it('accepts a newer list, and nothing changes for the same one', () => {
    const first = judgeDeviceList(env, mine, undefined, v1);
    expect(first.kind).toBe('newer');
    expect(judgeDeviceList(env, mine, v1, v2).kind).toBe('newer');
    expect(judgeDeviceList(env, mine, v2, v2)).toEqual({ kind: 'same' });
    expect([...(listedDevices(v2) ?? [])]).toEqual([1]);
    expect(listedDevices(undefined)).toBeNull();
  });

  it('refuses a rollback, a conflict, a forged list and another account’s', () => {
    expect(judgeDeviceList(env, mine, v2, v1)).toEqual({ kind: 'refused', reason: 'older' });
    expect(judgeDeviceList(env, mine, v2, listOf(alice, 2, [1, 3]))).toEqual({ kind: 'refused', reason: 'conflict' });
    const forged = v1.slice();
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 1;
    expect(judgeDeviceList(env, mine, undefined, forged)).toEqual({ kind: 'refused', reason: 'invalid' });
    const mallory = generateIdentity(env);
    expect(judgeDeviceList(env, mine, undefined, listOf(mallory, 5, [1]))).toEqual({
      kind: 'refused',
      reason: 'invalid',
    });
    // The list held is for an identity they no longer have: the new identity's list is judged alone.
    expect(judgeDeviceList(env, publicIdentity(mallory), v2, listOf(mallory, 1, [1])).kind).toBe('newer');
    expect(judgeDeviceList(env, mine, undefined, new Uint8Array([1, 2, 3]))).toEqual({
      kind: 'refused',
      reason: 'invalid',
    });
  });
});

describe('fan-out and stale devices', () => {
  const t = DEFAULT_DEVICE_TIMES;
  const now = 1_000 * DAY;

  it('reaches devices with a session and a mailbox, not those mid-intro or dropped', () => {
    expect(canSendTo(device(), now, t)).toBe(true);
    expect(canSendTo(device({ theirMailbox: null }), now, t)).toBe(false);
    expect(canSendTo(device({ needsIntro: true }), now, t)).toBe(false);
    expect(canSendTo(device({ awaitingIntro: true }), now, t)).toBe(false);
    expect(canSendTo(device({ session: new Uint8Array(0) }), now, t)).toBe(false);
    expect(canSendTo(device({ stale: true, lastHeardAt: now - 31 * DAY }), now, t)).toBe(true);
    expect(canSendTo(device({ stale: true, lastHeardAt: now - 90 * DAY }), now, t)).toBe(false);
    expect(isDropped(device({ lastHeardAt: now - 200 * DAY }), now, t)).toBe(false); // not marked stale yet
  });

  it('starts the clock, marks stale after 30 days, dropped after 60 more, each once', () => {
    const fresh = staleStep(device(), now, t);
    expect(fresh?.kind).toBe('start');
    expect(fresh?.device.lastHeardAt).toBe(now);
    const heard = device({ lastHeardAt: now });
    expect(staleStep(heard, now + 29 * DAY, t)).toBeNull();
    const stale = staleStep(heard, now + 30 * DAY, t);
    expect(stale?.kind).toBe('stale');
    expect(staleStep(stale?.device as DeviceRecord, now + 89 * DAY, t)).toBeNull();
    const dropped = staleStep(stale?.device as DeviceRecord, now + 90 * DAY, t);
    expect(dropped?.kind).toBe('dropped');
    expect(staleStep(dropped?.device as DeviceRecord, now + 400 * DAY, t)).toBeNull();
    expect(staleStep(device({ needsIntro: true }), now, t)).toBeNull();
  });
});

describe('sync payloads', () => {
  const identity = encodeIdentity(publicIdentity(generateIdentity(env)));

  it('round-trip', () => {
    const mailbox = { server: 'http://s', id: env.random(16), senderPrivateKey: env.random(32) };
    const sent = { t: 'sent', contact: identity, id: '000000000000000001', sentAt: 5, body: 'hi' } as const;
    expect(decodePayload(encodePayload(sent))).toEqual(sent);
    const contact: OutgoingPayload = {
      t: 'contact',
      identity,
      name: 'Bob',
      aliasSet: true,
      verification: 'verified',
      keySource: 'invitation',
      added: true,
      devices: [{ device: 2, mailbox }],
    };
    expect(decodePayload(encodePayload(contact))).toEqual({
      ...contact,
      devices: [{ device: 2, mailbox: { server: 'http://s', id: mailbox.id, senderKey: mailbox.senderPrivateKey } }],
    });
    expect(decodePayload(encodePayload({ t: 'read', ids: ['1.in'] }))).toEqual({ t: 'read', ids: ['1.in'] });
    const list = new Uint8Array([1, 8, 3]);
    expect(decodePayload(encodePayload({ t: 'devices', list }))).toEqual({ t: 'devices', list });
  });

  it('refuses malformed ones', () => {
    const bad = (o: unknown) => {
      try {
        decodePayload(new TextEncoder().encode(JSON.stringify(o)));
        return undefined;
      } catch (e) {
        return e instanceof ClientError ? e.code : 'other';
      }
    };
    expect(bad({ t: 'sent', contact: 'AAAA', id: 'x', sentAt: 1, body: '' })).toBe('bad-message'); // not 128 bytes
    expect(bad({ t: 'read', ids: [] })).toBe('bad-message');
    expect(bad({ t: 'read', ids: Array.from({ length: 101 }, (_, i) => String(i)) })).toBe('bad-message');
    expect(bad({ t: 'devices', list: 'x'.repeat(7000) })).toBe('bad-message');
    expect(bad({ t: 'device-names', names: [{ device: -1, name: 'a' }] })).toBe('bad-message');
  });
});

describe('device session proofs', () => {
  it('prove the device that starts a session, under the sender’s list', () => {
    const alice = generateIdentity(env);
    const bob = generateIdentity(env);
    const laptopKeys = generateEd25519(env);
    const phoneKeys = generateEd25519(env);
    const list = signDeviceList(env, alice, {
      version: 1,
      issuedAt: 1,
      devices: [
        certifyDevice(env, alice, deviceId(1), laptopKeys.publicKey),
        certifyDevice(env, alice, deviceId(2), phoneKeys.publicKey),
      ],
    });
    const us = publicIdentity(bob);
    const session = (device: number) =>
      ({
        baseKey: env.random(32),
        localDevice: device,
        remoteDevice: device,
        remoteIdentity: publicIdentity(alice),
      }) as never;
    const s1 = session(1);
    const proof = proveSession(env, laptopKeys.privateKey, s1, us);
    const reset = (p?: Uint8Array) => (p === undefined ? { t: 'reset' as const } : { t: 'reset' as const, proof: p });
    expect(sessionProven(env, list, s1, us, reset(proof))).toBe(true);
    expect(sessionProven(env, list, s1, us, reset())).toBe(false); // no proof
    expect(sessionProven(env, list, s1, us, reset(proveSession(env, phoneKeys.privateKey, s1, us)))).toBe(false); // the phone posing as the laptop
    expect(sessionProven(env, list, session(1), us, reset(proof))).toBe(false); // another session
    expect(sessionProven(env, list, s1, publicIdentity(generateIdentity(env)), reset(proof))).toBe(false); // for someone else
    expect(sessionProven(env, list, session(3), us, reset(proof))).toBe(false); // not on the list
    expect(sessionProven(env, undefined, s1, us, reset())).toBe(true); // no list: one device
  });
});
