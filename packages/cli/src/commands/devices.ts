/**
 * `parley devices …`. SEAM: C1's `devices` (list), `devices rename`, `devices remove` join this
 * command; linking is devices-link.ts.
 */
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { CONFIRM_OPTIONS } from '../link-confirm.ts';
import { LINK_HELP, LINK_USAGE, runDevicesLink } from './devices-link.ts';

export default defineCommand({
  name: 'devices',
  summary: 'link a new device to your account',
  usage: [LINK_USAGE],
  description: `Your account can have up to 6 devices, each with its own keys; messages reach all of them.

${LINK_HELP}`,
  options: { 'no-qr': { type: 'boolean', help: 'print only the link, no QR code' }, ...CONFIRM_OPTIONS },
  examples: ['parley devices link', 'parley devices link --json'],
  async run(ctx, args) {
    const [sub] = args.positionals;
    if (sub === 'link') return runDevicesLink(ctx, args);
    throw usageError(sub === undefined ? 'missing link' : 'devices takes: link', 'devices');
  },
});
