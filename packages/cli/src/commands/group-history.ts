/** `parley history GROUP`: a group's conversation, each message with its sender's name. */
import type { GroupView, ParleyClient } from '@parley/client';
import type { Context } from '../context.ts';
import { cleanLine, formatClock, formatDate, messageLines, statusMark } from '../format.ts';
import { Names } from '../notices.ts';

/** The group named (by id, or its name in any case) unless a contact has that name. */
export async function groupNamed(client: ParleyClient, who: string): Promise<GroupView | undefined> {
  const groups = await client.groups();
  const byId = groups.find((g) => g.id === who);
  if (byId !== undefined) return byId;
  if ((await client.contacts()).some((c) => c.id === who || c.name.toLowerCase() === who.toLowerCase()))
    return undefined;
  const named = groups.filter((g) => g.name.toLowerCase() === who.toLowerCase());
  return named.find((g) => g.status === 'active') ?? named[0];
}

export async function groupHistory(ctx: Context, client: ParleyClient, group: GroupView, limit: number) {
  const messages = await client.messages(group.id, { limit });
  const names = new Names(client);
  const lines: string[] = [];
  let day = '';
  for (const m of messages) {
    const d = formatDate(m.sentAt);
    if (d !== day) {
      day = d;
      lines.push(`── ${d} ──`);
    }
    const mine = m.direction === 'out';
    lines.push(
      messageLines(
        formatClock(m.sentAt),
        mine ? 'You' : await names.of(m.contactId),
        m.text,
        mine ? statusMark(m.status) : '',
      ),
    );
  }
  ctx.result({ group, messages }, () => {
    if (messages.length === 0) ctx.print(`No messages in ${cleanLine(group.name)} yet.`);
    for (const l of lines) ctx.print(l);
  });
  return 0;
}
