/**
 * Bringing a profile's records up to the current version when it is opened (engine/upgrade.ts):
 * everything the upgrade reads is listed first, and what it writes is committed as ONE batch, so
 * a crash leaves the profile wholly old (upgraded again at the next open) or wholly new.
 */

import { decodeJson } from '../engine/record-json.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import { messageKind, type ProfileRecord, RECORD_VERSION } from '../engine/records.ts';
import { type ProfileV1, upgradeV1 } from '../engine/upgrade.ts';
import { ClientError } from '../errors.ts';
import type { RecordStore } from '../store/record-store.ts';

/** The profile record, after upgrading the store if it is older; undefined if there is none. */
export async function openProfileRecord(store: RecordStore): Promise<ProfileRecord | undefined> {
  const bytes = await store.get('profile', 'self');
  if (bytes === undefined) return undefined;
  const v = versionOf(decodeJson(bytes));
  if (v === 1) {
    await store.commit(upgradeV1(await readV1(store, bytes)));
    const upgraded = await store.get('profile', 'self');
    return upgraded === undefined ? undefined : decodeAs('profile', upgraded);
  }
  if (v !== RECORD_VERSION) {
    throw new ClientError('store-corrupt', 'This profile was written by another version of Parley.');
  }
  return decodeAs('profile', bytes);
}

function versionOf(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'v' in value ? value.v : undefined;
}

async function readV1(store: RecordStore, profile: Uint8Array): Promise<ProfileV1> {
  const contacts = await store.list('contact');
  const messages = new Map<string, Awaited<ReturnType<RecordStore['list']>>>();
  for (const c of contacts) messages.set(c.id, await store.list(messageKind(c.id)));
  return {
    profile,
    contacts,
    messages,
    inbox: await store.list('inbox'),
    outbox: await store.list('outbox'),
    invitations: await store.list('invitation'),
    address: await store.get('address', 'self'),
    requests: await store.list('request'),
  };
}
