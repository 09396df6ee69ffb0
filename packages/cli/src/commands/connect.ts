import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { CliError } from '../errors.ts';
import { cleanLine } from '../format.ts';

export default defineCommand({
  name: 'connect',
  summary: "use someone's invitation link to connect to them",
  usage: ['connect LINK [--name ALIAS]'],
  description: `Uses a one-time invitation link (parley://invite/…) someone gave you. Their keys come from the
link itself, so their server cannot substitute them. The contact stays "pending" until the inviter
answers: run \`parley receive\` a little later (or keep \`parley chat NAME\` open).
For a contact address (parley://address/…) use \`parley request\` instead.`,
  options: {
    name: { type: 'string', placeholder: 'ALIAS', help: 'your name for this contact (default: the name they give)' },
  },
  examples: ["parley connect 'parley://invite/AQ…' --name Bob"],
  async run(ctx, args) {
    const [link] = expectPositionals(args, ['LINK'], 'connect') as [string];
    const { client: sdk } = await ctx.sdk();
    if (link.trim().startsWith(sdk.ADDRESS_PREFIX)) {
      throw new CliError(
        'bad-link',
        'This is a contact address, not an invitation: send a contact request with `parley request ADDRESS`.',
      );
    }
    const name = args.string('name');
    const client = await ctx.open();
    const contact = await client.connect(link, name === undefined ? {} : { name });
    ctx.result({ contact }, () => {
      ctx.print(
        name === undefined
          ? 'Connected to the invitation; the contact is pending. Once they answer, they are named by what they call themselves (made unique here; choose a name with --name).'
          : `Connected to the invitation; contact "${cleanLine(contact.name)}" is pending.`,
      );
      ctx.print(`Run \`${ctx.cmd('receive')}\` in a moment: once the inviter answers, you can send messages.`);
    });
    return 0;
  },
});
