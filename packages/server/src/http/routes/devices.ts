/**
 * Devices of an account and its signed device list (issue 18; docs/server.md "Devices").
 *
 *   POST   /v1/accounts/self/devices          {"deviceCertificate"}  → 201 {"deviceId"}
 *   GET    /v1/accounts/self/devices          → {"devices":[{"deviceId","createdAt","lastSeenAt"}…]}
 *   DELETE /v1/accounts/self/devices/:device  → 204
 *   PUT    /v1/accounts/self/device-list      {"deviceList"}         → 204
 *   GET    /v1/accounts/:account/device-list  → {"deviceList"} (anyone)
 *
 * Only a device of the account may add one (the linking flow runs on an existing device, which
 * certifies the new device's key with the identity it holds), and the certificate must be the
 * account identity's. Additions are a quota per account (http/quotas.ts `device-links`), counted
 * on every attempt. The device list is what peers trust, not the server's device table: it is
 * verified here only so that the server stores nothing a peer would refuse, keeps versions
 * growing (a rollback or a fork is refused with the stored list in the answer) and never stores
 * a list naming a device it does not have. (Removing a device does not touch the stored list: the
 * account's devices publish a new one; until then peers find no bundle for the removed device.) Fetching a list is anonymous, because peers live on
 * other servers, and budgeted per requester as bundle fetches are.
 *
 * Refusals that share a status say which in `reason`: 409 with `device-exists`, `device-limit`,
 * `last-device`, `stale` (with the stored `deviceList`) or `unknown-device`.
 */
import {
  DEVICE_CERTIFICATE_BYTES,
  decodeDeviceCertificate,
  deviceId,
  deviceListBytes,
  MAX_DEVICE_LIST_DEVICES,
  openDeviceList,
  ProtocolError,
  type PublicIdentity,
  parseAccountId,
  verifyDeviceCertificate,
} from '@parley/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { ApiDeps } from '../../api-deps.ts';
import { type PutDeviceListResult, StorageError } from '../../storage/index.ts';
import { b64url, toB64url } from '../../wire-json.ts';
import { type AuthEnv, requireDevice } from '../device-auth.ts';
import { HttpError } from '../http-error.ts';
import { RateLimiter } from '../rate-limit.ts';
import { readBody } from '../read-body.ts';
import { type RequesterOf, requesterKeyOf } from '../requester-key.ts';

/** Why a 409 was answered (the body's `reason`). */
export type DeviceConflictReason = 'device-exists' | 'device-limit' | 'last-device' | 'stale' | 'unknown-device';

const AddBody = z.strictObject({ deviceCertificate: b64url(DEVICE_CERTIFICATE_BYTES) });
const ListBody = z.strictObject({
  deviceList: b64url().refine(
    (b) => b.length >= deviceListBytes(1) && b.length <= deviceListBytes(MAX_DEVICE_LIST_DEVICES),
    'not a device list',
  ),
});

export interface DeviceRouteOptions {
  /** Device-list fetches per requester (default 60 a minute, bursts of 30: as bundle fetches). */
  readonly listsPerRequester?: RateLimiter;
  /** The requester's rate-limit key; default: the quotas' source, or the remote address. */
  readonly requesterOf?: RequesterOf;
}

/** The defaults of {@link DeviceRouteOptions}, in tokens a minute and burst. */
export const DEVICE_LIST_LIMITS = { perRequester: { perMinute: 60, burst: 30 } } as const;

function conflict(reason: DeviceConflictReason, message: string, details: Record<string, string> = {}): HttpError {
  return new HttpError('conflict', message, { reason, ...details });
}

/** A protocol check that fails is the client's fault. */
function checked<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (ProtocolError.is(e)) throw new HttpError('bad-request', `${what} is not valid`);
    throw e;
  }
}

export function deviceRoutes(deps: ApiDeps, options: DeviceRouteOptions = {}): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  const auth = requireDevice(deps);
  const requesterOf = options.requesterOf ?? requesterKeyOf(deps);
  const listsPerRequester = options.listsPerRequester ?? new RateLimiter(DEVICE_LIST_LIMITS.perRequester);

  /** The caller's account identity (a device whose account is gone is no device). */
  async function identityOf(caller: AuthEnv['Variables']['caller']): Promise<PublicIdentity> {
    const account = await deps.accounts.getAccount(caller.account);
    if (account === null) throw new HttpError('unauthorized', 'a valid Parley device proof is required');
    return account.identity;
  }

  api.post('/accounts/self/devices', auth, async (c) => {
    const caller = c.var.caller;
    // Every attempt counts, before anything is checked.
    deps.quotas?.take(c, 'device-links', caller.account);
    const { deviceCertificate } = await readBody(c, AddBody);
    const identity = await identityOf(caller);
    const cert = checked('deviceCertificate', () => decodeDeviceCertificate(deviceCertificate));
    checked('deviceCertificate', () => verifyDeviceCertificate(deps.env, identity, cert));
    try {
      await deps.devices.addDevice(caller.account, cert.deviceId, {
        deviceKey: cert.deviceKey,
        certificate: deviceCertificate,
      });
    } catch (e) {
      if (StorageError.is(e, 'device-exists')) throw conflict('device-exists', 'the account has a device with that id');
      if (StorageError.is(e, 'device-limit')) throw conflict('device-limit', 'the account has the most devices it may');
      throw e;
    }
    return c.json({ deviceId: cert.deviceId }, 201);
  });

  api.get('/accounts/self/devices', auth, async (c) => {
    const devices = await deps.devices.listDevices(c.var.caller.account);
    return c.json({
      devices: devices.map((d) => ({ deviceId: d.deviceId, createdAt: d.createdAt, lastSeenAt: d.lastSeenAt })),
    });
  });

  api.delete('/accounts/self/devices/:device', auth, async (c) => {
    const text = c.req.param('device');
    if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 0xffffffff) {
      throw new HttpError('not-found', 'no such device');
    }
    let removed: boolean;
    try {
      removed = await deps.devices.removeDeviceUnlessLast(c.var.caller.account, deviceId(Number(text)));
    } catch (e) {
      if (StorageError.is(e, 'last-device')) {
        throw conflict('last-device', 'an account keeps at least one device; delete the account instead');
      }
      throw e;
    }
    if (!removed) throw new HttpError('not-found', 'no such device');
    return c.body(null, 204);
  });

  api.put('/accounts/self/device-list', auth, async (c) => {
    const caller = c.var.caller;
    const { deviceList } = await readBody(c, ListBody);
    const identity = await identityOf(caller);
    const list = checked('deviceList', () => openDeviceList(deps.env, deviceList, identity));
    let result: PutDeviceListResult;
    try {
      result = await deps.deviceLists.putDeviceList(caller.account, {
        version: list.version,
        list: deviceList,
        devices: list.devices.map((d) => ({ deviceId: d.deviceId, deviceKey: d.deviceKey })),
      });
    } catch (e) {
      if (StorageError.is(e, 'unknown-device')) {
        throw conflict('unknown-device', 'the list names a device the account does not have');
      }
      throw e;
    }
    if (result.outcome === 'stale') {
      throw conflict('stale', 'the list is not newer than the stored one', {
        deviceList: toB64url(result.current.list),
      });
    }
    return c.body(null, 204);
  });

  api.get('/accounts/:account/device-list', async (c) => {
    const wait = listsPerRequester.take(requesterOf(c));
    if (wait > 0) {
      deps.metrics?.limited.inc({ limit: 'device-lists' });
      c.header('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError('rate-limited', 'too many device-list requests; retry later');
    }
    let account: ReturnType<typeof parseAccountId>;
    try {
      account = parseAccountId(c.req.param('account'));
    } catch {
      throw new HttpError('not-found', 'no device list for that account');
    }
    const stored = await deps.deviceLists.getDeviceList(account);
    if (stored === null) throw new HttpError('not-found', 'no device list for that account');
    return c.json({ deviceList: toB64url(stored.list) });
  });

  return api;
}
