/**
 * The JSON frames a client sends on the WebSocket, validated at the server's edge: the wire
 * contract's shapes (@parley/protocol json-frames.ts, which this schema's input is checked
 * against at compile time), with byte fields decoded from canonical base64url.
 */
import { GROUP_ID_BYTES, type JsonClientFrame, MAX_SEQS_PER_REQUEST } from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../wire-json.ts';

export const JsonClientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('challenge'), id: z.number().int() }),
  z.strictObject({
    type: z.literal('subscribe'),
    id: z.number().int(),
    mailbox: b64url(16),
    challenge: b64url(32),
    proof: b64url(64),
    /** How this subscription's messages are pushed (default JSON). */
    push: z.enum(['json', 'binary']).optional(),
  }),
  z.strictObject({
    type: z.literal('authorize'),
    id: z.number().int(),
    mailbox: b64url(16),
    challenge: b64url(32),
    proof: b64url(64),
  }),
  z.strictObject({
    type: z.literal('send'),
    id: z.number().int(),
    mailbox: b64url(16),
    envelope: b64url().refine((b) => b.length >= 1, 'envelope must not be empty'),
    signature: b64url(64).optional(),
  }),
  z.strictObject({
    type: z.literal('ack'),
    // Without an id nothing answers a successful ack (pushes are acknowledged as they are handled;
    // one that is lost is pushed again), which saves a frame per message each way.
    id: z.number().int().optional(),
    mailbox: b64url(16),
    // zod 4's int() takes safe integers only (≤ 2^53 − 1), as the binary ack's u64 seqs.
    seqs: z.array(z.number().int().min(1)).min(1).max(MAX_SEQS_PER_REQUEST),
  }),
  z.strictObject({
    type: z.literal('subscribe-group'),
    id: z.number().int(),
    group: b64url(GROUP_ID_BYTES),
    epoch: z.number().int().min(0),
    after: z.number().int().min(0).optional(),
    challenge: b64url(32),
    proof: b64url(64),
  }),
]) satisfies z.ZodType<unknown, JsonClientFrame>;

/** A client frame, parsed: byte fields as bytes. */
export type ParsedJsonClientFrame = z.output<typeof JsonClientFrameSchema>;
