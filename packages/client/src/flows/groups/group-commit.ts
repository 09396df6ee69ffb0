/**
 * One commit to a group (docs/client.md §4.12): caught up first, the proposals planned on the
 * current state, the commit posted with this epoch's write key and the next one's public key.
 * The delivery service takes one commit per epoch (docs/server.md "Groups"): a `stale-epoch`
 * answer means another member's commit won — we read it, and plan again on the new epoch
 * (the plan may then be empty: someone already did it). Our state moves only once the server
 * took our commit; the application messages of the old epoch that came before it are read with
 * the old state first.
 */
import { GroupError, type GroupState } from '@parley/groups';
import type { GroupRecord } from '../../engine/group-records.ts';
import { ClientError } from '../../errors.ts';
import type { ClientContext } from '../context.ts';
import { active, getGroup, groupApi, groupEngine, groupIdBytes, putGroup, stateOf, writeKey } from './group-context.ts';
import { followGroup } from './group-follow.ts';
import { applyEntries, catchUpGroup } from './group-log.ts';

export interface Proposals {
  readonly add?: readonly Uint8Array[];
  readonly remove?: readonly number[];
}

/** Tries this many times before giving up with `group-busy`. */
const ATTEMPTS = 5;

/**
 * Commits what `plan` asks for on the group's current epoch (null: nothing to do). `check` sees
 * the state the commit would make before anything is posted (throw to abort). Returns the group
 * after the commit and its Welcome, or null when there was nothing to do.
 */
export async function commitToGroup(
  ctx: ClientContext,
  start: GroupRecord,
  plan: (state: GroupState) => Promise<Proposals | null>,
  check?: (before: GroupState, after: GroupState) => void,
): Promise<{ group: GroupRecord; welcome?: Uint8Array } | null> {
  const engine = groupEngine();
  const api = groupApi(ctx, start.server);
  let g = (await getGroup(ctx, start.id)) ?? start;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    g = active((await catchUpGroup(ctx, g)).group);
    const state = stateOf(g);
    const proposals = await plan(state);
    if (proposals === null) return null;
    let result: Awaited<ReturnType<typeof engine.commit>>;
    try {
      result = await engine.commit(state, proposals);
    } catch (e) {
      // A key package the server handed out that does not decode or verify (or names a device
      // already in): untrusted input, refused as such; nothing was posted.
      if (e instanceof GroupError)
        throw new ClientError('bad-message', 'A key package for this group was not valid: nothing was changed.', {
          cause: e,
        });
      throw e;
    }
    check?.(state, result.state);
    const key = await writeKey(state);
    const next = await writeKey(result.state);
    const posted = await api.post(groupIdBytes(g), key, {
      kind: 'commit',
      message: result.commit,
      nextWritePublicKey: next.publicKey,
    });
    if (posted.status === 'stale-epoch') continue;
    if (posted.status === 'rejoin') {
      await ctx.commit([putGroup({ ...g, status: 'removed' })]);
      throw new ClientError('not-in-group', 'This device is no longer in that group.');
    }
    // Application messages of the old epoch posted before our commit: read with the old state.
    const before = await api.read(groupIdBytes(g), key, { after: g.cursor });
    const applied =
      before.status === 'ok'
        ? await applyEntries(ctx, g, state, before.entries, posted.seq)
        : { group: g, writes: [], events: [] };
    const after: GroupRecord = {
      ...applied.group,
      state: engine.encodeState(result.state),
      cursor: posted.seq,
      mine: [],
    };
    await ctx.commit([putGroup(after), ...applied.writes]);
    ctx.emit([...applied.events, { type: 'group', change: 'changed', groupId: after.id, status: after.status }]);
    await followGroup(ctx, after);
    return { group: after, ...(result.welcome === undefined ? {} : { welcome: result.welcome }) };
  }
  throw new ClientError('group-busy', 'Other members kept changing the group: try again.');
}
