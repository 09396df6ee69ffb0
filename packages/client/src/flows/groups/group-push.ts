/**
 * Groups while the client is online (docs/client.md §4.12): one `GroupSocket` follows every
 * active group from its cursor with its epoch's write key. A pushed entry is not processed from
 * the push itself: it wakes a catch-up read of that group (group-log.ts), which handles the
 * epoch's entries in order and moves on past commits; the socket then follows with the group's
 * new key (group-follow.ts). So there is one code path for reading, and a push says "read now".
 */
import { base64url } from '@parley/protocol';
import { GroupSocket } from '../../net/group-socket.ts';
import type { ClientContext } from '../context.ts';
import { getGroup, groupLock, listGroups } from './group-context.ts';
import { followGroup, hasGroupSocket, setGroupSocket } from './group-follow.ts';
import { catchUpGroup } from './group-log.ts';

/** Follows every active group over one socket to our server (until {@link stopGroupPush}). */
export async function startGroupPush(ctx: ClientContext): Promise<void> {
  if (hasGroupSocket(ctx)) return;
  const socket = new GroupSocket(ctx.profile.server, {
    env: ctx.env,
    onEntry: async (groupId) => {
      await groupLock(ctx, async () => {
        const g = await getGroup(ctx, base64url(groupId));
        if (g !== undefined && g.status === 'active') await catchUpGroup(ctx, g);
      });
    },
    onError: () => undefined,
  });
  setGroupSocket(ctx, socket);
  for (const g of await listGroups(ctx)) await followGroup(ctx, g);
}

export function stopGroupPush(ctx: ClientContext): void {
  setGroupSocket(ctx, null);
}
