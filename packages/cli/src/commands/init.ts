import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { commandLine, profileExists } from '../context.ts';
import { CliError, isClientError, usageError } from '../errors.ts';
import { cleanLine } from '../format.ts';
import { askNewPassphrase } from '../passphrase.ts';

/** Checked before the passphrase is asked for (the SDK checks it again). */
function checkServerUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError('--server must be a URL such as https://parley.example.org', 'init');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError('--server must start with http:// or https://', 'init');
  }
}

/** The folders init may create (the home, its profiles folder) that did not exist before it ran. */
function newFolders(home: string): string[] {
  return [join(home, 'profiles'), home].filter((d) => !existsSync(d));
}

/** Removes those of `dirs` that are empty (a failed init leaves nothing behind). */
function removeIfEmpty(dirs: readonly string[]): void {
  for (const d of dirs) {
    try {
      if (readdirSync(d).length === 0) rmdirSync(d);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/**
 * Something answered at the URL, but not as a Parley server does: an HTTP error without the error
 * document every Parley server sends (docs/server.md "Errors"), or an answer this client cannot
 * read. A 5xx without one may be a proxy in front of a Parley server that is down, so it is not
 * called "not Parley".
 */
function notParley(e: unknown, server: string): CliError | undefined {
  if (!isClientError(e, 'server-error')) return undefined;
  const { status, serverCode } = e as { status?: number; serverCode?: string };
  if (serverCode !== undefined) return undefined;
  if (status !== undefined && status >= 500) return undefined;
  const origin = new URL(server).origin;
  return new CliError(
    'server-error',
    `${origin} answered but is not a Parley server${status === undefined ? '' : ` (HTTP ${status})`}. Check the URL (scheme, host, port and path prefix).`,
  );
}

function defaultDisplayName(profile: string): string {
  if (profile !== 'default') return profile;
  try {
    return userInfo().username || 'me';
  } catch {
    return 'me';
  }
}

export default defineCommand({
  name: 'init',
  summary: 'create a profile: your keys, and an account on a server',
  usage: ['init --server URL [--name DISPLAYNAME] [--registration-key KEY] [--profile NAME]'],
  description: `Creates a profile in the client directory: new identity keys, stored encrypted with a
passphrase you choose (typed twice, or PARLEY_PASSPHRASE), and an account on the server.
The profile is called "default" unless you pass --profile; the first profile becomes the
default one. If the server cannot be reached or refuses, nothing is left behind: run init again.`,
  options: {
    server: { type: 'string', placeholder: 'URL', help: 'your home server, e.g. https://parley.example.org' },
    name: {
      type: 'string',
      placeholder: 'DISPLAYNAME',
      help: 'the name your contacts see (default: the profile name, or your login name)',
    },
    'registration-key': {
      type: 'string',
      placeholder: 'KEY',
      help: 'registration key of a private server',
    },
  },
  examples: [
    'parley init --server http://127.0.0.1:8787 --name Alice',
    'parley --profile work init --server https://parley.example.org --name "Alice B." --registration-key s3cret',
  ],
  async run(ctx, args) {
    expectPositionals(args, [], 'init');
    const server = args.string('server');
    if (server === undefined) throw usageError('missing --server URL', 'init');
    checkServerUrl(server);
    const { node } = await ctx.sdk();
    const profile = node.checkProfileName(ctx.profileOption ?? 'default');
    if (profileExists(ctx.home, profile)) {
      throw new CliError(
        'profile-exists',
        `A profile named ${profile} already exists here. Use --profile NAME to create another one.`,
      );
    }
    const displayName = args.string('name') ?? defaultDisplayName(profile);
    const passphrase = await askNewPassphrase(profile);
    const key = args.string('registration-key');
    const created = newFolders(ctx.home);
    let client: Awaited<ReturnType<typeof node.createProfile>>;
    try {
      client = await node.createProfile({
        home: ctx.home,
        profile,
        passphrase,
        server,
        displayName,
        ...(key === undefined ? {} : { registrationKey: key }),
      });
    } catch (e) {
      removeIfEmpty(created);
      throw notParley(e, server) ?? e;
    }
    ctx.adopt(client);
    const view = client.profile;
    const isDefault = node.defaultProfile(ctx.home) === profile;
    ctx.result({ profile: view, default: isDefault }, () => {
      ctx.print(`Created profile ${profile} on ${view.server}${isDefault ? ' (the default profile)' : ''}.`);
      ctx.print(`Contacts will see you as "${cleanLine(view.displayName)}".`);
      if (!isDefault)
        ctx.print(`Make it the default with: ${commandLine(['profiles', 'use', profile], ctx.homeOption)}`);
      ctx.print('');
      ctx.print(
        `Next: \`${ctx.cmd('invite')}\` to invite someone, or \`${ctx.cmd('address', 'create')}\` to publish a contact address.`,
      );
    });
    return 0;
  },
});
