/**
 * A `group-welcome` from a contact or our own device (docs/client.md §4.12): joined with the key
 * package secret the Welcome names (RFC 9420 §12.4.3.1), the group stored at the Welcome's epoch
 * with cursor 0 (the log's entries of that epoch come after the commit that added us), and read
 * at once outside the client's queue. The one-time secret is deleted in the same batch.
 */

import { GroupError } from '@parley/groups';
import { base64url } from '@parley/protocol';
import type { GroupRecord } from '../../engine/group-records.ts';
import { checkServerUrl } from '../../engine/links.ts';
import type { Payload } from '../../engine/payload.ts';
import { del } from '../../engine/records.ts';
import type { RecordWrite } from '../../store/record-store.ts';
import type { ClientContext } from '../context.ts';
import { getGroup, groupEngine, groupLock, putGroup } from './group-context.ts';
import { catchUpGroup } from './group-log.ts';
import { keyPackageSecrets, maintainKeyPackages } from './key-packages.ts';

type Welcome = Extract<Payload, { t: 'group-welcome' }>;

/** The writes that join the group (none for a Welcome we cannot use), and the group joined. */
export async function acceptGroupWelcome(
  ctx: ClientContext,
  w: Welcome,
): Promise<{ writes: RecordWrite[]; group: GroupRecord | null }> {
  const id = base64url(w.group);
  let server: string;
  try {
    server = checkServerUrl(w.server);
  } catch {
    return { writes: [], group: null };
  }
  const known = await getGroup(ctx, id);
  if (known !== undefined && known.status === 'active') return { writes: [], group: null };
  const engine = groupEngine();
  for (const k of await keyPackageSecrets(ctx)) {
    let state: Awaited<ReturnType<typeof engine.join>>;
    try {
      state = await engine.join(w.welcome, k.record.secret);
    } catch (e) {
      if (e instanceof GroupError) continue; // not for this key package, or not valid at all
      throw e;
    }
    if (base64url(engine.groupId(state)) !== id) return { writes: [], group: null };
    const group: GroupRecord = {
      v: 1,
      id,
      server,
      name: w.name,
      description: w.description,
      state: engine.encodeState(state),
      cursor: 0,
      mine: [],
      status: 'active',
      admins: w.admins,
      createdAt: ctx.env.now(),
    };
    return { writes: [putGroup(group), ...(k.record.lastResort ? [] : [del('gkp', k.id)])], group };
  }
  return { writes: [], group: null };
}

/** After joining: the log read up to now and our key packages topped up (outside the queue). */
export function afterJoin(ctx: ClientContext, group: GroupRecord): void {
  void groupLock(ctx, async () => {
    await catchUpGroup(ctx, group);
    await maintainKeyPackages(ctx);
  }).catch(() => undefined);
}
