import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { type Context, noProfile, profileBusy } from '../context.ts';
import { usageError } from '../errors.ts';
import { table } from '../format.ts';

/**
 * After a profile is removed: if it was the default, the first remaining profile becomes the
 * default; with none left, the setting goes, so that the next `init` becomes the default again.
 */
async function fixDefault(ctx: Context, removed: string): Promise<string | null> {
  const { node } = await ctx.sdk();
  const current = node.defaultProfile(ctx.home);
  if (current !== null && current !== removed) return current;
  const next = node.listProfiles(ctx.home)[0];
  if (next === undefined) {
    rmSync(join(ctx.home, 'config.json'), { force: true });
    return null;
  }
  node.setDefaultProfile(ctx.home, next);
  return next;
}

export default defineCommand({
  name: 'profiles',
  summary: 'list profiles, choose the default one, remove one',
  usage: ['profiles', 'profiles use NAME', 'profiles remove NAME --yes [--delete-account]'],
  description: `Each profile is a separate identity with its own keys, contacts and server, in
<home>/profiles/NAME. Commands act on the default profile unless you pass --profile NAME.

  profiles              lists the profiles; * marks the default one
  profiles use NAME     makes NAME the default profile
  profiles remove NAME  deletes the profile's files on this device: its keys, contacts and
                        history are gone for good. With --delete-account it first deletes the
                        account on the server too (needs the passphrase). Needs --yes.`,
  options: {
    yes: { type: 'boolean', help: 'confirm removing a profile' },
    'delete-account': { type: 'boolean', help: 'also delete the account on the server (remove)' },
  },
  examples: ['parley profiles', 'parley profiles use work', 'parley profiles remove old --delete-account --yes'],
  async run(ctx, args) {
    const { node } = await ctx.sdk();
    const [sub] = args.positionals;
    if (sub === undefined) {
      const names = node.listProfiles(ctx.home);
      const def = node.defaultProfile(ctx.home);
      ctx.result({ profiles: names.map((name) => ({ name, default: name === def })), default: def }, () => {
        if (names.length === 0) {
          ctx.print('No profiles yet: create one with `parley init --server URL`.');
          return;
        }
        ctx.print(
          table(
            ['', 'PROFILE'],
            names.map((n) => [n === def ? '*' : '', n]),
          ),
        );
      });
      return 0;
    }
    if (sub === 'use') {
      const [name] = expectPositionals(args, ['NAME'], 'profiles', 1) as [string];
      node.checkProfileName(name);
      if (!node.listProfiles(ctx.home).includes(name)) throw noProfile(node.listProfiles(ctx.home), name);
      node.setDefaultProfile(ctx.home, name);
      ctx.result({ default: name }, () => ctx.print(`${name} is now the default profile.`));
      return 0;
    }
    if (sub === 'remove') {
      const [name] = expectPositionals(args, ['NAME'], 'profiles', 1) as [string];
      node.checkProfileName(name);
      if (!node.listProfiles(ctx.home).includes(name)) throw noProfile(node.listProfiles(ctx.home), name);
      if (!args.flag('yes')) {
        throw usageError(
          `removing profile ${name} deletes its keys, contacts and history on this device for good: add --yes to confirm`,
          'profiles',
        );
      }
      const deleteAccount = args.flag('delete-account');
      if (deleteAccount) {
        const client = await ctx.open({ profile: name });
        await client.deleteAccount();
        await ctx.closeClient(client);
      }
      await node.removeProfile(ctx.location(name)).catch((e: unknown) => {
        throw e instanceof node.ProfileLockedError ? profileBusy(e.holderPid, name) : e;
      });
      const def = await fixDefault(ctx, name);
      ctx.result({ removed: name, accountDeleted: deleteAccount, default: def }, () => {
        ctx.print(`Removed profile ${name}${deleteAccount ? ' and its account on the server' : ''}.`);
        if (!deleteAccount) ctx.print('Its account still exists on the server (unused).');
        if (def !== null) ctx.print(`The default profile is ${def}.`);
      });
      return 0;
    }
    throw usageError('unknown subcommand (profiles takes: use, remove)', 'profiles');
  },
});

export { fixDefault };
