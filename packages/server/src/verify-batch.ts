/**
 * The delivery verifier's batches as one buffer each. Posting an array of jobs to the worker
 * structured-cloned four small arrays per job (6.5% of the main thread's time under
 * bench:server); one buffer, transferred rather than copied, costs one copy of the bytes. Each
 * job is its four byte strings, each a u32 length (big-endian) and the bytes: sender key, mailbox
 * id, envelope, signature. The buffer is made by this process, but it is still decoded with its
 * bounds checked.
 */

/** One check: whether `signature` is `key`'s delivery signature over `mailbox` and `envelope`. */
export interface VerifyJob {
  readonly key: Uint8Array;
  readonly mailbox: Uint8Array;
  readonly envelope: Uint8Array;
  readonly signature: Uint8Array;
}

function fields(job: VerifyJob): Uint8Array[] {
  return [job.key, job.mailbox, job.envelope, job.signature];
}

export function encodeJobs(jobs: readonly VerifyJob[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const job of jobs) for (const f of fields(job)) size += 4 + f.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const job of jobs) {
    for (const f of fields(job)) {
      view.setUint32(at, f.length);
      out.set(f, at + 4);
      at += 4 + f.length;
    }
  }
  return out;
}

/** The jobs of an encoded batch, as views into it; throws on a truncated buffer. */
export function decodeJobs(bytes: Uint8Array): VerifyJob[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const next = (): Uint8Array => {
    if (at + 4 > bytes.length) throw new RangeError('truncated verify batch');
    const n = view.getUint32(at);
    if (at + 4 + n > bytes.length) throw new RangeError('truncated verify batch');
    const f = bytes.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return f;
  };
  const jobs: VerifyJob[] = [];
  while (at < bytes.length) jobs.push({ key: next(), mailbox: next(), envelope: next(), signature: next() });
  return jobs;
}
