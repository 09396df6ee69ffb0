/**
 * The profile's settings (docs/client.md §4.11): whether we send read receipts and typing
 * indicators. One record (`settings`/`self`), sealed at rest like every other; absent, the
 * defaults apply. Kept on this device only (each device of an account has its own).
 */
import { DEFAULT_SETTINGS, put, type SettingsRecord } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { type ClientContext, getRecord } from './context.ts';

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
  return ctx.serial(async () => {
    const now = (await getRecord(ctx, 'settings', 'self')) ?? DEFAULT_SETTINGS;
    const next: SettingsRecord = { ...now, ...patch, v: 2 };
    await ctx.commit([put('settings', 'self', next)]);
    return view(next);
  });
}
