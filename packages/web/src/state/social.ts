/**
 * Settings, conversation summaries, read marks and typing (design §1): thin names over the SDK's
 * methods, so screens read the same whichever way the SDK grows.
 */
import type { ClientEvent, ConversationView, ParleyClient, SettingsView } from './sdk.ts';

export type { ConversationView, SettingsView } from './sdk.ts';
export type AppEvent = ClientEvent;

export const settings = (c: ParleyClient): Promise<SettingsView> => c.settings();

export const updateSettings = (c: ParleyClient, patch: Partial<SettingsView>): Promise<SettingsView> =>
  c.updateSettings(patch);

/** One per contact, newest activity first. */
export const conversations = (c: ParleyClient): Promise<ConversationView[]> => c.conversations();

export const markRead = (c: ParleyClient, contactId: string): Promise<void> => c.markRead(contactId);

export const typing = (c: ParleyClient, contactId: string, active: boolean): Promise<void> =>
  c.typing(contactId, active);

export const onAppEvent = (c: ParleyClient, listener: (e: AppEvent) => void): (() => void) => c.on(listener);
