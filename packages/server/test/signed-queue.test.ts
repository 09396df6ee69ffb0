/**
 * The rules the mailbox and contact-address stores share (src/storage/signed-queue.ts): which
 * adds are duplicates, refusals or inserts, and which arguments are refused. The stores' own
 * behaviour under these rules is the storage conformance suite's, on SQLite and PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../src/storage/index.ts';
import {
  checkPage,
  checkQueueKey,
  checkSeqs,
  isQueueId,
  judgeAdd,
  MAX_QUEUE_PAGE,
  newQueueId,
} from '../src/storage/signed-queue.ts';

const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return StorageError.is(e, 'usage') ? e.message : 'other error';
  }
  return 'no error';
};

describe('signed-queue rules', () => {
  it('judges an add: duplicate while a copy waits (even when full), new once it expired, refused when full', () => {
    const now = 1000;
    const waiting = { seq: 7, expiresAt: now + 1, receivedAt: 10 };
    expect(judgeAdd(waiting, 5, 5, now)).toEqual({ kind: 'duplicate', seq: 7, receivedAt: 10 });
    expect(judgeAdd(null, 4, 5, now)).toEqual({ kind: 'insert', expiredSeq: null });
    expect(judgeAdd(null, 5, 5, now)).toEqual({ kind: 'full' });
    const expired = { seq: 3, expiresAt: now, receivedAt: 1 };
    expect(judgeAdd(expired, 4, 5, now)).toEqual({ kind: 'insert', expiredSeq: 3 });
    expect(judgeAdd(expired, 5, 5, now)).toEqual({ kind: 'full' });
  });

  it('checks ids, keys, pages and seqs, with messages that name no value', () => {
    expect(isQueueId(new Uint8Array(16))).toBe(true);
    expect(isQueueId(new Uint8Array(15))).toBe(false);
    expect(isQueueId('x'.repeat(16))).toBe(false);

    const key = new Uint8Array(32).fill(9);
    const copy = checkQueueKey(key, 'owner key');
    expect(copy).toEqual(key);
    expect(copy).not.toBe(key);
    expect(usage(() => checkQueueKey(new Uint8Array(31), 'owner key'))).toBe('owner key must be 32 bytes');

    expect(newQueueId(() => new Uint8Array(16).fill(1), 'mailbox id')).toEqual(new Uint8Array(16).fill(1));
    expect(usage(() => newQueueId(() => new Uint8Array(8), 'mailbox id'))).toBe('mailbox id must be 16 bytes');

    expect(checkPage({ limit: 10 })).toEqual({ afterSeq: 0, limit: 10 });
    expect(checkPage({ afterSeq: 4, limit: MAX_QUEUE_PAGE })).toEqual({ afterSeq: 4, limit: MAX_QUEUE_PAGE });
    expect(usage(() => checkPage({ limit: MAX_QUEUE_PAGE + 1 }))).toBe('limit must be an integer from 1 to 1000');
    expect(usage(() => checkPage({ afterSeq: -1, limit: 1 }))).toBe('afterSeq must be a non-negative integer');

    expect(checkSeqs([3, 1, 3, 2])).toEqual([3, 1, 2]);
    expect(usage(() => checkSeqs([1, 1.5]))).toBe('seqs must be non-negative integers');
    expect(usage(() => checkSeqs('1' as unknown as number[]))).toBe('seqs must be non-negative integers');
  });
});
