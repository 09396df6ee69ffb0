/**
 * The words for events a person should see outside the conversation they are in (the CLI's
 * notices.ts, as sentences for a page): warnings start with ⚠ and are shown until dismissed.
 */
import { isolate } from './bidi.ts';
import type { AppEvent } from './social.ts';

export interface Notice {
  readonly id: number;
  readonly text: string;
  readonly warning: boolean;
}

/** `name(contactId)` gives a contact's current name (null: our own account). */
export function noticeText(e: AppEvent, name: (contactId: string | null) => string): string | null {
  switch (e.type) {
    case 'contact-connected':
      return `${isolate(e.contact.name)} is connected: you can write to each other.`;
    case 'contact-request':
      return `${isolate(e.request.name)} sent you a contact request.`;
    case 'identity-changed':
      return `⚠ ${isolate(e.contact.name)}'s safety number has changed. Compare it with them before you trust new messages.`;
    case 'name-clash':
      return `⚠ A new contact calls themselves “${isolate(e.suggestedName)}”, like your contact ${isolate(e.clashesWith.name)}${e.clashesWith.verification === 'verified' ? ' (verified)' : ''}: they are a different person, shown as ${isolate(e.contact.name)}. Rename them if you know who they are.`;
    case 'undecryptable':
      return `⚠ A message from ${isolate(name(e.contactId))} arrived damaged and could not be read; their device sends it again.`;
    case 'missing':
      return `⚠ ${e.count} ${e.count === 1 ? 'message' : 'messages'} from ${isolate(name(e.contactId))} ${e.count === 1 ? 'has' : 'have'} not arrived.`;
    case 'not-delivered':
      return `⚠ ${e.messageIds.length === 1 ? '1 message' : `${e.messageIds.length} messages`} to ${isolate(name(e.contactId))} could not be delivered: marked failed.`;
    case 'last-resort-used':
      return null;
    case 'device-added':
      return `A new device of yours (device ${e.device}) is linked: it gets your messages from now on.`;
    case 'device-removed':
      return `Your device ${e.device} was removed from your account: it gets nothing new.`;
    case 'contact-device-added':
      return `${isolate(name(e.contactId))} linked a new device (device ${e.device}). The safety number is unchanged.`;
    case 'contact-device-removed':
      return `${isolate(name(e.contactId))} removed a device (device ${e.device}).`;
    case 'unknown-device':
      return `⚠ A device that is not on ${whose(e.contactId, name)} signed device list tried to join the conversation: refused.`;
    case 'device-list-rollback':
      return `⚠ An older device list for ${whose(e.contactId, name)} account was served again: refused.`;
    case 'device-list-invalid':
      return `⚠ A device list for ${whose(e.contactId, name)} account did not verify: refused.`;
    case 'device-stale':
      return e.dropped
        ? `⚠ Device ${e.device} of ${whose(e.contactId, name)} account has not been heard from for 90 days: nothing is sent to it any more.`
        : null;
    case 'removed-from-account':
      return '⚠ Another device of your account removed this one: it can no longer send or receive.';
    default:
      return null;
  }
}

function whose(contactId: string | null, name: (id: string | null) => string): string {
  return contactId === null ? 'your' : `${isolate(name(contactId))}'s`;
}
