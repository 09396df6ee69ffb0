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
