/**
 * Our keys on our server (docs/client.md §5): registering the account, keeping the prekeys the
 * policy (engine/prekeys.ts) asks for, and loading the private halves an initial message names.
 * Private keys are always committed before their public halves are uploaded.
 */
import {
  deviceId,
  type InitialMessage,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  signedPreKeyPublic,
} from '@parley/protocol';
import { lastResortKey, type ResponderKeySet } from '../engine/conversation.ts';
import { maintenanceDue, type PreKeyCounts, planPreKeys } from '../engine/prekeys.ts';
import { keyId, put } from '../engine/records.ts';
import { auth, type ClientContext, getRecord, refused } from './context.ts';

/** Registers the account and device (again, after a crash) and uploads the first prekeys. */
export async function finishRegistration(ctx: ClientContext, registrationKey: string | undefined): Promise<void> {
  const p = ctx.profile;
  const api = ctx.api(p.server);
  try {
    await api.register(p.identity, deviceId(p.device), p.deviceKeys, registrationKey);
  } catch (e) {
    // 409: a crash after the server registered us but before we noted it.
    if (!refused(e, 'conflict')) throw e;
  }
  await refillPreKeys(ctx, null);
}

/**
 * A linked device (docs/client.md §4.10): the existing device registered our device key already;
 * our first prekeys go up with our own device proofs.
 */
export async function uploadFirstPreKeys(ctx: ClientContext): Promise<void> {
  await refillPreKeys(ctx, null);
}

/**
 * Tops up prekeys when the policy says a check is due (or now, with `force`); reports bundles the
 * server served with our last-resort key since the last check (`last-resort-used`) once the
 * refill is uploaded.
 */
export async function maintainPreKeys(ctx: ClientContext, force: boolean): Promise<void> {
  const p = ctx.profile;
  if (!force && !maintenanceDue(p, ctx.env.now())) return;
  const used = await refillPreKeys(ctx, await ctx.api(p.server).preKeyCounts(auth(ctx)));
  if (used > 0) ctx.emit([{ type: 'last-resort-used', bundles: used }]);
}

/**
 * Generates what the policy asks for, commits the private halves, then uploads. Returns the
 * bundles served with our last-resort key since the last check.
 */
async function refillPreKeys(ctx: ClientContext, counts: PreKeyCounts | null): Promise<number> {
  const plan = planPreKeys(ctx.env, ctx.profile, counts);
  const p = plan.profile;
  await ctx.commit([
    put('profile', 'self', p),
    ...plan.oneTime.map((k) => put('otpk', keyId(k.id), k)),
    ...plan.kem.map((k) => put('kempk', keyId(k.id), k)),
  ]);
  ctx.profile = p;
  const api = ctx.api(p.server);
  const device = auth(ctx);
  if (plan.rotatedSigned) await api.putSignedPreKey(device, signedPreKeyPublic(p.signedPreKey));
  if (plan.rotatedLastResort) await api.putLastResortKemPreKey(device, kemPreKeyPublic(p.lastResortKem));
  if (plan.oneTime.length > 0) await api.addOneTimePreKeys(device, plan.oneTime.map(oneTimePreKeyPublic));
  if (plan.kem.length > 0) await api.addKemPreKeys(device, plan.kem.map(kemPreKeyPublic));
  if (!p.registered) {
    ctx.profile = { ...p, registered: true };
    await ctx.commit([put('profile', 'self', ctx.profile)]);
  }
  return plan.lastResortUsed;
}

/** Loads the private prekeys an initial message names (undefined: we do not have it). */
export async function responderKeys(ctx: ClientContext, m: InitialMessage): Promise<ResponderKeySet> {
  const p = ctx.profile;
  const h = m.header;
  const signed = [p.signedPreKey, p.previousSignedPreKey].find((k) => k !== null && k.id === h.signedPreKeyId);
  const lastResort = [p.lastResortKem, p.previousLastResortKem].find((k) => k !== null && k.id === h.kemPreKeyId);
  const kem = lastResort ?? (await getRecord(ctx, 'kempk', keyId(h.kemPreKeyId)));
  const oneTime = h.oneTimePreKeyId === null ? null : await getRecord(ctx, 'otpk', keyId(h.oneTimePreKeyId));
  const baseKeyUsed =
    kem?.lastResort === true && (await ctx.store.get('lrused', lastResortKey(h.kemPreKeyId, h.baseKey))) !== undefined;
  return { signed: signed ?? undefined, oneTime, kem: kem ?? undefined, baseKeyUsed };
}
