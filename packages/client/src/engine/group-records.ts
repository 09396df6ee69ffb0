/**
 * What the client keeps for groups (docs/client.md §4.12), beside records.ts's kinds. Own schemas
 * here (checked on every read, `store-corrupt` otherwise) so the 1:1 record table stays as it is.
 *
 *   kind     id                   value
 *   group    group id (base64url) GroupRecord: name, MLS state, log cursor
 *   gself    self                 this device's member identity (leaf signature key + credential)
 *   gkp      random / last        a key package secret we published (one-time, or the last resort)
 *
 * A group's history is `msg.<group id>` like a 1:1 conversation's: the group id is its
 * conversation id, so texts, unread counts and summaries work alike.
 */
import { z } from 'zod';
import { ClientError } from '../errors.ts';
import { decodeJson } from './record-json.ts';

const bytes = z.instanceof(Uint8Array);
const count = z.number().int().nonnegative();

export interface GroupRecord {
  readonly v: 1;
  /** base64url of the 16-byte group id; also the conversation id. */
  readonly id: string;
  /** The server that keeps the group's log (its creator's home server). */
  readonly server: string;
  readonly name: string;
  readonly description: string;
  /** The group engine's encoded state (GroupEngine.encodeState). */
  readonly state: Uint8Array;
  /** The last log seq handled. */
  readonly cursor: number;
  /** Seqs of our own posts past the cursor (skipped when read back: we cannot decrypt our own). */
  readonly mine: readonly number[];
  /**
   * removed: a commit removed this device; left: we left — either way nothing more is read.
   * stalled: a member who is not an admin committed an add or a removal; we (and every honest
   * member) refused it, and the log cannot go on past it (docs/client.md §4.12 "Admins").
   */
  readonly status: 'active' | 'removed' | 'left' | 'stalled';
  /** Account ids (base64url of identity keys) allowed to add, remove and name admins. */
  readonly admins: readonly string[];
  /** Accounts that asked to leave (`leave`) and whose leaves an admin has yet to remove. */
  readonly leaving?: readonly string[];
  readonly createdAt: number;
}

export interface MemberIdentityRecord {
  readonly v: 1;
  readonly signatureKey: { readonly publicKey: Uint8Array; readonly privateKey: Uint8Array };
  readonly accountKey: Uint8Array;
  readonly deviceId: number;
  readonly binding: Uint8Array;
}

export interface KeyPackageRecord {
  readonly v: 1;
  /** The secret GroupEngine.join takes. */
  readonly secret: Uint8Array;
  readonly lastResort: boolean;
  readonly createdAt: number;
}

const schemas = {
  group: z.strictObject({
    v: z.literal(1),
    id: z.string(),
    server: z.string(),
    name: z.string(),
    description: z.string(),
    state: bytes,
    cursor: count,
    mine: z.array(count),
    status: z.enum(['active', 'removed', 'left', 'stalled']),
    admins: z.array(z.string()),
    leaving: z.array(z.string()).optional(),
    createdAt: z.number(),
  }),
  gself: z.strictObject({
    v: z.literal(1),
    signatureKey: z.strictObject({ publicKey: bytes, privateKey: bytes }),
    accountKey: bytes,
    deviceId: count,
    binding: bytes,
  }),
  gkp: z.strictObject({ v: z.literal(1), secret: bytes, lastResort: z.boolean(), createdAt: z.number() }),
};

interface GroupRecordTypes {
  group: GroupRecord;
  gself: MemberIdentityRecord;
  gkp: KeyPackageRecord;
}

export function decodeGroupRecord<K extends keyof GroupRecordTypes>(kind: K, value: Uint8Array): GroupRecordTypes[K] {
  const r = schemas[kind].safeParse(decodeJson(value));
  if (!r.success) throw new ClientError('store-corrupt', 'A record of this profile is damaged.');
  return r.data as GroupRecordTypes[K];
}

/** The id of the last-resort key package secret. */
export const LAST_RESORT_KP = 'last';
