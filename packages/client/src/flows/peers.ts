/**
 * Contacts with their devices, as the flows load and store them: a {@link Peer} is a contact and
 * one of its devices (an envelope is from one device; sending fans out to all of them,
 * docs/client.md §4.9). A contact's devices list together under `<contact>/…`.
 */
import { decodeAs } from '../engine/record-schemas.ts';
import { type ContactRecord, type DeviceRecord, type Peer, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { type ClientContext, getRecord } from './context.ts';

const DEVICE_PAGE = 4;

/** The devices of a contact, in slot order. */
export async function devicesOf(ctx: ClientContext, contactId: string): Promise<DeviceRecord[]> {
  const prefix = `${contactId}/`;
  const out: DeviceRecord[] = [];
  let after = prefix;
  for (;;) {
    // Pages, not the whole kind: the ids after this contact's are other contacts' devices.
    const rows = await ctx.store.list('device', { after, limit: DEVICE_PAGE });
    for (const r of rows) {
      if (!r.id.startsWith(prefix)) return out;
      out.push(decodeAs('device', r.value));
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < DEVICE_PAGE) return out;
    after = last.id;
  }
}

/** A contact and its first device; `store-corrupt` if a contact has no device. */
export async function peerOf(ctx: ClientContext, contact: ContactRecord): Promise<Peer> {
  const [device] = await devicesOf(ctx, contact.id);
  if (device === undefined) throw new ClientError('store-corrupt', 'A contact of this profile has no device record.');
  return { contact, device };
}

/**
 * A contact with its device `device` (a session it started names it), or else the first one:
 * a person with several devices reconnects on the device that spoke.
 */
export async function peerFor(ctx: ClientContext, contact: ContactRecord, device: number): Promise<Peer> {
  const devices = await devicesOf(ctx, contact.id);
  const match = devices.find((d) => d.device === device) ?? devices[0];
  if (match === undefined) throw new ClientError('store-corrupt', 'A contact of this profile has no device record.');
  return { contact, device: match };
}

/** The peer of contact `id`, or undefined if there is no such contact. */
export async function loadPeer(ctx: ClientContext, id: string): Promise<Peer | undefined> {
  const c = await getRecord(ctx, 'contact', id);
  return c === undefined ? undefined : peerOf(ctx, c);
}

/** The writes that store a peer as it became (contact and device). */
export const peerWrites = (p: Peer): RecordWrite[] => [
  put('contact', p.contact.id, p.contact),
  put('device', p.device.id, p.device),
];
