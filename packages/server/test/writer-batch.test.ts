/**
 * The packed batches between the event loop and the SQLite writer thread (writer-batch.ts): what
 * goes in comes out, field for field, and a buffer that is not a batch is refused, not misread.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StorageError } from '../src/storage/errors.ts';
import type { MailboxOp, MailboxOpResult } from '../src/storage/mailbox-ops.ts';
import type { Outcome } from '../src/storage/sqlite/group-commit.ts';
import { decodeOps, decodeOutcomes, encodeOps, encodeOutcomes } from '../src/storage/sqlite/writer-batch.ts';
import { T0 } from './storage-fixtures.ts';

const enqueue = (envelope: Uint8Array): MailboxOp => ({
  kind: 'enqueue',
  id: randomBytes(16),
  envelope,
  now: T0 + 0.5, // f64 all the way: not rounded
  ttlMs: 21 * 86_400_000,
  maxMessages: 10_000,
});

/** An op with its byte strings as plain arrays, to compare Buffers and Uint8Arrays alike. */
const plain = (op: MailboxOp) =>
  op.kind === 'enqueue' ? { ...op, id: [...op.id], envelope: [...op.envelope] } : { ...op, id: [...op.id] };

describe('writer batches', () => {
  it('carry enqueues and acks, in order, field for field', () => {
    const ops: MailboxOp[] = [
      enqueue(randomBytes(100)),
      { kind: 'ack', id: randomBytes(16), seqs: [1, 2 ** 53 - 1, 77] },
      enqueue(new Uint8Array([7])),
      enqueue(randomBytes(64 * 1024)),
      { kind: 'ack', id: randomBytes(16), seqs: [5] },
    ];
    const decoded = decodeOps(encodeOps(ops));
    expect(decoded.map(plain)).toEqual(ops.map(plain));
    // What SQLite binds: Buffers.
    for (const op of decoded) expect(Buffer.isBuffer(op.id)).toBe(true);
  });

  it('carry outcomes: stored, duplicate, acknowledged and refused', () => {
    const outcomes: Outcome<MailboxOpResult>[] = [
      { ok: true, value: { seq: 41, duplicate: false, receivedAt: T0 } },
      { ok: false, error: new StorageError('mailbox-full', 'mailbox is full') },
      { ok: true, value: { seq: 2 ** 53 - 1, duplicate: true, receivedAt: T0 - 1 } },
      { ok: true, value: 3 },
      { ok: false, error: new StorageError('not-found', 'mailbox not found') },
    ];
    const { results, refusals } = encodeOutcomes(outcomes);
    const back = decodeOutcomes(results, refusals);
    expect(back.map((o) => (o.ok ? o : { code: o.error.code, message: o.error.message }))).toEqual([
      outcomes[0],
      { code: 'mailbox-full', message: 'mailbox is full' },
      outcomes[2],
      outcomes[3],
      { code: 'not-found', message: 'mailbox not found' },
    ]);
    expect(back.every((o) => o.ok || o.error instanceof StorageError)).toBe(true);
  });

  it('refuse what is not a batch: truncated, an unknown kind, outcomes without their refusal', () => {
    const whole = encodeOps([enqueue(randomBytes(50))]);
    expect(() => decodeOps(whole.slice(0, whole.byteLength - 1))).toThrow(StorageError);
    const ack = encodeOps([{ kind: 'ack', id: randomBytes(16), seqs: [1, 2] }]);
    expect(() => decodeOps(ack.slice(0, ack.byteLength - 8))).toThrow(StorageError);
    const unknown = new Uint8Array(encodeOps([enqueue(randomBytes(5))]));
    unknown[0] = 9;
    expect(() => decodeOps(unknown.buffer)).toThrow(StorageError);
    const { results } = encodeOutcomes([{ ok: false, error: new StorageError('not-found', 'mailbox not found') }]);
    expect(() => decodeOutcomes(results, [])).toThrow(StorageError);
  });

  it('refuse mailbox ids of the wrong length when encoding', () => {
    expect(() => encodeOps([{ ...enqueue(randomBytes(5)), id: randomBytes(15) } as MailboxOp])).toThrow(StorageError);
    expect(() => encodeOps([{ kind: 'ack', id: randomBytes(17), seqs: [1] }])).toThrow(StorageError);
  });
});
