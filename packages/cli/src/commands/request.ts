import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { CliError } from '../errors.ts';
import { cleanLine } from '../format.ts';

export default defineCommand({
  name: 'request',
  summary: "send a contact request to someone's contact address",
  usage: ['request ADDRESS [--message TEXT] [--name ALIAS]'],
  description: `Sends a contact request to a contact address (parley://address/…), with a short introduction
that only its owner can read (it is signed by you and encrypted to them). The contact stays
"pending" until they accept; run \`parley receive\` later to see the answer. (If they reject it,
you are not told: the contact simply stays pending.)`,
  options: {
    message: { type: 'string', placeholder: 'TEXT', help: 'your introduction ("hi, it\'s Bob from the meetup")' },
    name: { type: 'string', placeholder: 'ALIAS', help: 'your name for this contact (default: the name they give)' },
  },
  examples: ["parley request 'parley://address/AQ…' --message \"hi, it's Bob from the meetup\" --name Alice"],
  async run(ctx, args) {
    const [link] = expectPositionals(args, ['ADDRESS'], 'request') as [string];
    const { client: sdk } = await ctx.sdk();
    if (link.trim().startsWith(sdk.INVITE_PREFIX)) {
      throw new CliError(
        'bad-link',
        'This is an invitation link, not a contact address: use it with `parley connect LINK`.',
      );
    }
    const message = args.string('message');
    const name = args.string('name');
    const client = await ctx.open();
    const contact = await client.sendRequest(link, {
      ...(message === undefined ? {} : { message }),
      ...(name === undefined ? {} : { name }),
    });
    ctx.result({ contact }, () => {
      ctx.print(`Contact request sent; contact "${cleanLine(contact.name)}" is pending until they accept.`);
      ctx.print(`Run \`${ctx.cmd('receive')}\` later to see their answer.`);
    });
    return 0;
  },
});
