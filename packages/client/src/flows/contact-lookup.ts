/**
 * Finding contacts by alias, id or identity, and keeping aliases unique and within bounds: they
 * are how users name contacts, so two contacts must never look alike (docs/client.md "Names").
 */
import { type PublicIdentity, Reader, readIdentity } from '@parley/protocol';
import type { DomainEvent } from '../engine/events.ts';
import { MAX_NAME } from '../engine/payload.ts';
import { type ContactRecord, SELF_CONTACT } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { type ClientContext, listRecords } from './context.ts';

/**
 * Invisible characters that would make two names look the same: zero-width spaces and joiners,
 * the word joiner and invisible operators, the BOM, the soft hyphen, variation selectors, and the
 * bidi marks (the CLI replaces bidi controls on display; marks stay invisible).
 */
const INVISIBLE = new RegExp(
  // Built from ranges (a literal class trips the linter over the combining ones, listed on purpose).
  `[${[
    [0x00ad],
    [0x034f],
    [0x061c],
    [0x115f, 0x1160],
    [0x17b4, 0x17b5],
    [0x180b, 0x180f],
    [0x200b, 0x200f],
    [0x202a, 0x202e],
    [0x2060, 0x206f],
    [0x3164],
    [0xfe00, 0xfe0f],
    [0xfeff],
    [0xffa0],
  ]
    .map(([a, b]) => (b === undefined ? `\\u{${a?.toString(16)}}` : `\\u{${a?.toString(16)}}-\\u{${b.toString(16)}}`))
    .join('')}]`,
  'gu',
);

/**
 * The form under which names are compared: Unicode compatibility normalisation (NFKC, so that
 * fullwidth `Ｂｏｂ`, ligatures and superscripts meet their plain letters), invisible characters
 * removed, case folded (lower case, then NFKC again since lowering can denormalise), and runs of
 * white space made one space, trimmed. It does not catch look-alikes across scripts (Cyrillic
 * `Воb`): that needs the Unicode confusables table, which this client does not ship; a clash
 * with a verified contact is still visible through its verification state.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').replace(INVISIBLE, '').toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** Every contact: the people we talk to (the self contact, our own devices, is not one). */
export async function listContacts(ctx: ClientContext): Promise<ContactRecord[]> {
  return (await listRecords(ctx, 'contact')).filter((c) => c.id !== SELF_CONTACT);
}

/** Finds a contact by id, or else by alias (compared as {@link nameKey}s). */
export async function findContact(ctx: ClientContext, nameOrId: string): Promise<ContactRecord> {
  const all = await listContacts(ctx);
  const key = nameKey(nameOrId);
  const found = all.find((c) => c.id === nameOrId) ?? all.find((c) => nameKey(c.name) === key);
  if (!found) throw unknownContact();
  return found;
}

const unknownContact = () =>
  new ClientError('unknown-contact', 'There is no contact by that name: run `contacts` to list them.');

/** A name made unique, and the contact whose name the wanted one was (if any). */
export interface NameChoice {
  readonly name: string;
  readonly clashesWith: ContactRecord | undefined;
}

/**
 * `name` (invisible characters removed, white space collapsed), or `name-2`, `name-3`… so that no
 * two contacts have names with the same {@link nameKey}. `self` is the contact being (re)named.
 */
export async function chooseName(ctx: ClientContext, name: string, self?: string): Promise<NameChoice> {
  const others = (await listContacts(ctx)).filter((c) => c.id !== self);
  const taken = new Map(others.map((c) => [nameKey(c.name), c] as const));
  const base = name.replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim() || 'contact';
  const clashesWith = taken.get(nameKey(base));
  let candidate = base;
  for (let i = 2; taken.has(nameKey(candidate)); i++) candidate = `${base}-${i}`;
  return { name: candidate, clashesWith };
}

/** The name {@link chooseName} picks. */
export async function uniqueName(ctx: ClientContext, name: string, self?: string): Promise<string> {
  return (await chooseName(ctx, name, self)).name;
}

/**
 * Names `contact` from what they call themselves (`suggested`), unless the user chose its alias:
 * the suggestion is kept as `suggestedName`, the name is made unique, and a clash with another
 * contact's name becomes a `name-clash` event (a stranger may be posing as someone known).
 */
export async function nameFromSuggestion(
  ctx: ClientContext,
  contact: ContactRecord,
  suggested: string,
): Promise<{ contact: ContactRecord; events: DomainEvent[] }> {
  const withSuggestion: ContactRecord = suggested === '' ? contact : { ...contact, suggestedName: suggested };
  if (contact.aliasSet || suggested === '') return { contact: withSuggestion, events: [] };
  const { name, clashesWith } = await chooseName(ctx, suggested, contact.id);
  const named: ContactRecord = { ...withSuggestion, name };
  const events: DomainEvent[] =
    clashesWith === undefined ? [] : [{ type: 'name-clash', contact: named, suggestedName: suggested, clashesWith }];
  return { contact: named, events };
}

/** The contact whose current identity is `identity` (protocol §3.1 encoding), if there is one. */
export async function contactWithIdentity(
  ctx: ClientContext,
  identity: Uint8Array,
): Promise<ContactRecord | undefined> {
  return (await listContacts(ctx)).find((c) => sameBytes(c.identity, identity));
}

/**
 * Refuses a link (invitation or address) of someone who already is a connected contact: using it
 * would make a second contact for the same person, with its own name and verification. They are
 * recognised as the contact we have; the session with them restarts by itself when needed. A
 * contact still pending (a request never answered) may be asked again.
 */
export async function refuseKnown(ctx: ClientContext, identity: Uint8Array): Promise<void> {
  const known = await contactWithIdentity(ctx, identity);
  if (known !== undefined && known.state === 'connected') {
    throw new ClientError(
      'already-contact',
      `This link is from ${known.name}, who already is your contact: nothing to do (there is no second contact for the same person).`,
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function checkName(name: string): void {
  if (name.length > MAX_NAME) throw new ClientError('usage', `Names are at most ${MAX_NAME} characters.`);
}

/** A contact's identity as the protocol's public identity (protocol §3.1). */
export function identityFrom(bytes: Uint8Array): PublicIdentity {
  const r = new Reader(bytes, 'identity');
  const id = readIdentity(r);
  r.end();
  return id;
}
