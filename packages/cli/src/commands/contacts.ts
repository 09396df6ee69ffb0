import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine, formatDate, table } from '../format.ts';

export default defineCommand({
  name: 'contacts',
  summary: 'list your contacts',
  usage: ['contacts'],
  description: `Lists your contacts: their state (pending until the other side answers), whether you compared
the safety number (verified), where their keys came from, how many of their devices your messages
go to (one safety number covers them all), and a loud mark when a contact's identity key changed
(see \`parley verify NAME\`), and how many of their messages you have not read yet (UNREAD: shown
by \`parley receive\` or \`parley chat NAME\`).`,
  examples: ['parley contacts', 'parley contacts --json'],
  async run(ctx, args) {
    expectPositionals(args, [], 'contacts');
    const client = await ctx.open({ readOnly: true });
    const unread = new Map((await client.conversations()).map((c) => [c.contactId, c.unread]));
    const contacts = (await client.contacts()).map((c) => ({ ...c, unread: unread.get(c.id) ?? 0 }));
    ctx.result({ contacts }, () => {
      if (contacts.length === 0) {
        ctx.print(
          `No contacts yet: \`${ctx.cmd('invite')}\`, \`${ctx.cmd('connect', 'LINK')}\` or \`${ctx.cmd('request', 'ADDRESS')}\`.`,
        );
        return;
      }
      ctx.print(
        table(
          ['NAME', 'STATE', 'SAFETY NUMBER', 'KEYS FROM', 'DEVICES', 'UNREAD', 'SINCE'],
          contacts.map((c) => [
            cleanLine(c.name),
            c.state,
            c.identityChanged ? '⚠ CHANGED' : c.verification,
            c.keySource,
            String(c.devices ?? ''),
            c.unread === 0 ? '' : String(c.unread),
            formatDate(c.createdAt),
          ]),
        ),
      );
      if (contacts.some((c) => c.identityChanged)) {
        ctx.print('');
        ctx.print(`⚠ A contact's identity key changed: check it with \`${ctx.cmd('verify', 'NAME')}\`.`);
      }
    });
    return 0;
  },
});
