import type { ParleyClient, RequestView } from '@parley/client';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { CliError, usageError } from '../errors.ts';
import { cleanLine, formatWhen, table, truncate } from '../format.ts';

/** A request by its id, or by the requester's name when only one request has it. */
async function findRequest(client: ParleyClient, idOrName: string): Promise<RequestView> {
  const all = await client.requests();
  const byId = all.find((r) => r.id === idOrName);
  if (byId) return byId;
  const byName = all.filter((r) => r.name.toLowerCase() === idOrName.toLowerCase());
  if (byName.length === 1) return byName[0] as RequestView;
  throw new CliError(
    'unknown-request',
    byName.length > 1
      ? 'Several requests have that name: use the request id (run `parley requests`).'
      : 'There is no pending request with that id: run `parley requests` (and `parley receive` to fetch new ones).',
  );
}

export default defineCommand({
  name: 'requests',
  summary: 'list contact requests left at your address; accept or reject one',
  usage: ['requests', 'requests accept ID [--name ALIAS]', 'requests reject ID'],
  description: `Contact requests arrive at your contact address (\`parley address create\`) and are fetched by
\`parley receive\`. List them, then accept (the requester becomes a contact and can message you) or
reject (it is deleted; the requester is not told). ID is the request id from the list, or the
requester's name when no other request has it.`,
  options: { name: { type: 'string', placeholder: 'ALIAS', help: 'your name for the new contact (accept)' } },
  examples: ['parley requests', 'parley requests accept 000001732391234000 --name Bob', 'parley requests reject Carol'],
  async run(ctx, args) {
    const [sub] = args.positionals;
    if (sub === undefined) {
      const client = await ctx.open({ readOnly: true });
      const requests = await client.requests();
      ctx.result({ requests }, () => {
        if (requests.length === 0) {
          ctx.print(`No pending contact requests. (\`${ctx.cmd('receive')}\` fetches new ones.)`);
          return;
        }
        ctx.print(
          table(
            ['ID', 'FROM', 'RECEIVED', 'MESSAGE'],
            requests.map((r) => [
              r.id,
              cleanLine(r.name),
              formatWhen(r.receivedAt),
              truncate(cleanLine(r.message), 60),
            ]),
          ),
        );
        ctx.print('');
        ctx.print(
          `Accept with \`${ctx.cmd('requests', 'accept', 'ID')}\`, reject with \`${ctx.cmd('requests', 'reject', 'ID')}\`.`,
        );
      });
      return 0;
    }
    if (sub !== 'accept' && sub !== 'reject') throw usageError('requests takes: accept, reject', 'requests');
    const [id] = expectPositionals(args, ['ID'], 'requests', 1) as [string];
    const client = await ctx.open();
    const request = await findRequest(client, id);
    if (sub === 'accept') {
      const name = args.string('name');
      const contact = await client.acceptRequest(request.id, name === undefined ? {} : { name });
      ctx.result({ contact }, () => {
        ctx.print(
          `Accepted: "${cleanLine(contact.name)}" is now a contact. Say hello with \`${ctx.cmd('send', contact.name, 'TEXT')}\`.`,
        );
        ctx.print(`Their keys are unverified: compare safety numbers with \`${ctx.cmd('verify', contact.name)}\`.`);
      });
      return 0;
    }
    await client.rejectRequest(request.id);
    ctx.result({ rejected: request.id }, () => ctx.print('Rejected; the request is deleted.'));
    return 0;
  },
});
