import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { cleanLine, table } from '../format.ts';

export default defineCommand({
  name: 'groups',
  summary: 'list your group chats',
  usage: ['groups'],
  description: `Lists the groups this device is in (or was: removed, left), with how many member devices each
has and how many of its messages you have not read yet.`,
  examples: ['parley groups', 'parley groups --json'],
  async run(ctx, args) {
    expectPositionals(args, [], 'groups');
    const client = await ctx.open({ readOnly: true });
    const groups = await client.groups();
    ctx.result({ groups }, () => {
      if (groups.length === 0) {
        ctx.print(`No groups yet: \`${ctx.cmd('group', 'create', 'NAME')}\`.`);
        return;
      }
      ctx.print(
        table(
          ['NAME', 'MEMBERS', 'STATE', 'ADMIN', 'UNREAD'],
          groups.map((g) => [
            cleanLine(g.name),
            String(g.members),
            g.status,
            g.admin ? 'yes' : '',
            g.unread ? String(g.unread) : '',
          ]),
        ),
      );
    });
    return 0;
  },
});
