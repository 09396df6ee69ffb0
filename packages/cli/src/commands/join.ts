/**
 * `parley join LINK` (docs/client.md §4.10): this device joins the account of the device that
 * shows LINK, as a new profile. A command of its own rather than `init --link`: init makes a new
 * identity on a server you name, join makes none and takes the server from the link — one flag
 * must not turn a command into its opposite.
 */
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { profileExists } from '../context.ts';
import { usageError } from '../errors.ts';
import { answerCode, CONFIRM_OPTIONS, checkConfirmOptions, jsonLine, progressBar, spaced } from '../link-confirm.ts';
import { askNewPassphrase, askPassphrase } from '../passphrase.ts';

export default defineCommand({
  name: 'join',
  summary: 'add this device to your account, with a link from one of your devices',
  usage: ['join LINK [--name DEVICENAME] [--history none|days:N|all] [--yes | --confirm-code DIGITS]'],
  description: `Run \`parley devices link\` on a device of your account; it shows a link. Run this with that
link on the new device: both show a 6-digit code; confirm on both only if they are the same (a
different code means someone is intercepting: nothing is linked). The new device then gets your
keys, your contacts and the history you ask for, end-to-end encrypted, with a progress bar;
it makes a new profile here (with its own passphrase) and keys of its own.

History: none, days:N (the last N days) or all (default), at most the newest 100,000 messages
and 64 MiB. If either device stops during the history, run the same command again on it: it
goes on where it stopped. Stopped before the history, the linking is cancelled: start again.
With --json: one JSON document per line: {"code"}, then {"joined"}.`,
  options: {
    name: { type: 'string', placeholder: 'DEVICENAME', help: 'the name your other devices show for this one' },
    history: { type: 'string', placeholder: 'CHOICE', help: 'none, days:N or all (default: all)' },
    ...CONFIRM_OPTIONS,
  },
  examples: [
    'parley join parley://link/AQEA… --name phone',
    'parley --profile phone join "$LINK" --history days:30 --json',
  ],
  async run(ctx, args) {
    const [link] = expectPositionals(args, ['LINK'], 'join') as [string];
    checkConfirmOptions(args, 'join');
    const { node, client: sdk } = await ctx.sdk();
    let history: ReturnType<typeof sdk.parseHistoryChoice>;
    try {
      history = sdk.parseHistoryChoice(args.string('history') ?? 'all');
    } catch {
      throw usageError('--history is none, days:N or all', 'join');
    }
    const profile = node.checkProfileName(ctx.profileOption ?? 'default');
    const resuming = profileExists(ctx.home, profile);
    const deviceName = args.string('name') ?? profile;
    const passphrase = resuming ? await askPassphrase(profile) : await askNewPassphrase(profile);
    const bar = progressBar(ctx, 'History received');
    const session = await node.joinAccount({
      home: ctx.home,
      profile,
      passphrase,
      link,
      deviceName,
      history,
      onProgress: (p) => bar(p.received, p.total),
    });
    if (session.resumed) {
      ctx.note('Resuming the history transfer.');
    } else {
      const code = await session.code();
      jsonLine(ctx, { code });
      ctx.print(`Code: ${spaced(code)}`);
      await answerCode(ctx, args, 'join', code, session);
      ctx.print('Confirmed here; waiting for the other device…');
    }
    const client = await session.done;
    ctx.adopt(client);
    const view = client.profile;
    jsonLine(ctx, { joined: { profile: view } });
    ctx.print(`This device is now part of ${view.displayName}'s account (profile ${profile}).`);
    return 0;
  },
});
