/**
 * A group commit's operations and their outcomes as one `ArrayBuffer` each, for the SQLite writer
 * thread (sqlite-writer.ts). Posted as objects, each batch was structured-cloned both ways: on
 * the event loop its serialisation was ~11% of the busy time in bench:server, and the thread got
 * three new typed arrays per operation. Packed, a batch is one copy of its bytes into a buffer
 * whose ownership moves to the thread (a transfer, no copy), and the thread binds views of it.
 *
 * Both ends are this process, so the layout is ours to change with the code (little-endian):
 *
 *   enqueue  u8 1 ‖ mailbox id (16) ‖ f64 now ‖ f64 ttlMs ‖ f64 maxMessages ‖ u32 n ‖ envelope (n)
 *   ack      u8 2 ‖ mailbox id (16) ‖ u32 n ‖ n × f64 seq
 *
 * Outcomes are three f64 per operation — stored or duplicate (seq, receivedAt), or acknowledged
 * (deleted) — and refusals, which are rare, travel beside them as `{index, code, message}`.
 *
 * @example
 * ```ts
 * const buffer = encodeOps(ops);
 * worker.postMessage(buffer, [buffer]);                         // event loop
 * const { results, refusals } = encodeOutcomes(writeBatch(decodeOps(buffer))); // thread
 * const outcomes = decodeOutcomes(results, refusals);          // event loop
 * ```
 */
import { StorageError, type StorageErrorCode } from '../errors.ts';
import { MAILBOX_ID_BYTES, type MailboxOp, type MailboxOpResult } from '../mailbox-ops.ts';
import type { Outcome } from './group-commit.ts';

const ENQUEUE = 1;
const ACK = 2;
const ID = MAILBOX_ID_BYTES;
/** kind, id, now, ttlMs, maxMessages, envelope length (the envelope follows). */
const ENQUEUE_HEAD = 1 + ID + 8 + 8 + 8 + 4;
/** kind, id, count (the seqs follow). */
const ACK_HEAD = 1 + ID + 4;

/** Outcome tags, the first of an operation's three f64. */
const STORED = 0;
const DUPLICATE = 1;
const ACKED = 2;
const REFUSED = 3;

/** An operation the thread refused on its own (the rest of its batch committed). */
export interface Refusal {
  readonly index: number;
  readonly code: StorageErrorCode;
  readonly message: string;
}

export function encodeOps(ops: readonly MailboxOp[]): ArrayBuffer {
  let size = 0;
  for (const op of ops)
    size += op.kind === 'enqueue' ? ENQUEUE_HEAD + op.envelope.length : ACK_HEAD + 8 * op.seqs.length;
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  let at = 0;
  for (const op of ops) {
    fixed(op.id, ID, 'mailbox id');
    bytes.set(op.id, at + 1);
    if (op.kind === 'enqueue') {
      bytes[at] = ENQUEUE;
      view.setFloat64(at + 1 + ID, op.now, true);
      view.setFloat64(at + 9 + ID, op.ttlMs, true);
      view.setFloat64(at + 17 + ID, op.maxMessages, true);
      view.setUint32(at + 25 + ID, op.envelope.length, true);
      bytes.set(op.envelope, at + ENQUEUE_HEAD);
      at += ENQUEUE_HEAD + op.envelope.length;
    } else {
      bytes[at] = ACK;
      view.setUint32(at + 1 + ID, op.seqs.length, true);
      at += ACK_HEAD;
      for (const seq of op.seqs) {
        view.setFloat64(at, seq, true);
        at += 8;
      }
    }
  }
  return buffer;
}

/** The operations of `buffer`; byte strings are `Buffer` views of it (what SQLite binds), not copies. */
export function decodeOps(buffer: ArrayBuffer): MailboxOp[] {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  const slice = (at: number, n: number) => {
    if (at + n > buffer.byteLength) throw new StorageError('dependency', 'truncated writer batch');
    return Buffer.from(buffer, at, n);
  };
  const ops: MailboxOp[] = [];
  let at = 0;
  while (at < buffer.byteLength) {
    const kind = bytes[at];
    const id = slice(at + 1, ID);
    if (kind === ENQUEUE) {
      const n = view.getUint32(at + 25 + ID, true);
      ops.push({
        kind: 'enqueue',
        id,
        now: view.getFloat64(at + 1 + ID, true),
        ttlMs: view.getFloat64(at + 9 + ID, true),
        maxMessages: view.getFloat64(at + 17 + ID, true),
        envelope: slice(at + ENQUEUE_HEAD, n),
      });
      at += ENQUEUE_HEAD + n;
    } else if (kind === ACK) {
      const n = view.getUint32(at + 1 + ID, true);
      slice(at + ACK_HEAD, 8 * n); // bounds
      const seqs = new Array<number>(n);
      for (let i = 0; i < n; i++) seqs[i] = view.getFloat64(at + ACK_HEAD + 8 * i, true);
      ops.push({ kind: 'ack', id, seqs });
      at += ACK_HEAD + 8 * n;
    } else throw new StorageError('dependency', 'unknown operation in writer batch');
  }
  return ops;
}

export function encodeOutcomes(outcomes: readonly Outcome<MailboxOpResult>[]): {
  results: ArrayBuffer;
  refusals: Refusal[];
} {
  const results = new Float64Array(3 * outcomes.length);
  const refusals: Refusal[] = [];
  outcomes.forEach((o, i) => {
    if (!o.ok) {
      results[3 * i] = REFUSED;
      refusals.push({ index: i, code: o.error.code, message: o.error.message });
    } else if (typeof o.value === 'number') {
      results[3 * i] = ACKED;
      results[3 * i + 1] = o.value;
    } else {
      results[3 * i] = o.value.duplicate ? DUPLICATE : STORED;
      results[3 * i + 1] = o.value.seq;
      results[3 * i + 2] = o.value.receivedAt;
    }
  });
  return { results: results.buffer, refusals };
}

export function decodeOutcomes(results: ArrayBuffer, refusals: readonly Refusal[]): Outcome<MailboxOpResult>[] {
  const r = new Float64Array(results);
  const outcomes = new Array<Outcome<MailboxOpResult>>(r.length / 3);
  for (let i = 0; i < outcomes.length; i++) {
    const tag = r[3 * i];
    const a = r[3 * i + 1] as number;
    if (tag === ACKED) outcomes[i] = { ok: true, value: a };
    else if (tag === STORED || tag === DUPLICATE) {
      outcomes[i] = { ok: true, value: { seq: a, duplicate: tag === DUPLICATE, receivedAt: r[3 * i + 2] as number } };
    }
  }
  for (const { index, code, message } of refusals)
    outcomes[index] = { ok: false, error: new StorageError(code, message) };
  for (let i = 0; i < outcomes.length; i++) {
    if (outcomes[i] === undefined) throw new StorageError('dependency', 'malformed writer outcomes');
  }
  return outcomes;
}

function fixed(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.length !== n) throw new StorageError('usage', `${what} must be ${n} bytes`);
}
