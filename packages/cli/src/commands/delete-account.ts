import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { fixDefault } from './profiles.ts';

export default defineCommand({
  name: 'delete-account',
  summary: "delete your account on the server and this profile's files",
  usage: ['delete-account --yes'],
  description: `Deletes the profile's account on its server (its devices, prekeys, mailboxes and contact address)
and then the profile's files on this device (keys, contacts, history). Your contacts can no longer
reach you. This cannot be undone. Needs --yes.`,
  options: { yes: { type: 'boolean', help: 'confirm: delete the account and the profile' } },
  examples: ['parley delete-account --yes', 'parley --profile old delete-account --yes'],
  async run(ctx, args) {
    expectPositionals(args, [], 'delete-account');
    if (!args.flag('yes')) {
      throw usageError('this deletes your account and all its data for good: add --yes to confirm', 'delete-account');
    }
    const { node } = await ctx.sdk();
    const client = await ctx.open();
    const profile = client.profile.profile;
    await client.deleteAccount();
    await ctx.closeClient(client);
    node.removeProfileFiles(ctx.location(profile));
    const def = await fixDefault(ctx, profile);
    ctx.result({ deleted: profile, default: def }, () => {
      ctx.print(`Deleted the account and profile ${profile}.`);
      if (def !== null) ctx.print(`The default profile is now ${def}.`);
    });
    return 0;
  },
});
