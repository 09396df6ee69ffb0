/**
 * The profile's settings (docs/client.md §4.11): whether we send read receipts and typing
 * indicators. One record (`settings`/`self`), sealed at rest like every other; absent, the
 * defaults apply. A change goes to our other devices in a `settings` sync payload naming only the
 * settings changed; a device introduced later gets the whole set from the device it met first.
 */
import { DEFAULT_SETTINGS, put, type SettingsRecord } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { type ClientContext, getRecord } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { syncWrites } from './own-devices.ts';

export interface Settings {
  readonly sendReadReceipts: boolean;
  readonly sendTyping: boolean;
}

const view = (s: SettingsRecord): Settings => ({ sendReadReceipts: s.sendReadReceipts, sendTyping: s.sendTyping });

/** The settings as committed (the defaults when never changed). */
export async function readSettings(ctx: ClientContext): Promise<Settings> {
  return view((await getRecord(ctx, 'settings', 'self')) ?? DEFAULT_SETTINGS);
}

/** Changes some settings; the others keep their value. */
export async function updateSettings(ctx: ClientContext, patch: Partial<Settings>): Promise<Settings> {
  for (const [key, value] of Object.entries(patch)) {
    if (!(key === 'sendReadReceipts' || key === 'sendTyping') || typeof value !== 'boolean') {
      throw new ClientError('usage', 'Settings are sendReadReceipts and sendTyping, each true or false.');
    }
  }
  const { next, queued } = await ctx.serial(async () => {
    const now = (await getRecord(ctx, 'settings', 'self')) ?? DEFAULT_SETTINGS;
    const next: SettingsRecord = { ...now, ...patch, v: 2 };
    // Our other devices take the settings changed (only those: docs/client.md §4.11).
    const synced = Object.keys(patch).length > 0 ? await syncWrites(ctx, { t: 'settings', ...patch }) : [];
    await ctx.commit([put('settings', 'self', next), ...synced]);
    return { next, queued: synced.length > 0 };
  });
  if (queued) await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  return view(next);
}
