/**
 * What the group flows share (docs/client.md §4.12): the group engine, our server's group
 * delivery service, one lock per client for group work (it spans server calls, so it is not the
 * client's serial queue, which must not be held across them), and the group records.
 */

import { createGroupEngine, type GroupEngine, type GroupState, type MemberIdentity } from '@parley/groups';
import { accountIdFromKey, fromBase64url } from '@parley/protocol';
import { decodeGroupRecord, type GroupRecord, type MemberIdentityRecord } from '../../engine/group-records.ts';
import { put } from '../../engine/records.ts';
import { ClientError } from '../../errors.ts';
import { GroupApi, type GroupApiLike, type GroupWriteKey } from '../../net/group-api.ts';
import type { ClientContext } from '../context.ts';

let sharedEngine: GroupEngine | undefined;
/** One engine for every client (it holds no state: state in, state out). */
export function groupEngine(): GroupEngine {
  sharedEngine ??= createGroupEngine();
  return sharedEngine;
}

const apis = new WeakMap<ClientContext, Map<string, GroupApiLike>>();
/** The group delivery service of `url` (default: our own server's). */
export function groupApi(ctx: ClientContext, url: string = ctx.profile.server): GroupApiLike {
  let byUrl = apis.get(ctx);
  if (byUrl === undefined) {
    byUrl = new Map();
    apis.set(ctx, byUrl);
  }
  let api = byUrl.get(url);
  if (api === undefined) {
    api = ctx.options.groupApi?.(url) ?? new GroupApi(url, { env: ctx.env });
    byUrl.set(url, api);
  }
  return api;
}

const locks = new WeakMap<ClientContext, Promise<unknown>>();
/** Runs `f` after the group work queued before it on this client (commits and reads of every group). */
export function groupLock<T>(ctx: ClientContext, f: () => Promise<T>): Promise<T> {
  const run = (locks.get(ctx) ?? Promise.resolve()).then(f, f);
  locks.set(
    ctx,
    run.catch(() => undefined),
  );
  return run;
}

export async function getGroup(ctx: ClientContext, id: string): Promise<GroupRecord | undefined> {
  const bytes = await ctx.store.get('group', id);
  return bytes === undefined ? undefined : decodeGroupRecord('group', bytes);
}

export async function listGroups(ctx: ClientContext): Promise<GroupRecord[]> {
  return (await ctx.store.list('group')).map((r) => decodeGroupRecord('group', r.value));
}

/** A group by id or name (case-insensitive); `unknown-group` otherwise. */
export async function findGroup(ctx: ClientContext, nameOrId: string): Promise<GroupRecord> {
  const byId = await getGroup(ctx, nameOrId).catch(() => undefined);
  if (byId !== undefined) return byId;
  const key = nameOrId.trim().toLowerCase();
  // An active group first; else one we are out of (so that its errors say why).
  const found = (await listGroups(ctx)).filter((g) => g.name.toLowerCase() === key);
  const g = found.find((x) => x.status === 'active') ?? found[0];
  if (g === undefined)
    throw new ClientError('unknown-group', 'There is no group by that name: run `groups` to list them.');
  return g;
}

export const putGroup = (g: GroupRecord) => put('group', g.id, g);
export const groupIdBytes = (g: GroupRecord): Uint8Array => fromBase64url(g.id);
export const stateOf = (g: GroupRecord): GroupState => groupEngine().decodeState(g.state);

/** The write key of `state`'s epoch (docs/protocol-groups.md §4), as GroupApi takes it. */
export async function writeKey(state: GroupState): Promise<GroupWriteKey & { publicKey: Uint8Array }> {
  const e = groupEngine();
  const k = await e.writeKeyPair(state);
  return { epoch: Number(e.epoch(state)), privateKey: k.privateKey, publicKey: k.publicKey };
}

export function active(g: GroupRecord): GroupRecord {
  if (g.status === 'stalled')
    throw new ClientError(
      'not-in-group',
      'A member who is not an admin changed this group; every member refused it, so it cannot go on.',
    );
  if (g.status !== 'active') throw new ClientError('not-in-group', 'This device is no longer in that group.');
  return g;
}

/** Throws `not-admin` unless our account is one of the group's admins. */
export function asAdmin(ctx: ClientContext, g: GroupRecord): GroupRecord {
  if (!g.admins.includes(accountIdFromKey(ctx.profile.identity.signing.publicKey)))
    throw new ClientError('not-admin', 'Only the group’s admins add and remove members.');
  return g;
}

/** This device's member identity: made once (a leaf signature key bound by our identity key). */
export async function memberIdentity(ctx: ClientContext): Promise<MemberIdentity> {
  const bytes = await ctx.store.get('gself', 'self');
  if (bytes !== undefined) return identityOf(decodeGroupRecord('gself', bytes));
  const p = ctx.profile;
  const id = await groupEngine().newIdentity({
    publicKey: p.identity.signing.publicKey,
    privateKey: p.identity.signing.privateKey,
    deviceId: p.device,
  });
  const record: MemberIdentityRecord = {
    v: 1,
    signatureKey: id.signatureKey,
    accountKey: id.credential.accountKey,
    deviceId: id.credential.deviceId,
    binding: id.credential.binding,
  };
  await ctx.commit([put('gself', 'self', record)]);
  return id;
}

const identityOf = (r: MemberIdentityRecord): MemberIdentity => ({
  credential: { accountKey: r.accountKey, deviceId: r.deviceId, binding: r.binding },
  signatureKey: r.signatureKey,
});
