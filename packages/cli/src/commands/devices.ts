/**
 * `parley devices …`: the account's devices (devices-manage.ts) and linking a new one
 * (devices-link.ts).
 */
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { CONFIRM_OPTIONS } from '../link-confirm.ts';
import { LINK_HELP, LINK_USAGE, runDevicesLink } from './devices-link.ts';
import { MANAGE_HELP, MANAGE_USAGE, runDevicesManage } from './devices-manage.ts';

export default defineCommand({
  name: 'devices',
  summary: 'list the devices of your account; link a new one, rename or remove one',
  usage: [...MANAGE_USAGE, LINK_USAGE],
  description: `${MANAGE_HELP}

${LINK_HELP}`,
  options: { 'no-qr': { type: 'boolean', help: 'devices link: print only the link, no QR code' }, ...CONFIRM_OPTIONS },
  examples: ['parley devices', 'parley devices link', 'parley devices rename 2 phone', 'parley devices remove 2'],
  async run(ctx, args) {
    if (args.positionals[0] === 'link') return runDevicesLink(ctx, args);
    const done = await runDevicesManage(ctx, args);
    if (done !== undefined) return done;
    throw usageError('devices takes: link, rename, remove', 'devices');
  },
});
