import { expectPositionals, numberOption } from '../args.ts';
import { defineCommand } from '../command.ts';
import { formatWhen, qr } from '../format.ts';

export default defineCommand({
  name: 'invite',
  summary: 'make a one-time invitation link (and QR code) for someone to connect to you',
  usage: ['invite [--expires HOURS] [--no-qr]'],
  description: `Creates a one-time invitation: a link (and the same link as a QR code) that carries your
server, a mailbox only for this invitation, and your public keys. Give it to one person through a
channel you trust (in person, a call, another messenger): whoever uses it first becomes your contact,
and the server cannot swap the keys in it. After they run \`parley connect LINK\`, run
\`parley receive\` to complete the connection. A used or expired invitation is refused.`,
  options: {
    expires: { type: 'string', placeholder: 'HOURS', help: 'valid for this many hours (default: 168, a week)' },
    'no-qr': { type: 'boolean', help: 'print only the link, no QR code' },
  },
  examples: ['parley invite', 'parley invite --expires 1 --no-qr', 'parley invite --json | jq -r .invitation.link'],
  async run(ctx, args) {
    expectPositionals(args, [], 'invite');
    const hours = numberOption(args, 'expires', 0.01, 24 * 365, 'invite');
    const client = await ctx.open();
    const invitation = await client.createInvitation(
      hours === undefined ? {} : { ttlMs: Math.round(hours * 3600_000) },
    );
    const code = args.flag('no-qr') || ctx.json ? '' : await qr(invitation.link);
    ctx.result({ invitation }, () => {
      ctx.print(`Invitation (one use, valid until ${formatWhen(invitation.expiresAt)}):`);
      ctx.print('');
      ctx.print(invitation.link);
      if (code !== '') ctx.print(`\n${code}`);
      ctx.print('');
      ctx.print('Give it to one person through a channel you trust. They run: parley connect LINK');
      ctx.print(`Then run \`${ctx.cmd('receive')}\` to complete the connection.`);
    });
    return 0;
  },
});
