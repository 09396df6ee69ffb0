import type { SettingsView } from '@parley/client';
import { expectPositionals } from '../args.ts';
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { table } from '../format.ts';

/** `on` / `off` as typed (also yes/no, true/false); a usage error otherwise. */
function onOff(value: string | undefined, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (['on', 'yes', 'true'].includes(v)) return true;
  if (['off', 'no', 'false'].includes(v)) return false;
  throw usageError(`--${option} takes on or off`, 'settings');
}

export default defineCommand({
  name: 'settings',
  summary: 'show or change whether you send read receipts and typing indicators',
  usage: ['settings', 'settings [--read-receipts on|off] [--typing on|off]'],
  description: `Read receipts tell a contact which of their messages you have read (parley chat and parley receive
read what they show); typing indicators tell them while you type in parley chat. Both are
end-to-end encrypted and on by default; turned off, none is sent (you still see theirs). Each
device of your account keeps its own settings.`,
  options: {
    'read-receipts': { type: 'string', placeholder: 'on|off', help: 'send read receipts' },
    typing: { type: 'string', placeholder: 'on|off', help: 'send typing indicators (in parley chat)' },
  },
  examples: ['parley settings', 'parley settings --read-receipts off', 'parley settings --typing off --json'],
  async run(ctx, args) {
    expectPositionals(args, [], 'settings');
    const receipts = onOff(args.string('read-receipts'), 'read-receipts');
    const typing = onOff(args.string('typing'), 'typing');
    const patch: { -readonly [K in keyof SettingsView]?: boolean } = {};
    if (receipts !== undefined) patch.sendReadReceipts = receipts;
    if (typing !== undefined) patch.sendTyping = typing;
    const change = Object.keys(patch).length > 0;
    const client = await ctx.open(change ? {} : { readOnly: true });
    const settings = change ? await client.updateSettings(patch) : await client.settings();
    const word = (b: boolean) => (b ? 'on' : 'off');
    ctx.result({ settings }, () =>
      ctx.print(
        table(
          ['SETTING', 'VALUE'],
          [
            ['read receipts', word(settings.sendReadReceipts)],
            ['typing indicators', word(settings.sendTyping)],
          ],
        ),
      ),
    );
    return 0;
  },
});
