/** Contact names for ids, and the words for notable events (shared by receive and chat). */
import type { ClientEvent, ContactView, ParleyClient } from '@parley/client';
import { box, cleanLine } from './format.ts';

/** Contact id → current name, refreshed when an unknown id shows up. */
export class Names {
  private readonly names = new Map<string, string>();

  constructor(private readonly client: ParleyClient) {}

  async refresh(): Promise<void> {
    for (const c of await this.client.contacts()) this.names.set(c.id, c.name);
  }

  async of(id: string): Promise<string> {
    if (id === 'self') return 'You';
    if (id.startsWith('account:')) return 'a group member (not a contact)';
    if (!this.names.has(id)) await this.refresh();
    return cleanLine(this.names.get(id) ?? 'an unknown contact');
  }

  set(c: ContactView): void {
    this.names.set(c.id, c.name);
  }
}

/** The loud warning for an identity-key change (stderr, in a box). */
/** `cmd` builds the command lines it suggests (Context.cmd: with the user's --home and --profile). */
export function identityChangedBox(contact: ContactView, cmd: (...words: string[]) => string): string {
  const name = cleanLine(contact.name);
  // Paragraphs: box() wraps them.
  const lines = [
    `${name}'s identity key has changed: the safety number is different now.`,
    '',
    `This happens when ${name} reinstalled Parley or replaced a lost device, but it is also what an attacker impersonating ${name} would cause. Compare the new safety number with ${name} in person or on a call: ${cmd('verify', contact.name)}`,
  ];
  if (contact.verification === 'verified') {
    lines.push(
      '',
      `You had verified ${name}, so sending is blocked until you decide: after comparing, run \`${cmd('verify', contact.name, '--confirm')}\` (or accept the new key without comparing: --accept-change).`,
    );
  }
  return box('⚠ SAFETY NUMBER CHANGED', lines);
}

export function undecryptableNotice(name: string): string {
  return `⚠ A message from ${name} arrived damaged and could not be read (the server's stored copy too). If it was a text, ${name}'s device sends it again; the conversation continues.`;
}

/** Messages missing from a contact's counters past the grace period (client event `missing`). */
export function missingNotice(name: string, count: number): string {
  return `⚠ ${count} ${count === 1 ? 'message' : 'messages'} from ${name} ${count === 1 ? 'has' : 'have'} not arrived.`;
}

/** Our texts that got no receipt after every resend (client event `not-delivered`). */
export function notDeliveredNotice(name: string, count: number): string {
  return `⚠ ${count === 1 ? '1 message' : `${count} messages`} to ${name} could not be delivered (no receipt after several attempts): marked failed in the history.`;
}

/** The events that warn about one contact's messages (damaged, missing, not delivered). */
export type ContactWarning = Extract<ClientEvent, { type: 'undecryptable' | 'missing' | 'not-delivered' }>;

export function isContactWarning(e: ClientEvent): e is ContactWarning {
  return e.type === 'undecryptable' || e.type === 'missing' || e.type === 'not-delivered';
}

/** The words for a {@link ContactWarning} about the contact called `name`. */
export function contactWarning(e: ContactWarning, name: string): string {
  if (e.type === 'missing') return missingNotice(name, e.count);
  if (e.type === 'not-delivered') return notDeliveredNotice(name, e.messageIds.length);
  return undecryptableNotice(name);
}

/**
 * The note for a new contact whose own name for themselves is already another contact's: they
 * got a distinct name, and the user learns that a stranger may be posing as someone known.
 */
export function nameClashNotice(
  e: { readonly contact: ContactView; readonly suggestedName: string; readonly clashesWith: ContactView },
  cmd: (...words: string[]) => string,
): string {
  const name = cleanLine(e.contact.name);
  const known = cleanLine(e.clashesWith.name);
  const verified = e.clashesWith.verification === 'verified' ? ' (verified)' : '';
  return `⚠ A new contact calls themselves "${cleanLine(e.suggestedName)}", like your contact ${known}${verified}: they are a different person (another key), shown here as ${name}. Rename them with \`${cmd('rename', e.contact.name, 'NEWNAME')}\` if you know who they are.`;
}

/** The events about devices — ours and our contacts' (docs/client.md §4.9). */
export type DeviceEvent = Extract<
  ClientEvent,
  {
    type:
      | 'device-added'
      | 'device-removed'
      | 'contact-device-added'
      | 'contact-device-removed'
      | 'unknown-device'
      | 'device-list-rollback'
      | 'device-list-invalid'
      | 'device-stale'
      | 'removed-from-account';
  }
>;

const DEVICE_EVENTS: ReadonlySet<string> = new Set([
  'device-added',
  'device-removed',
  'contact-device-added',
  'contact-device-removed',
  'unknown-device',
  'device-list-rollback',
  'device-list-invalid',
  'device-stale',
  'removed-from-account',
]);

export function isDeviceEvent(e: ClientEvent): e is DeviceEvent {
  return DEVICE_EVENTS.has(e.type);
}

/** The contact a device event is about (null: our own account). */
export function deviceEventContact(e: DeviceEvent): string | null {
  return 'contactId' in e ? e.contactId : null;
}

/**
 * The words for a {@link DeviceEvent}; `name` is the contact's (ignored for our own devices).
 * Warnings (a ghost device, a replayed or forged list, this device removed) start with ⚠.
 */
export function deviceNotice(e: DeviceEvent, name: string): string {
  const whose = deviceEventContact(e) === null ? 'your account' : name;
  switch (e.type) {
    case 'device-added':
      return `A new device of yours (device ${e.device}) is linked: it gets your messages from now on.`;
    case 'device-removed':
      return `Your device ${e.device} was removed from your account: it gets nothing new.`;
    case 'contact-device-added':
      return `${name} linked a new device (device ${e.device}): your messages to ${name} go to it too. The safety number is unchanged.`;
    case 'contact-device-removed':
      return `${name} removed a device (device ${e.device}): it gets nothing you send from now on.`;
    case 'unknown-device':
      return `⚠ A device that is not on ${whose}'s signed device list (device ${e.device}) tried to join the conversation: refused, nothing is sent to it. If it persists, ask them (or check \`parley devices\`).`;
    case 'device-list-rollback':
      return `⚠ An older device list for ${whose} was served again (a replay): refused, the newer one stays.`;
    case 'device-list-invalid':
      return `⚠ A device list for ${whose} did not verify against its identity: refused.`;
    case 'device-stale':
      return e.dropped
        ? `⚠ Device ${e.device} of ${whose} has not been heard from for 90 days: nothing is sent to it any more.`
        : `Device ${e.device} of ${whose} has not been heard from for 30 days: shown as stale.`;
    case 'removed-from-account':
      return '⚠ Another device of your account removed this one: it can no longer send or receive.';
  }
}
