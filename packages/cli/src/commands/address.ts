import type { AddressView } from '@parley/client';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import type { Context } from '../context.ts';
import { usageError } from '../errors.ts';
import { formatWhen, qr } from '../format.ts';

/** The address, its QR code and what it is for (human output). */
function show(ctx: Context, address: AddressView, code: string): void {
  ctx.print(`Your contact address (since ${formatWhen(address.createdAt)}):`);
  ctx.print('');
  ctx.print(address.link);
  if (code !== '') ctx.print(`\n${code}`);
  ctx.print('');
  ctx.print(`Anyone with this address can send you a contact request (see them with \`${ctx.cmd('receive')}\``);
  ctx.print(`and \`${ctx.cmd('requests')}\`). Stop it with \`${ctx.cmd('address', 'revoke')}\`.`);
}

export default defineCommand({
  name: 'address',
  summary: 'publish, show or revoke your contact address',
  usage: ['address create [--no-qr]', 'address show [--no-qr]', 'address revoke'],
  description: `A contact address (parley://address/…) is a link you can publish: anyone holding it can send you
a contact request with a short introduction, which you accept or reject (\`parley requests\`).
Unlike an invitation it can be used many times, until you revoke it. Keys of people met this way
are "unverified" until you compare safety numbers (\`parley verify\`).

  address create   publishes your address (or shows the existing one: one per profile)
  address show     shows it, with its QR code
  address revoke   deletes it on the server with its pending requests; the link stops working`,
  options: { 'no-qr': { type: 'boolean', help: 'print only the link, no QR code' } },
  examples: ['parley address create', 'parley address show --json', 'parley address revoke'],
  async run(ctx, args) {
    const [sub] = args.positionals;
    if (sub !== 'create' && sub !== 'show' && sub !== 'revoke') {
      throw usageError(
        sub === undefined ? 'missing create, show or revoke' : 'address takes: create, show, revoke',
        'address',
      );
    }
    expectPositionals(args, [], 'address', 1);
    const noQr = args.flag('no-qr') || ctx.json;
    if (sub === 'create' || sub === 'show') {
      const client = await ctx.open(sub === 'show' ? { readOnly: true } : {});
      const address = sub === 'create' ? await client.createAddress() : await client.address();
      const code = address === null || noQr ? '' : await qr(address.link);
      ctx.result({ address }, () => {
        if (address === null)
          ctx.print(`You have no contact address: publish one with \`${ctx.cmd('address', 'create')}\`.`);
        else show(ctx, address, code);
      });
      return 0;
    }
    const client = await ctx.open();
    const revoked = await client.revokeAddress();
    ctx.result({ revoked }, () =>
      ctx.print(
        revoked
          ? 'Your contact address is revoked: the link no longer works and pending requests are gone.'
          : 'You had no contact address.',
      ),
    );
    return 0;
  },
});
