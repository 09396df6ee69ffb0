/**
 * Linking, on the existing device, once both confirmed (docs/client.md §4.10): N's device id,
 * certificate and the new signed device list (committed before anything is registered), the
 * registration on our server, `self/<N>` and the announcement, and the grant's body.
 */
import {
  certifyDevice,
  type DeviceCertificate,
  decodeDeviceCertificate,
  decodeDeviceList,
  deviceId,
  encodeDeviceCertificate,
  equalBytes,
  signDeviceList,
} from '@parley/protocol';
import { START } from '../engine/history-plan.ts';
import type { ExistingLinking } from '../engine/link-state.ts';
import { LINKING_ID } from '../engine/link-state.ts';
import { deviceRecordId, peerMailboxOf, put, SELF_CONTACT } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { auth, type ClientContext, getRecord, listRecords, newMailbox, refused } from './context.ts';
import { announceDeviceList } from './device-list.ts';
import { planTransfer } from './history-transfer.ts';
import { selfContactWrites } from './own-devices.ts';

/**
 * Both confirmed: the device id for N (one past the highest the server or our list knows), N's
 * certificate and the new signed device list — committed before anything is registered, so a
 * restart registers the same.
 */
export async function grantState(ctx: ClientContext, r: ExistingLinking): Promise<ExistingLinking> {
  const env = ctx.env;
  const p = ctx.profile;
  if (r.deviceKey === undefined) throw new ClientError('internal', 'No device key.');
  const known = await ctx.api(p.server).listDevices(auth(ctx));
  const current: DeviceCertificate[] =
    p.deviceList === undefined
      ? [certifyDevice(env, p.identity, deviceId(p.device), p.deviceKeys.publicKey)]
      : [...decodeDeviceList(p.deviceList).devices];
  const version = p.deviceList === undefined ? 1 : decodeDeviceList(p.deviceList).version + 1;
  const highest = Math.max(p.device, ...known.map((d) => d.deviceId), ...current.map((c) => c.deviceId));
  const cert = certifyDevice(env, p.identity, deviceId(highest + 1), r.deviceKey);
  const devices = [...current, cert].sort((a, b) => a.deviceId - b.deviceId);
  const deviceList = signDeviceList(env, p.identity, { version, issuedAt: env.now(), devices });
  return {
    ...r,
    stage: 'granting',
    newDevice: { id: cert.deviceId, certificate: encodeDeviceCertificate(cert), deviceList },
  };
}

/**
 * Registers N on our server and publishes the new list (each step already done is recognised on
 * a resume), then stores `self/<N>` awaiting N's hello and our profile's new list, and plans
 * what N gets: stage `transfer`.
 */
export async function register(ctx: ClientContext, r: ExistingLinking): Promise<ExistingLinking> {
  const nd = r.newDevice;
  if (nd === undefined || r.peer === undefined) throw new ClientError('internal', 'No new device.');
  const api = ctx.api(ctx.profile.server);
  await api.addDevice(auth(ctx), decodeDeviceCertificate(nd.certificate)).catch(async (e: unknown) => {
    // A resume after the server added it: the id is ours already.
    if (refused(e, 'conflict') && (await api.listDevices(auth(ctx))).some((d) => d.deviceId === nd.id)) return;
    throw e;
  });
  const put1 = await api.putDeviceList(auth(ctx), nd.deviceList);
  if (put1.outcome === 'stale' && !equalBytes(put1.current, nd.deviceList)) {
    // Another linking or removal published a newer list meanwhile.
    throw new ClientError('server-error', 'The account changed its devices meanwhile: link the device again.', {
      refusal: 'conflict',
    });
  }
  const recordId = deviceRecordId(SELF_CONTACT, nd.id);
  const plan = await planTransfer(ctx, r.peer.history);
  const next: ExistingLinking = {
    ...r,
    stage: 'transfer',
    plan,
    next: { n: 1, cursor: START },
    inFlight: [],
    acked: 0,
    skipped: 0,
  };
  await ctx.serial(async () => {
    const writes = [put('linking', LINKING_ID, next)];
    if ((await getRecord(ctx, 'device', recordId)) === undefined) {
      const self = await selfContactWrites(ctx);
      writes.push(
        ...self,
        put('device', recordId, {
          v: 2,
          id: recordId,
          contactId: SELF_CONTACT,
          device: nd.id,
          theirMailbox: null,
          myMailbox: await newMailbox(ctx),
          session: new Uint8Array(0),
          previousSessions: [],
          awaitingIntro: true,
          name: r.peer?.deviceName,
        }),
      );
    }
    const profile = { ...ctx.profile, deviceList: nd.deviceList };
    writes.push(put('profile', 'self', profile));
    await ctx.commit(writes);
    ctx.profile = profile;
  });
  // Our other devices and every contact device learn the new list (and so of N) now; N
  // introduces itself to each once it has the grant.
  await announceDeviceList(ctx);
  return next;
}

/** The grant (md-design §1.3): identity, N's id and certificate, the list, our own devices. */
export async function grantBody(ctx: ClientContext, r: ExistingLinking) {
  const p = ctx.profile;
  const nd = r.newDevice;
  if (nd === undefined || r.plan === undefined) throw new ClientError('internal', 'No new device.');
  const mine = await getRecord(ctx, 'device', deviceRecordId(SELF_CONTACT, nd.id));
  if (mine === undefined) throw new ClientError('internal', 'No record for the new device.');
  const ownDevices = [
    {
      device: p.device,
      theirMailbox: peerMailboxOf(p.server, mine.myMailbox),
      ...(p.deviceName ? { name: p.deviceName } : {}),
    },
  ];
  for (const d of await listRecords(ctx, 'device')) {
    if (d.contactId !== SELF_CONTACT || d.device === nd.id || d.theirMailbox === null) continue;
    ownDevices.push({ device: d.device, theirMailbox: d.theirMailbox, ...(d.name ? { name: d.name } : {}) });
  }
  return {
    identity: p.identity,
    accountId: p.accountId,
    device: nd.id,
    certificate: nd.certificate,
    deviceList: nd.deviceList,
    displayName: p.displayName,
    ownDevices,
    total: r.plan.total,
  };
}
