import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';

export default defineCommand({
  name: 'identity',
  summary: 'replace your identity key (after a lost or compromised device)',
  usage: ['identity rotate --yes'],
  description: `\`identity rotate\` replaces this profile's identity keys with new ones: use it when a device that
had this profile was lost or may be compromised (or to start over as after a reinstall), so that
whoever holds the old keys can no longer read or send as you. Your contacts and history stay.
It registers the new identity on your server, deletes the old account there, and restarts the
conversation with every contact. Each contact then sees a loud "safety number changed" warning;
those who had verified you cannot write to you until they check the new number
(\`parley verify\`): tell them through another channel, and compare safety numbers again.
Needs --yes.`,
  options: { yes: { type: 'boolean', help: 'confirm: replace the identity keys now' } },
  examples: ['parley identity rotate --yes'],
  async run(ctx, args) {
    const [sub] = args.positionals;
    if (sub !== 'rotate') throw usageError(sub === undefined ? 'missing rotate' : 'identity takes: rotate', 'identity');
    expectPositionals(args, [], 'identity', 1);
    if (!args.flag('yes')) {
      throw usageError(
        'this replaces your identity keys and every contact sees a warning: add --yes to confirm',
        'identity',
      );
    }
    const client = await ctx.open();
    const connected = (await client.contacts()).filter((c) => c.state === 'connected').length;
    await client.rotateIdentity();
    ctx.result({ profile: client.profile, contactsNotified: connected }, () => {
      ctx.print('Your identity keys were replaced; the old account on the server is deleted.');
      ctx.print(
        `${connected} contact${connected === 1 ? '' : 's'} will see a safety-number warning: ask them to compare the new number (parley verify NAME).`,
      );
    });
    return 0;
  },
});
