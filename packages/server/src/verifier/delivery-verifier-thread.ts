/**
 * The body of the signature verifier's worker thread: answers each posted batch of
 * {@link VerifyJob}s (verify-batch.ts) with one byte per job, in order (1: verified), using the
 * protocol library's check for the job's kind. Each key arrives as a view into a new batch; keys are kept here (copied)
 * by value so that the crypto backend's parsed-key cache (keyed by the array) hits again.
 */
import { parentPort } from 'node:worker_threads';
import { defaultEnv } from '@parley/protocol';
import { idKey } from '../id-key.ts';
import { RecentMap } from '../recent-map.ts';
import { decodeJobs, SIGNATURE_CHECKS, type VerifyJob } from './verify-batch.ts';

/** Keys kept: the recently used ones (recent-map.ts). */
const MAX_KEYS = 100_000;
const keys = new RecentMap<Uint8Array>(MAX_KEYS);

function stableKey(key: Uint8Array): Uint8Array {
  const hex = idKey(key);
  const kept = keys.get(hex);
  if (kept !== undefined) return kept;
  const copy = new Uint8Array(key); // the job's key is a view into its whole batch
  keys.set(hex, copy);
  return copy;
}

function verify(job: VerifyJob): boolean {
  try {
    return SIGNATURE_CHECKS[job.kind](
      defaultEnv,
      stableKey(job.key),
      job.id,
      job.payload,
      job.operation,
      job.signature,
    );
  } catch {
    return false; // malformed input is a signature that does not verify
  }
}

parentPort?.on('message', (batch: Uint8Array) => {
  const results = Uint8Array.from(decodeJobs(batch), (job) => (verify(job) ? 1 : 0));
  parentPort?.postMessage(results, [results.buffer]);
});
