/** Finding contacts by alias or id, and keeping aliases unique and within bounds (they are how users name contacts). */
import { type PublicIdentity, Reader, readIdentity } from '@parley/protocol';
import { MAX_NAME } from '../engine/payload.ts';
import type { ContactRecord, Peer } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { type ClientContext, listRecords } from './context.ts';
import { loadPeer, peerOf } from './peers.ts';

/** Finds a contact by id, or else by alias (case-insensitive). */
export async function findContact(ctx: ClientContext, nameOrId: string): Promise<ContactRecord> {
  const all = await listRecords(ctx, 'contact');
  const key = nameOrId.toLowerCase();
  const found = all.find((c) => c.id === nameOrId) ?? all.find((c) => c.name.toLowerCase() === key);
  if (!found) throw unknownContact();
  return found;
}

/** The contact found by {@link findContact}, with the device we talk to. */
export async function findPeer(ctx: ClientContext, nameOrId: string): Promise<Peer> {
  return peerOf(ctx, await findContact(ctx, nameOrId));
}

export async function loadContact(ctx: ClientContext, id: string): Promise<Peer> {
  const p = await loadPeer(ctx, id);
  if (!p) throw unknownContact();
  return p;
}

const unknownContact = () =>
  new ClientError('unknown-contact', 'There is no contact by that name: run `contacts` to list them.');

/** `name`, or `name-2`, `name-3`… so that aliases stay unique (they are how users name contacts). */
export async function uniqueName(ctx: ClientContext, name: string, self?: string): Promise<string> {
  const taken = new Set(
    (await listRecords(ctx, 'contact')).filter((c) => c.id !== self).map((c) => c.name.toLowerCase()),
  );
  const base = name.trim() || 'contact';
  let candidate = base;
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${base}-${i}`;
  return candidate;
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
