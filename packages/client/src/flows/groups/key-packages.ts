/**
 * Our MLS key packages on our server (docs/client.md §4.12, docs/server.md "Key packages"), kept
 * like prekeys (prekey-maintenance.ts): a batch of one-time ones and one last resort per device;
 * refilled when the server holds fewer than {@link KEY_PACKAGES_LOW}. The secrets are committed
 * before their public halves are uploaded, so a key package on the server always has its secret.
 */

import { decodeGroupRecord, type KeyPackageRecord, LAST_RESORT_KP } from '../../engine/group-records.ts';
import { put } from '../../engine/records.ts';
import { auth, type ClientContext } from '../context.ts';
import { groupApi, groupEngine, memberIdentity } from './group-context.ts';

export const KEY_PACKAGES_TARGET = 10;
export const KEY_PACKAGES_LOW = 4;

/** Tops up this device's key packages on our server. */
export async function maintainKeyPackages(ctx: ClientContext): Promise<void> {
  const api = groupApi(ctx);
  const counts = await api.keyPackageCounts(auth(ctx));
  const wantOneTime = counts.oneTime < KEY_PACKAGES_LOW ? KEY_PACKAGES_TARGET - counts.oneTime : 0;
  const needLastResort = !counts.lastResort || (await ctx.store.get('gkp', LAST_RESORT_KP)) === undefined;
  if (wantOneTime === 0 && !needLastResort) return;
  const engine = groupEngine();
  const self = await memberIdentity(ctx);
  const now = ctx.env.now();
  const oneTime: Uint8Array[] = [];
  const writes = [];
  for (let i = 0; i < wantOneTime; i++) {
    const kp = await engine.keyPackage(self);
    oneTime.push(kp.public);
    const r: KeyPackageRecord = { v: 1, secret: kp.private, lastResort: false, createdAt: now };
    writes.push(put('gkp', ctx.newId(), r));
  }
  let lastResort: Uint8Array | undefined;
  if (needLastResort) {
    const kp = await engine.keyPackage(self);
    lastResort = kp.public;
    const r: KeyPackageRecord = { v: 1, secret: kp.private, lastResort: true, createdAt: now };
    writes.push(put('gkp', LAST_RESORT_KP, r));
  }
  await ctx.commit(writes);
  await api.uploadKeyPackages(auth(ctx), { oneTime, ...(lastResort === undefined ? {} : { lastResort }) });
}

/** Our key package secrets, one-time ones first (a Welcome names one of them). */
export async function keyPackageSecrets(ctx: ClientContext): Promise<{ id: string; record: KeyPackageRecord }[]> {
  const rows = await ctx.store.list('gkp');
  const all = rows.map((r) => ({ id: r.id, record: decodeGroupRecord('gkp', r.value) }));
  return [...all.filter((k) => !k.record.lastResort), ...all.filter((k) => k.record.lastResort)];
}
