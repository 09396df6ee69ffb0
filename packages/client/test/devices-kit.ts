/**
 * A second device for SDK tests, made the way linking makes one (docs/client.md §4.9) without the
 * linking handshake: the existing device E adds it on the server, publishes the new signed list,
 * writes the `self/<N>` record awaiting its intro and announces the list; the new device N gets
 * E's identity, its own device key and prekeys, the contacts and a `needsIntro` device record for
 * every device E talks to (E's own included), with the mailbox that device gave E.
 */
import {
  certifyDevice,
  type DeviceCertificate,
  decodeDeviceList,
  defaultEnv,
  deviceId,
  generateEd25519,
  generateKemPreKey,
  generateSignedPreKey,
  type ProtocolEnv,
  signDeviceList,
} from '@parley/protocol';
import { ParleyClient } from '../src/client.ts';
import {
  type DeviceRecord,
  deviceRecordId,
  type ProfileRecord,
  peerMailboxOf,
  put,
  SELF_CONTACT,
} from '../src/engine/records.ts';
import { auth, type ClientContext, listRecords, newMailbox } from '../src/flows/context.ts';
import { introRecord } from '../src/flows/device-intro.ts';
import { announceDeviceList } from '../src/flows/device-list.ts';
import { ensureSelfContact } from '../src/flows/own-devices.ts';
import { devicesOf } from '../src/flows/peers.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import type { RecordWrite } from '../src/store/record-store.ts';
import { KeptStore } from './client-kit.ts';

/** The engine context of a client: what linking (inside the SDK) works with. */
export const contextOf = (c: ParleyClient): ClientContext => (c as unknown as { ctx: ClientContext }).ctx;

/** The account's device certificates now (from its list, or the one device) and the list's version. */
function currentList(p: ProfileRecord, env: ProtocolEnv): { version: number; devices: DeviceCertificate[] } {
  if (p.deviceList !== undefined) {
    const l = decodeDeviceList(p.deviceList);
    return { version: l.version, devices: [...l.devices] };
  }
  return { version: 0, devices: [certifyDevice(env, p.identity, deviceId(p.device), p.deviceKeys.publicKey)] };
}

/**
 * Adds device `id` to `existing`'s account, listed (or, with `listed: false`, registered on the
 * server but left off the signed list: a ghost). Returns the new device's client.
 */
export async function addDevice(
  existing: ParleyClient,
  id: number,
  options: { listed?: boolean; env?: ProtocolEnv; name?: string } = {},
): Promise<{ client: ParleyClient; store: KeptStore }> {
  const e = contextOf(existing);
  const env = options.env ?? e.env;
  const p = e.profile;
  const keys = generateEd25519(env);
  const cert = certifyDevice(env, p.identity, deviceId(id), keys.publicKey);
  const api = e.api(p.server);
  await api.addDevice(auth(e), cert);
  if (options.listed !== false) {
    const now = currentList(p, env);
    const devices = [...now.devices, cert].sort((a, b) => a.deviceId - b.deviceId);
    const list = signDeviceList(env, p.identity, { version: now.version + 1, issuedAt: env.now(), devices });
    await api.putDeviceList(auth(e), list);
    await ensureSelfContact(e);
    const mine = await newMailbox(e);
    const awaiting: DeviceRecord = {
      v: 2,
      id: deviceRecordId(SELF_CONTACT, id),
      contactId: SELF_CONTACT,
      device: id,
      theirMailbox: null,
      myMailbox: mine,
      session: new Uint8Array(0),
      previousSessions: [],
      awaitingIntro: true,
    };
    await e.serial(() => e.commit([put('device', awaiting.id, awaiting)]));
    e.push?.subscribe({ id: mine.id, recipientPrivateKey: mine.recipient.privateKey });
    await announceDeviceList(e, list);
  }
  // The new device: the identity, its own device key and prekeys, the account's list.
  const store = new KeptStore();
  const profile: ProfileRecord = {
    ...p,
    device: id,
    deviceKeys: keys,
    registered: false,
    signedPreKey: generateSignedPreKey(env, p.identity, 1),
    previousSignedPreKey: null,
    lastResortKem: generateKemPreKey(env, p.identity, 2, true),
    previousLastResortKem: null,
    nextPreKeyId: 3,
    lastMaintenance: 0,
    ...(options.name !== undefined ? { deviceName: options.name } : {}),
    ...(e.profile.deviceList !== undefined ? { deviceList: e.profile.deviceList } : {}),
  };
  await store.commit([put('profile', 'self', profile)]);
  const client = await ParleyClient.open(store, { ...nodeClientOptions(`device-${id}`, env) });
  const n = contextOf(client);
  // The grant's records: contacts, conversations, and an intro mailbox per device.
  const writes: RecordWrite[] = [];
  for (const c of await listRecords(e, 'contact')) {
    if (c.id !== SELF_CONTACT) writes.push(put('contact', c.id, c));
    for (const d of await devicesOf(e, c.id)) {
      if (c.id === SELF_CONTACT) continue;
      if (d.theirMailbox === null) continue;
      const r = await introRecord(n, c.id, d.device, d.theirMailbox);
      writes.push(put('device', r.id, r));
    }
  }
  for (const conv of await listRecords(e, 'conversation')) writes.push(put('conversation', conv.id, conv));
  if (options.listed !== false) {
    const awaiting = (await devicesOf(e, SELF_CONTACT)).find((d) => d.device === id);
    if (awaiting !== undefined) {
      await ensureSelfContact(n);
      const r = await introRecord(n, SELF_CONTACT, p.device, peerMailboxOf(p.server, awaiting.myMailbox));
      writes.push(put('device', r.id, r));
    }
  }
  await n.serial(() => n.commit(writes));
  return { client, store };
}

/** A clock tests move by hand, as the env's `now`. */
export function manualClock(start = Date.now()): { env: ProtocolEnv; advance(ms: number): void } {
  let now = start;
  return {
    env: { ...defaultEnv, now: () => now },
    advance: (ms: number) => {
      now += ms;
    },
  };
}
