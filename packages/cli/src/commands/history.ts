import { expectPositionals, numberOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine, formatClock, formatDate, messageLines, statusMark } from '../format.ts';
import { groupHistory, groupNamed } from './group-history.ts';

export default defineCommand({
  name: 'history',
  summary: 'show the conversation with a contact',
  usage: ['history CONTACT [--limit N]'],
  description: `Prints the last N messages with CONTACT, oldest first, with the status of the ones you sent:
(queued) not yet taken by their server, ✓ stored by their server, ✓✓ delivered to their device.
It does not fetch new messages: run \`parley receive\` first.`,
  options: { limit: { type: 'string', placeholder: 'N', help: 'how many messages (default: 50)' } },
  examples: ['parley history Bob', 'parley history Bob --limit 500 --json'],
  async run(ctx, args) {
    const [who] = expectPositionals(args, ['CONTACT'], 'history') as [string];
    const limit = Math.floor(numberOption(args, 'limit', 1, 100_000, 'history') ?? 50);
    const client = await ctx.open({ readOnly: true });
    const group = await groupNamed(client, who);
    if (group !== undefined) return groupHistory(ctx, client, group, limit);
    const contact = await client.contact(who);
    const messages = await client.messages(contact.id, { limit });
    ctx.result({ contact, messages }, () => {
      const name = cleanLine(contact.name);
      if (messages.length === 0) {
        ctx.print(`No messages with ${name} yet.`);
        return;
      }
      let day = '';
      for (const m of messages) {
        const d = formatDate(m.sentAt);
        if (d !== day) {
          day = d;
          ctx.print(`── ${d} ──`);
        }
        const mine = m.direction === 'out';
        ctx.print(messageLines(formatClock(m.sentAt), mine ? 'You' : name, m.text, mine ? statusMark(m.status) : ''));
      }
    });
    return 0;
  },
});
