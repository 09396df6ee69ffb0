/**
 * Sending to a group (docs/client.md §4.12): the payload encrypted as an MLS application message
 * in our current epoch (RFC 9420 §6.3) and posted with the epoch's write key. The state after
 * encrypting is committed before the post (a crash must never reuse a message key); a
 * `stale-epoch` answer (a commit came first) means: read the log up to now, encrypt again.
 */
import type { MessageView } from '../../api.ts';
import { encodeGroupPayload, type GroupPayload } from '../../engine/group-payload.ts';
import type { GroupRecord } from '../../engine/group-records.ts';
import { MAX_TEXT } from '../../engine/payload.ts';
import { type MessageRecord, messageKind, put } from '../../engine/records.ts';
import { ClientError } from '../../errors.ts';
import { messageView } from '../../views.ts';
import type { ClientContext } from '../context.ts';
import {
  active,
  getGroup,
  groupApi,
  groupEngine,
  groupIdBytes,
  groupLock,
  putGroup,
  stateOf,
  writeKey,
} from './group-context.ts';
import { catchUpGroup } from './group-log.ts';

const ATTEMPTS = 5;

/** Posts `payload` to the group (call inside the group lock). Returns the group after and the seq. */
export async function postToGroup(
  ctx: ClientContext,
  start: GroupRecord,
  payload: GroupPayload,
  extra: (g: GroupRecord) => ReturnType<typeof put>[] = () => [],
): Promise<{ group: GroupRecord; seq: number }> {
  const engine = groupEngine();
  // The caller's copy may predate work queued before it: the stored one is current.
  let g = active((await getGroup(ctx, start.id)) ?? start);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const state = stateOf(g);
    const sealed = await engine.encrypt(state, encodeGroupPayload(payload));
    g = { ...g, state: engine.encodeState(sealed.state) };
    await ctx.commit([putGroup(g)]);
    const posted = await groupApi(ctx, g.server).post(groupIdBytes(g), await writeKey(state), {
      kind: 'application',
      message: sealed.message,
    });
    if (posted.status === 'posted') {
      g = { ...g, mine: [...g.mine, posted.seq] };
      await ctx.commit([putGroup(g), ...extra(g)]);
      return { group: g, seq: posted.seq };
    }
    if (posted.status === 'rejoin') break;
    g = active((await catchUpGroup(ctx, g)).group);
  }
  throw new ClientError('group-busy', 'Other members kept changing the group: try again.');
}

/** Sends a text to a group: stored as ours once the delivery service took it. */
export async function sendToGroup(ctx: ClientContext, group: GroupRecord, text: string): Promise<MessageView> {
  if (text.length === 0) throw new ClientError('usage', 'The message is empty.');
  if (text.length > MAX_TEXT) throw new ClientError('usage', `The message is longer than ${MAX_TEXT} characters.`);
  const now = ctx.env.now();
  const id = ctx.newId();
  const record: MessageRecord = {
    v: 2,
    id,
    conversationId: group.id,
    direction: 'out',
    from: null,
    text,
    sentAt: now,
    storedAt: now,
    status: 'sent',
    wireId: id,
  };
  await groupLock(ctx, async () => {
    await postToGroup(ctx, group, { t: 'text', id, sentAt: now, body: text }, () => [
      put(messageKind(group.id), id, record),
    ]);
  });
  return messageView(record, 'self');
}
