/**
 * Keeping groups current (docs/client.md §4.12): key packages topped up, every group's log read
 * up to now, and members who asked to leave removed by an admin (whichever acts first; the
 * others' commits find nothing left to do once they read it). One group failing to read (its
 * server answering nonsense, say) does not stop the others, nor the 1:1 sync around it.
 */
import type { GroupRecord } from '../../engine/group-records.ts';
import { ClientError } from '../../errors.ts';
import type { ClientContext } from '../context.ts';
import { commitToGroup } from './group-commit.ts';
import { getGroup, groupLock, listGroups, putGroup } from './group-context.ts';
import { catchUpGroup } from './group-log.ts';
import { maintainKeyPackages } from './key-packages.ts';
import { removal } from './membership.ts';

export async function syncGroups(ctx: ClientContext): Promise<void> {
  await groupLock(ctx, async () => {
    // A server without group routes (an older one) answers 404: groups are then unavailable,
    // 1:1 messaging is not affected.
    await maintainKeyPackages(ctx).catch((e: unknown) => {
      if (!ClientError.is(e, 'server-error')) throw e;
    });
    for (const g of await listGroups(ctx)) {
      if (g.status !== 'active') continue;
      try {
        const { group } = await catchUpGroup(ctx, g);
        await removeLeavers(ctx, group);
      } catch (e) {
        if (ClientError.is(e, 'server-unreachable') || ClientError.is(e, 'rate-limited')) throw e;
      }
    }
  });
}

/** As an admin: removes the accounts that asked to leave (all their leaves, one commit each). */
async function removeLeavers(ctx: ClientContext, group: GroupRecord): Promise<void> {
  const me = ctx.profile.accountId;
  const leaving = (group.leaving ?? []).filter((a) => a !== me);
  if (leaving.length === 0 || group.status !== 'active' || !group.admins.includes(me)) return;
  for (const account of leaving) await commitToGroup(ctx, group, async (state) => removal(state, account));
  const now = await getGroup(ctx, group.id);
  if (now !== undefined) await ctx.commit([putGroup({ ...now, leaving: [] })]);
}
