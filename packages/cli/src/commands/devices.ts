/**
 * `parley devices …`: the account's devices (devices-manage.ts). Linking a new device joins this
 * command as `devices link` (the linking slice's devices-link.ts).
 */
import { defineCommand } from '../command.ts';
import { usageError } from '../errors.ts';
import { MANAGE_HELP, MANAGE_USAGE, runDevicesManage } from './devices-manage.ts';

export default defineCommand({
  name: 'devices',
  summary: 'list the devices of your account; rename or remove one',
  usage: MANAGE_USAGE,
  description: MANAGE_HELP,
  examples: ['parley devices', 'parley devices rename 2 phone', 'parley devices remove 2'],
  async run(ctx, args) {
    const done = await runDevicesManage(ctx, args);
    if (done !== undefined) return done;
    throw usageError('devices takes: rename, remove', 'devices');
  },
});
