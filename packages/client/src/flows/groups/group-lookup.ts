/**
 * Which conversation a name or id means when it may be a group (docs/client.md §4.12): a group
 * id, else a contact (contacts win a name clash), else a group by name.
 */
import type { MessageView } from '../../api.ts';
import type { GroupRecord } from '../../engine/group-records.ts';
import { decodeAs } from '../../engine/record-schemas.ts';
import { messageKind } from '../../engine/records.ts';
import { ClientError } from '../../errors.ts';
import { messageView } from '../../views.ts';
import { findContact } from '../contact-lookup.ts';
import type { ClientContext } from '../context.ts';
import { findGroup, getGroup } from './group-context.ts';

/** The group `nameOrId` names, or undefined when it is a contact (or nothing: the contact error). */
export async function groupFor(ctx: ClientContext, nameOrId: string): Promise<GroupRecord | undefined> {
  const byId = await getGroup(ctx, nameOrId);
  if (byId !== undefined) return byId;
  try {
    await findContact(ctx, nameOrId);
    return undefined;
  } catch (e) {
    if (!ClientError.is(e, 'unknown-contact')) throw e;
    try {
      return await findGroup(ctx, nameOrId);
    } catch {
      throw e;
    }
  }
}

/** A group's history, oldest first (`limit` newest ones). */
export async function groupMessages(
  ctx: ClientContext,
  g: GroupRecord,
  options: { limit?: number },
): Promise<MessageView[]> {
  const rows = await ctx.store.list(messageKind(g.id), { reverse: true, limit: options.limit ?? 100 });
  return rows
    .map((r) => {
      const m = decodeAs('message', r.value);
      return messageView(m, m.from?.contactId ?? 'self');
    })
    .reverse();
}
