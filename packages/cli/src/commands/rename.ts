import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine } from '../format.ts';

export default defineCommand({
  name: 'rename',
  summary: 'give a contact another name (yours, on this device only)',
  usage: ['rename CONTACT NEWNAME'],
  description: `Names are local: what a contact calls themselves is only a suggestion, and the name you give
them is seen by nobody else. Names in a profile are unique (compared ignoring case, width and
invisible characters), so a name another contact has gets a -2, -3… suffix.`,
  examples: ['parley rename Bob-2 "Bob from work"'],
  async run(ctx, args) {
    const [who, name] = expectPositionals(args, ['CONTACT', 'NEWNAME'], 'rename') as [string, string];
    const client = await ctx.open();
    const contact = await client.rename(who, name);
    ctx.result({ contact }, () => ctx.print(`Renamed: this contact is now "${cleanLine(contact.name)}".`));
    return 0;
  },
});
