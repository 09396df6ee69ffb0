/**
 * Which groups this client's `GroupSocket` follows, at which epoch (group-push.ts starts and
 * stops the socket). Flows that move a group to a new epoch (a commit read or made, a join) call
 * {@link followGroup}; without a socket (offline) it does nothing.
 */
import { fromBase64url } from '@parley/protocol';
import type { GroupRecord } from '../../engine/group-records.ts';
import type { GroupSocket } from '../../net/group-socket.ts';
import type { ClientContext } from '../context.ts';
import { stateOf, writeKey } from './group-context.ts';

interface Following {
  readonly socket: GroupSocket;
  /** The epoch each group is followed at: the socket moves its own cursor within an epoch. */
  readonly epochs: Map<string, number>;
}

const following = new WeakMap<ClientContext, Following>();

export function setGroupSocket(ctx: ClientContext, socket: GroupSocket | null): void {
  following.get(ctx)?.socket.close();
  if (socket === null) following.delete(ctx);
  else following.set(ctx, { socket, epochs: new Map() });
}

export const hasGroupSocket = (ctx: ClientContext): boolean => following.has(ctx);

/** Follows the group at its current epoch and cursor (or stops following it when we are out). */
export async function followGroup(ctx: ClientContext, g: GroupRecord): Promise<void> {
  const f = following.get(ctx);
  if (f === undefined) return;
  const id = fromBase64url(g.id);
  // The socket is to our own server; groups kept elsewhere are read at each sync.
  if (g.status !== 'active' || g.server !== ctx.profile.server) {
    f.socket.unfollow(id);
    f.epochs.delete(g.id);
    return;
  }
  const key = await writeKey(stateOf(g));
  if (f.epochs.get(g.id) === key.epoch) return;
  f.epochs.set(g.id, key.epoch);
  f.socket.follow(id, key, g.cursor);
}
