/**
 * Creating a group and changing who is in it (docs/client.md §4.12). Every device is a member in
 * its own right: adding a person adds every device on their signed device list that has a key
 * package, and our own other devices come along when we create or add. One commit per change;
 * the Welcome goes to each new device over its 1:1 session (payload `group-welcome`).
 */

import type { GroupState, Member } from '@parley/groups';
import { type AccountId, accountIdFromKey, base64url } from '@parley/protocol';
import { canSendTo, fanOut } from '../../engine/fan-out.ts';
import { MAX_GROUP_DESCRIPTION, MAX_GROUP_NAME } from '../../engine/group-payload.ts';
import type { GroupRecord } from '../../engine/group-records.ts';
import { type ContactRecord, type DeviceRecord, SELF_CONTACT } from '../../engine/records.ts';
import { ClientError } from '../../errors.ts';
import { findContact, identityFrom } from '../contact-lookup.ts';
import { auth, type ClientContext } from '../context.ts';
import { flushOutbox, ignoreDeliveryFailure } from '../outbox.ts';
import { deviceTimes } from '../own-devices.ts';
import { devicesOf } from '../peers.ts';
import { commitToGroup } from './group-commit.ts';
import {
  asAdmin,
  groupApi,
  groupEngine,
  groupLock,
  memberIdentity,
  putGroup,
  stateOf,
  writeKey,
} from './group-context.ts';
import { followGroup } from './group-follow.ts';
import { postToGroup } from './group-send.ts';

/** Creates a group with us (this device) as its only member, then adds our other devices. */
export async function createGroup(
  ctx: ClientContext,
  options: { name: string; description?: string },
): Promise<GroupRecord> {
  const name = options.name.trim();
  const description = options.description ?? '';
  if (name.length === 0 || name.length > MAX_GROUP_NAME)
    throw new ClientError('usage', `A group name is 1 to ${MAX_GROUP_NAME} characters.`);
  if (description.length > MAX_GROUP_DESCRIPTION)
    throw new ClientError('usage', `A group description is at most ${MAX_GROUP_DESCRIPTION} characters.`);
  const g = await groupLock(ctx, async () => {
    const engine = groupEngine();
    const id = ctx.env.random(16);
    const state = await engine.createGroup({ groupId: id, self: await memberIdentity(ctx) });
    await groupApi(ctx).createGroup(auth(ctx), id, (await writeKey(state)).publicKey);
    const group: GroupRecord = {
      v: 1,
      id: base64url(id),
      server: ctx.profile.server,
      name,
      description,
      state: engine.encodeState(state),
      cursor: 0,
      mine: [],
      status: 'active',
      admins: [accountIdFromKey(ctx.profile.identity.signing.publicKey)],
      createdAt: ctx.env.now(),
    };
    await ctx.commit([putGroup(group)]);
    await followGroup(ctx, group);
    return group;
  });
  return (await addPeople(ctx, g, [])) ?? g;
}

/** Adds the contacts (every device of theirs) and any device of ours not in yet. */
export async function addToGroup(
  ctx: ClientContext,
  group: GroupRecord,
  names: readonly string[],
): Promise<GroupRecord> {
  const contacts: ContactRecord[] = [];
  for (const n of names) {
    const c = await findContact(ctx, n);
    if (c.state !== 'connected')
      throw new ClientError(
        'not-connected',
        `${c.name} has not answered yet: wait for them to accept, then try again.`,
      );
    contacts.push(c);
  }
  return (await addPeople(ctx, group, contacts)) ?? group;
}

interface Target {
  readonly contactId: string;
  readonly account: AccountId;
  readonly devices: DeviceRecord[];
  readonly server: string;
}

async function targetOf(ctx: ClientContext, contactId: string, identity: Uint8Array | null): Promise<Target> {
  const now = ctx.env.now();
  const times = deviceTimes(ctx);
  const devices = (await devicesOf(ctx, contactId)).filter((d) => canSendTo(d, now, times));
  const account =
    identity === null
      ? accountIdFromKey(ctx.profile.identity.signing.publicKey)
      : accountIdFromKey(identityFrom(identity).signingKey);
  const server = identity === null ? ctx.profile.server : (devices[0]?.theirMailbox?.server ?? ctx.profile.server);
  return { contactId, account, devices, server };
}

async function addPeople(
  ctx: ClientContext,
  group: GroupRecord,
  contacts: ContactRecord[],
): Promise<GroupRecord | null> {
  asAdmin(ctx, group);
  const targets = [await targetOf(ctx, SELF_CONTACT, null)];
  for (const c of contacts) targets.push(await targetOf(ctx, c.id, c.identity));
  const engine = groupEngine();
  const done = await groupLock(ctx, async () => {
    /** Key packages fetched once: a retried commit uses the same ones (no Welcome went out yet). */
    const fetched = new Map<string, { device: number; keyPackage: Uint8Array }[]>();
    const expected = new Set<string>();
    const result = await commitToGroup(
      ctx,
      group,
      async (state) => {
        const present = new Set(engine.members(state).map(memberKey));
        const add: Uint8Array[] = [];
        for (const t of targets) {
          const wanted = t.devices.filter((d) => !present.has(`${t.account}.${d.device}`));
          if (wanted.length === 0) continue;
          let kps = fetched.get(t.account);
          if (kps === undefined) {
            kps = (await groupApi(ctx, t.server).fetchKeyPackages(t.account)).map((k) => ({
              device: k.deviceId,
              keyPackage: k.keyPackage,
            }));
            fetched.set(t.account, kps);
          }
          for (const d of wanted) {
            const kp = kps.find((k) => k.device === d.device);
            if (kp === undefined) continue; // a device without key packages (an older client): not added
            add.push(kp.keyPackage);
            expected.add(`${t.account}.${d.device}`);
          }
        }
        return add.length === 0 ? null : { add };
      },
      (before, after) => {
        // The server handed out these key packages: each must be the device we asked for.
        const had = new Set(engine.members(before).map(memberKey));
        for (const m of engine.members(after)) {
          if (!had.has(memberKey(m)) && !expected.has(memberKey(m)))
            throw new ClientError('bad-message', 'A key package for a device we did not ask for: nothing was added.');
        }
      },
    );
    if (result === null || result.welcome === undefined) return result?.group ?? null;
    // The Welcome to each new device, over its 1:1 session.
    const welcome = result.welcome;
    const added = new Set(engine.members(stateOf(result.group)).map(memberKey));
    await ctx.serial(async () => {
      const writes = [];
      for (const t of targets) {
        const fresh = (await devicesOf(ctx, t.contactId)).filter(
          (d) => added.has(`${t.account}.${d.device}`) && expected.has(`${t.account}.${d.device}`),
        );
        if (fresh.length === 0) continue;
        const payload = {
          t: 'group-welcome' as const,
          group: engine.groupId(stateOf(result.group)),
          welcome,
          server: result.group.server,
          name: result.group.name,
          description: result.group.description,
          admins: result.group.admins,
        };
        writes.push(...fanOut(ctx.env, fresh, payload, null, ctx.newId).writes);
      }
      await ctx.commit(writes);
    });
    return result.group;
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  return done;
}

const memberKey = (m: Member) => `${accountIdFromKey(m.accountKey)}.${m.deviceId}`;

/** Removes every device of the person from the group, in one commit. */
export async function removeFromGroup(ctx: ClientContext, group: GroupRecord, name: string): Promise<GroupRecord> {
  asAdmin(ctx, group);
  const c = await findContact(ctx, name);
  const account = accountIdFromKey(identityFrom(c.identity).signingKey);
  const result = await groupLock(ctx, () => commitToGroup(ctx, group, async (state) => removal(state, account)));
  return result?.group ?? group;
}

/** The leaves of an account (none: nothing to do). */
export function removal(state: GroupState, account: string): { remove: number[] } | null {
  const leaves = groupEngine()
    .members(state)
    .filter((m) => accountIdFromKey(m.accountKey) === account)
    .map((m) => m.leaf);
  return leaves.length === 0 ? null : { remove: leaves };
}

/**
 * Leaves the group: MLS has no self-removal by commit, so we ask (`leave`, an application
 * message every member reads) and the next member to act removes all our account's leaves; this
 * device stops reading at once.
 */
export async function leaveGroup(ctx: ClientContext, group: GroupRecord): Promise<void> {
  await groupLock(ctx, async () => {
    await postToGroup(ctx, group, { t: 'leave' });
    const now = await ctx.store.get('group', group.id);
    if (now !== undefined) await ctx.commit([putGroup({ ...group, status: 'left' })]);
  });
}

/** Makes a contact an admin too: an `admins` message every member takes from an admin only. */
export async function addGroupAdmin(ctx: ClientContext, group: GroupRecord, name: string): Promise<GroupRecord> {
  asAdmin(ctx, group);
  const c = await findContact(ctx, name);
  const account = accountIdFromKey(identityFrom(c.identity).signingKey);
  return groupLock(ctx, async () => {
    const admins = [...new Set([...group.admins, account])];
    const { group: g } = await postToGroup(ctx, group, { t: 'admins', admins });
    const after = { ...g, admins };
    await ctx.commit([putGroup(after)]);
    return after;
  });
}
