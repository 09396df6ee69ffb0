/**
 * `parley devices` (list), `devices rename ID NAME`, `devices remove ID` (docs/client.md §4.9):
 * the account's devices, run from devices.ts.
 */
import type { DeviceView } from '@parley/client';
import type { Args } from '../args.ts';
import { expectPositionals } from '../args.ts';
import type { Context } from '../context.ts';
import { CliError } from '../errors.ts';
import { cleanLine, formatDate, formatWhen, table } from '../format.ts';

/** A device id as typed: a positive whole number. */
function deviceIdOf(s: string): number {
  const n = Number(s);
  if (!/^\d{1,10}$/.test(s) || !Number.isSafeInteger(n) || n < 1) {
    throw new CliError('unknown-device', 'A device id is a number: run `parley devices` to list them.');
  }
  return n;
}

function state(d: DeviceView): string {
  if (d.current) return 'this device';
  if (d.dropped) return '⚠ dropped (stale)';
  if (d.stale) return '⚠ stale';
  return 'active';
}

export const MANAGE_USAGE = ['devices', 'devices rename ID NAME', 'devices remove ID'];

export const MANAGE_HELP = `Every device of your account holds your identity and gets every message you send or receive;
your contacts see one safety number for you whatever your devices. A device not heard from for 30
days is shown as stale; after 60 more days nothing is sent to it any more.

Removing a device publishes a new signed device list without it: your contacts and your other
devices stop encrypting to it and refuse what it sends from then on, and it is told at its next
sync. Remove a device you lost. Run it from another device (not the one you remove).`;

/** Lists the devices (no sub-command), or runs `rename` / `remove`; undefined for another sub-command. */
export async function runDevicesManage(ctx: Context, args: Args): Promise<number | undefined> {
  const [sub] = args.positionals;
  if (sub === undefined) {
    const client = await ctx.open({ readOnly: true });
    const devices = await client.devices();
    ctx.result({ devices }, () => {
      ctx.print(
        table(
          ['ID', 'NAME', 'LINKED', 'LAST ACTIVE', 'STATE'],
          devices.map((d) => [
            String(d.id),
            d.name === null ? '' : cleanLine(d.name),
            d.linkedAt === null ? '' : formatDate(d.linkedAt),
            d.current || d.lastActiveAt === null ? '' : formatWhen(d.lastActiveAt),
            state(d),
          ]),
        ),
      );
    });
    return 0;
  }
  if (sub === 'rename') {
    const [id, name] = expectPositionals(args, ['ID', 'NAME'], 'devices', 1) as [string, string];
    const client = await ctx.open();
    const devices = await client.renameDevice(deviceIdOf(id), name);
    ctx.result({ devices }, () => ctx.print(`Renamed device ${id}: your other devices show the name too.`));
    return 0;
  }
  if (sub === 'remove') {
    const [id] = expectPositionals(args, ['ID'], 'devices', 1) as [string];
    const client = await ctx.open();
    const devices = await client.removeDevice(deviceIdOf(id));
    ctx.result({ devices }, () =>
      ctx.print(
        `Removed device ${id}: it gets nothing new, and your contacts refuse what it sends once they have synced.`,
      ),
    );
    return 0;
  }
  return undefined;
}
