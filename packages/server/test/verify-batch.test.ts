import { describe, expect, it } from 'vitest';
import { decodeJobs, encodeJobs } from '../src/verify-batch.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('verify batches', () => {
  it('round-trip any number of jobs, empty fields included', () => {
    const jobs = [
      { key: bytes(32, 1), mailbox: bytes(16, 2), envelope: bytes(100, 3), signature: bytes(64, 4) },
      { key: bytes(0, 0), mailbox: bytes(1, 5), envelope: bytes(70_000, 6), signature: bytes(3, 7) },
    ];
    expect(decodeJobs(encodeJobs(jobs))).toEqual(jobs);
    expect(decodeJobs(encodeJobs([]))).toEqual([]);
  });

  it('refuses a truncated batch', () => {
    const encoded = encodeJobs([
      { key: bytes(32, 1), mailbox: bytes(16, 2), envelope: bytes(9, 3), signature: bytes(64, 4) },
    ]);
    for (const n of [1, 4, 40, encoded.length - 1])
      expect(() => decodeJobs(encoded.subarray(0, n))).toThrow(RangeError);
  });
});
