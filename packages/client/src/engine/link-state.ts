/**
 * The `linking` record (id `self`): where a linking stands on either device, committed after every
 * step so that a crash resumes or ends it cleanly (docs/client.md §4.10). One linking at a time
 * per profile.
 *
 * Existing device E:  waiting → code → granting → transfer → (record deleted)
 * New device N:       requested → code → confirmed → transfer → (record deleted)
 *
 * Before `granting` (E) / `confirmed`→grant (N) nothing has changed on either device or on the
 * server beyond the two link mailboxes, so a restart there ends the linking (link-aborted) and
 * cleans up; from then on a restart resumes from the last acknowledged chunk.
 */
import { z } from 'zod';
import type { HistoryCursor, HistoryPlan } from './history-plan.ts';
import { HistoryChoice } from './link-wire.ts';
import type { KeyPairRecord, OwnMailbox } from './records.ts';

export interface LinkKeysRecord {
  readonly toNew: Uint8Array;
  readonly toExisting: Uint8Array;
  readonly sas: string;
}

/** Frame counters of one side: the next index it sends, the highest it has processed (-1: none). */
export interface FrameCounters {
  readonly sendIndex: number;
  readonly recvIndex: number;
  /** The server's seq of the last envelope read from the mailbox this side reads. */
  readonly readSeq: number;
}

export interface ExistingLinking extends FrameCounters {
  readonly v: 2;
  readonly role: 'existing';
  readonly stage: 'waiting' | 'code' | 'granting' | 'transfer';
  readonly link: string;
  readonly payload: Uint8Array;
  readonly expiresAt: number;
  /** N writes here, E reads. */
  readonly up: OwnMailbox;
  /** E writes here, N reads (its recipient key is in the link). */
  readonly down: OwnMailbox;
  readonly commit: { readonly ephemeral: KeyPairRecord; readonly nonce: Uint8Array };
  readonly keys?: LinkKeysRecord;
  /** N's device key, from its request. */
  readonly deviceKey?: Uint8Array;
  /** The user confirmed the code here. */
  readonly userConfirmed?: true;
  /** N's confirm frame: what history it wants and its name. */
  readonly peer?: { readonly history: HistoryChoice; readonly deviceName: string };
  /** From `granting` on: the device id chosen for N and its certificate. */
  readonly newDevice?: { readonly id: number; readonly certificate: Uint8Array; readonly deviceList: Uint8Array };
  readonly plan?: HistoryPlan;
  /** The next chunk to send (its number and where it starts). */
  readonly next?: { readonly n: number; readonly cursor: HistoryCursor };
  /** The chunks sent and not yet acknowledged: number → where each starts (to resend from). */
  readonly inFlight?: readonly { readonly n: number; readonly cursor: HistoryCursor; readonly items?: number }[];
  /** Items sent and acknowledged (for progress). */
  readonly acked?: number;
  readonly skipped?: number;
  /** The highest chunk number sent so far (resends count nothing twice). */
  readonly sentUpTo?: number;
  /** `end` was sent: waiting for the last ack. */
  readonly ended?: true;
  /** N acknowledged something: it has the grant (else a resume sends the grant again). */
  readonly grantAcked?: true;
}

export interface NewLinking extends FrameCounters {
  readonly v: 2;
  readonly role: 'new';
  readonly stage: 'requested' | 'code' | 'confirmed' | 'transfer';
  readonly link: string;
  readonly deviceName: string;
  readonly history: HistoryChoice;
  readonly deviceKeys: KeyPairRecord;
  readonly request: Uint8Array;
  readonly requestSecret: {
    readonly ephemeral: KeyPairRecord;
    readonly kem: { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array };
  };
  readonly keys?: LinkKeysRecord;
  /** Chunks stored without a gap, and the items they carried. */
  readonly chunks?: number;
  readonly received?: number;
  readonly total?: number;
}

export type LinkingRecord = ExistingLinking | NewLinking;

const bytes = z.instanceof(Uint8Array);
const count = z.number().int().nonnegative();
const keyPair = z.strictObject({ privateKey: bytes, publicKey: bytes });
const ownMailbox = z.strictObject({ id: bytes, recipient: keyPair, sender: keyPair, lastSeq: count });
const keys = z.strictObject({ toNew: bytes, toExisting: bytes, sas: z.string() });
const cursor = z.strictObject({ seg: count, after: z.string() });
const counters = { sendIndex: count, recvIndex: z.number().int().min(-1), readSeq: count };

export const linkingSchema = z.discriminatedUnion('role', [
  z.strictObject({
    v: z.literal(2),
    role: z.literal('existing'),
    stage: z.enum(['waiting', 'code', 'granting', 'transfer']),
    link: z.string(),
    payload: bytes,
    expiresAt: z.number(),
    up: ownMailbox,
    down: ownMailbox,
    commit: z.strictObject({ ephemeral: keyPair, nonce: bytes }),
    keys: keys.optional(),
    deviceKey: bytes.optional(),
    userConfirmed: z.literal(true).optional(),
    peer: z.strictObject({ history: HistoryChoice, deviceName: z.string() }).optional(),
    newDevice: z.strictObject({ id: count, certificate: bytes, deviceList: bytes }).optional(),
    plan: z
      .strictObject({
        contacts: z.array(z.string()),
        ranges: z.array(z.strictObject({ conversationId: z.string(), after: z.string(), to: z.string(), count })),
        total: count,
      })
      .optional(),
    next: z.strictObject({ n: count, cursor }).optional(),
    inFlight: z.array(z.strictObject({ n: count, cursor, items: count.optional() })).optional(),
    acked: count.optional(),
    skipped: count.optional(),
    sentUpTo: count.optional(),
    ended: z.literal(true).optional(),
    grantAcked: z.literal(true).optional(),
    ...counters,
  }),
  z.strictObject({
    v: z.literal(2),
    role: z.literal('new'),
    stage: z.enum(['requested', 'code', 'confirmed', 'transfer']),
    link: z.string(),
    deviceName: z.string(),
    history: HistoryChoice,
    deviceKeys: keyPair,
    request: bytes,
    requestSecret: z.strictObject({ ephemeral: keyPair, kem: z.strictObject({ publicKey: bytes, secretKey: bytes }) }),
    keys: keys.optional(),
    chunks: count.optional(),
    received: count.optional(),
    total: count.optional(),
    ...counters,
  }),
]);

export const LINKING_ID = 'self';
