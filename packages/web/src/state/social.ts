/**
 * The SDK calls for settings, conversation summaries, read marks and typing (design §1, from
 * wip-social). Until they are in the SDK, each falls back to what the SDK already offers (or
 * does nothing), so the screens are written once against the final shape.
 */
import type { ClientEvent, MessageView, ParleyClient } from './sdk.ts';

export interface SettingsView {
  readonly sendReadReceipts: boolean;
  readonly sendTyping: boolean;
}

export interface ConversationView {
  readonly id: string;
  readonly contactId: string;
  readonly unread: number;
  readonly last: MessageView | null;
}

/** The SDK's events plus those the social additions bring (read receipts, typing). */
export type AppEvent =
  | ClientEvent
  | {
      readonly type: 'read';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  | { readonly type: 'typing'; readonly conversationId: string; readonly contactId: string; readonly active: boolean };

interface Social {
  settings?(): Promise<SettingsView>;
  updateSettings?(patch: Partial<SettingsView>): Promise<SettingsView>;
  conversations?(): Promise<ConversationView[]>;
  markRead?(nameOrId: string, options?: { upTo?: string }): Promise<void>;
  typing?(nameOrId: string, active: boolean): Promise<void>;
}

const social = (c: ParleyClient) => c as unknown as Social;

const DEFAULT_SETTINGS: SettingsView = { sendReadReceipts: true, sendTyping: true };

export function settings(c: ParleyClient): Promise<SettingsView> {
  const s = social(c);
  return s.settings ? s.settings() : Promise.resolve(DEFAULT_SETTINGS);
}

export function updateSettings(c: ParleyClient, patch: Partial<SettingsView>): Promise<SettingsView> {
  const s = social(c);
  return s.updateSettings ? s.updateSettings(patch) : Promise.resolve({ ...DEFAULT_SETTINGS, ...patch });
}

/** One per contact, newest activity first. */
export async function conversations(c: ParleyClient): Promise<ConversationView[]> {
  const s = social(c);
  if (s.conversations) return s.conversations();
  const unread = await c.unread();
  const out: ConversationView[] = [];
  for (const contact of await c.contacts()) {
    const [last] = await c.messages(contact.id, { limit: 1 });
    out.push({
      id: contact.conversationId,
      contactId: contact.id,
      unread: unread.filter((m) => m.contactId === contact.id).length,
      last: last ?? null,
    });
  }
  const at = (v: ConversationView) => v.last?.storedAt ?? 0;
  return out.sort((a, b) => at(b) - at(a));
}

export async function markRead(c: ParleyClient, contactId: string): Promise<void> {
  const s = social(c);
  if (s.markRead) return s.markRead(contactId);
}

export async function typing(c: ParleyClient, contactId: string, active: boolean): Promise<void> {
  const s = social(c);
  if (s.typing) return s.typing(contactId, active);
}

export function onAppEvent(c: ParleyClient, listener: (e: AppEvent) => void): () => void {
  return c.on(listener as (e: ClientEvent) => void);
}
