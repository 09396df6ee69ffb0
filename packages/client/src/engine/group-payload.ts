/**
 * What members say inside a group's MLS application messages (docs/client.md §4.12): UTF-8 JSON,
 * one object per message, checked by a schema (`bad-message` otherwise). MLS authenticates the
 * sender's leaf (RFC 9420 §6.3) and encrypts it; nothing here is visible to the server.
 *
 * - `text`: a text, as in 1:1 (`id` unique per sender, echoed by nothing yet);
 * - `info`: the group's name and description changed (the creator's first ones travel in the
 *   `group-welcome` 1:1 payload to each new device, since a new member cannot read old epochs);
 * - `leave`: the sender's account leaves: the next admin to act removes all its leaves;
 * - `admins`: who may add and remove from now on (only an admin's counts).
 */
import { z } from 'zod';
import { ClientError } from '../errors.ts';
import { MAX_TEXT } from './payload.ts';

export const MAX_GROUP_NAME = 100;
export const MAX_GROUP_DESCRIPTION = 1_000;

const GroupPayload = z.discriminatedUnion('t', [
  z.strictObject({
    t: z.literal('text'),
    id: z.string().min(1).max(40),
    sentAt: z.number().int().min(0),
    body: z.string().min(1).max(MAX_TEXT),
  }),
  z.strictObject({
    t: z.literal('info'),
    name: z.string().min(1).max(MAX_GROUP_NAME),
    description: z.string().max(MAX_GROUP_DESCRIPTION),
  }),
  z.strictObject({ t: z.literal('leave') }),
  /** The admins from now on (account ids); taken only from a sender who is an admin. */
  z.strictObject({ t: z.literal('admins'), admins: z.array(z.string().min(1).max(64)).min(1).max(32) }),
]);

export type GroupPayload = z.output<typeof GroupPayload>;

export const encodeGroupPayload = (p: GroupPayload): Uint8Array => new TextEncoder().encode(JSON.stringify(p));

export function decodeGroupPayload(bytes: Uint8Array): GroupPayload {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ClientError('bad-message', 'A group member sent a message this version of Parley cannot read.');
  }
  const r = GroupPayload.safeParse(json);
  if (!r.success)
    throw new ClientError('bad-message', 'A group member sent a message this version of Parley cannot read.');
  return r.data;
}
