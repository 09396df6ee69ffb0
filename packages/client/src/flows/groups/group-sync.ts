/**
 * Keeping groups current (docs/client.md §4.12): key packages topped up, every group's log read
 * up to now, and members who asked to leave removed (by whichever member acts first; the others'
 * commits find nothing left to do once they read it).
 */
import { accountIdFromKey, base64url, fromBase64url } from '@parley/protocol';
import type { ClientContext } from '../context.ts';
import { commitToGroup } from './group-commit.ts';
import { groupLock, listGroups } from './group-context.ts';
import { catchUpGroup } from './group-log.ts';
import { maintainKeyPackages } from './key-packages.ts';
import { removal } from './membership.ts';

export async function syncGroups(ctx: ClientContext): Promise<void> {
  await groupLock(ctx, async () => {
    await maintainKeyPackages(ctx);
    const me = base64url(ctx.profile.identity.signing.publicKey);
    for (const g of await listGroups(ctx)) {
      if (g.status !== 'active') continue;
      const { group, leaving } = await catchUpGroup(ctx, g);
      for (const account of new Set(leaving)) {
        const id = accountIdFromKey(fromBase64url(account));
        if (account === me || group.status !== 'active' || !group.admins.includes(ctx.profile.accountId)) continue;
        await commitToGroup(ctx, group, async (state) => removal(state, id)).catch(() => undefined);
      }
    }
  });
}
