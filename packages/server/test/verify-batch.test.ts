import { describe, expect, it } from 'vitest';
import { decodeJobs, encodeJobs, SIGNATURE_KINDS, type VerifyJob } from '../src/verifier/verify-batch.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('verify batches', () => {
  it('round-trip any number of jobs, empty fields included', () => {
    const jobs: VerifyJob[] = [
      {
        kind: 'delivery',
        key: bytes(32, 1),
        id: bytes(16, 2),
        payload: bytes(100, 3),
        operation: bytes(0, 0),
        signature: bytes(64, 4),
      },
      {
        kind: 'address-ownership',
        key: bytes(0, 0),
        id: bytes(1, 5),
        payload: bytes(70_000, 6),
        operation: bytes(60, 8),
        signature: bytes(3, 7),
      },
    ];
    expect(decodeJobs(encodeJobs(jobs))).toEqual(jobs);
    expect(decodeJobs(encodeJobs([]))).toEqual([]);
  });

  it('carries every kind, and refuses a kind it does not know', () => {
    const job = (kind: VerifyJob['kind']): VerifyJob => ({
      kind,
      key: bytes(32, 1),
      id: bytes(16, 2),
      payload: bytes(32, 3),
      operation: bytes(11, 5),
      signature: bytes(64, 4),
    });
    const all = SIGNATURE_KINDS.map(job);
    expect(decodeJobs(encodeJobs(all))).toEqual(all);
    const encoded = encodeJobs([job('delivery')]);
    encoded[0] = SIGNATURE_KINDS.length;
    expect(() => decodeJobs(encoded)).toThrow(RangeError);
  });

  it('refuses a truncated batch', () => {
    const encoded = encodeJobs([
      {
        kind: 'sending-right',
        key: bytes(32, 1),
        id: bytes(16, 2),
        payload: bytes(9, 3),
        operation: bytes(11, 5),
        signature: bytes(64, 4),
      },
    ]);
    for (const n of [1, 4, 40, encoded.length - 1])
      expect(() => decodeJobs(encoded.subarray(0, n))).toThrow(RangeError);
  });
});
