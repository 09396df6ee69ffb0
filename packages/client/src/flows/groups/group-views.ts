/** Groups and their members as the app sees them (api.ts GroupView, GroupMemberView). */
import { accountIdFromKey } from '@parley/protocol';
import type { GroupMemberView, GroupView } from '../../api.ts';
import type { GroupRecord } from '../../engine/group-records.ts';
import { messageView } from '../../views.ts';
import { type ClientContext, getMessage, getRecord } from '../context.ts';
import { summaryReader } from '../summaries.ts';
import { groupEngine, listGroups, stateOf } from './group-context.ts';
import { senderResolver } from './group-log.ts';

export function groupView(g: GroupRecord, me: string): GroupView {
  const engine = groupEngine();
  const state = stateOf(g);
  return {
    id: g.id,
    conversationId: g.id,
    name: g.name,
    description: g.description,
    members: engine.members(state).length,
    epoch: Number(engine.epoch(state)),
    status: g.status,
    admin: g.admins.includes(me),
  };
}

/** Our groups, newest activity first, each with its unread count and last text (its summary). */
export async function groups(ctx: ClientContext): Promise<GroupView[]> {
  const read = summaryReader(ctx.store);
  const out: { view: GroupView; at: number }[] = [];
  for (const g of await listGroups(ctx)) {
    const s = await read(g.id);
    const m = s.lastId === null ? undefined : await getMessage(ctx, g.id, s.lastId);
    const last = m ? messageView(m, m.from?.contactId ?? 'self') : null;
    out.push({
      view: { ...groupView(g, ctx.profile.accountId), unread: s.unread, last },
      at: m ? s.lastAt : g.createdAt,
    });
  }
  return out.sort((a, b) => b.at - a.at).map((e) => e.view);
}

/** One entry per member device, with who it is to us and how far we trust that. */
export async function groupMembers(ctx: ClientContext, g: GroupRecord): Promise<GroupMemberView[]> {
  const engine = groupEngine();
  const state = stateOf(g);
  const me = engine.self(state).leaf;
  const who = await senderResolver(ctx);
  const out: GroupMemberView[] = [];
  for (const m of engine.members(state)) {
    const { contactId, own } = who(m);
    const contact = own || contactId.startsWith('account:') ? undefined : await getRecord(ctx, 'contact', contactId);
    out.push({
      accountId: accountIdFromKey(m.accountKey),
      device: m.deviceId,
      contactId: contact?.id ?? null,
      name: own ? null : (contact?.name ?? null),
      trust: own ? 'self' : contact === undefined ? 'stranger' : contact.verification,
      current: m.leaf === me,
    });
  }
  return out;
}
