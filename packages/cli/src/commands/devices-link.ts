/**
 * `parley devices link` (docs/client.md §4.10): this device shows a link for a new device, then
 * the code, and once confirmed here and there sends the new device its keys and history.
 */
import type { Args } from '../args.ts';
import type { Context } from '../context.ts';
import { qr } from '../format.ts';
import { answerCode, checkConfirmOptions, jsonLine, progressBar, spaced } from '../link-confirm.ts';

export const LINK_USAGE = 'devices link [--no-qr] [--yes | --confirm-code DIGITS]';

export const LINK_HELP = `  devices link     shows a link (and QR code) for your new device: run \`parley join LINK\` there.
                   Both devices then show a 6-digit code: confirm here only if they match.
                   The new device gets your keys, contacts and the history it asks for.
                   With --json: one JSON document per line: {"link"}, {"code"}, {"linked"}.`;

export async function runDevicesLink(ctx: Context, args: Args): Promise<number> {
  checkConfirmOptions(args, 'devices');
  const client = await ctx.open();
  const session = await client.linkDevice({
    onProgress: (() => {
      const bar = progressBar(ctx, 'History sent');
      return (p: { sent: number; total: number }) => bar(p.sent, p.total);
    })(),
  });
  if (session.cancelledEarlier)
    ctx.note('An earlier linking was interrupted before the new device got anything: it was cancelled.');
  if (session.resumed) {
    ctx.note('Resuming the history transfer to the device linked before the interruption.');
  } else {
    jsonLine(ctx, { link: session.link, expiresAt: session.expiresAt });
    if (!ctx.json) {
      const code = args.flag('no-qr') ? '' : await qr(session.link);
      ctx.print('On your new device, run:');
      ctx.print('');
      ctx.print(`  parley join ${session.link}`);
      if (code !== '') ctx.print(`\n${code}`);
      ctx.print('');
      ctx.print('The link works once, for 10 minutes. Show it only to your own device.');
    }
    const code = await session.code();
    jsonLine(ctx, { code });
    ctx.print(`Code: ${spaced(code)}`);
    await answerCode(ctx, args, 'devices', code, session);
  }
  const linked = await session.done;
  jsonLine(ctx, { linked });
  ctx.print(
    `Linked "${linked.deviceName}" as device ${linked.deviceId}; it has ${linked.items} contacts and messages.`,
  );
  return 0;
}
