/**
 * The signature verifier's batches as one buffer each. Posting an array of jobs to the worker
 * structured-cloned four small arrays per job (6.5% of the main thread's time under
 * bench:server); one buffer, transferred rather than copied, costs one copy of the bytes. Each
 * job is its kind (one byte, {@link SIGNATURE_KINDS}) and its five byte strings, each a u32
 * length (big-endian) and the bytes: key, object id, payload, operation, signature. The buffer is
 * made by this process, but it is still decoded with its bounds checked.
 */
import {
  checkAddressOwnership,
  checkDelivery,
  checkGroupAccessBySubject,
  checkMailboxAccess,
  checkSendingRight,
  type ProtocolEnv,
} from '@parley/protocol';

/**
 * What a signature is checked as (protocol §3.6–3.7): a delivery (payload: the envelope), or a
 * proof over a challenge (payload: the challenge) and an operation (§3.5.1) of a mailbox's
 * recipient key, of its sender key, or of a contact address's owner key; or a group proof by an
 * epoch's write key (its object id: the group id and the epoch, protocol group-proof.ts).
 */
export type SignatureKind = 'delivery' | 'mailbox-access' | 'sending-right' | 'address-ownership' | 'group-access';

/** The kinds in the order of their byte in a batch. */
export const SIGNATURE_KINDS: readonly SignatureKind[] = [
  'delivery',
  'mailbox-access',
  'sending-right',
  'address-ownership',
  'group-access',
];

/** The protocol library's check for each kind: nothing of the signatures is re-implemented here. */
export const SIGNATURE_CHECKS: Record<
  SignatureKind,
  (
    env: ProtocolEnv,
    key: Uint8Array,
    id: Uint8Array,
    payload: Uint8Array,
    operation: Uint8Array,
    signature: Uint8Array,
  ) => boolean
> = {
  // A delivery signs its envelope, which is the operation: it binds no other (§3.6).
  delivery: (env, key, id, envelope, operation, signature) =>
    operation.length === 0 && checkDelivery(env, key, id, envelope, signature),
  'mailbox-access': checkMailboxAccess,
  'sending-right': checkSendingRight,
  'address-ownership': checkAddressOwnership,
  'group-access': checkGroupAccessBySubject,
};

/**
 * One check: whether `signature` is `key`'s signature of kind `kind` over `id`, `payload` and,
 * for a proof, `operation` (empty for a delivery).
 */
export interface VerifyJob {
  readonly kind: SignatureKind;
  readonly key: Uint8Array;
  readonly id: Uint8Array;
  readonly payload: Uint8Array;
  readonly operation: Uint8Array;
  readonly signature: Uint8Array;
}

function fields(job: VerifyJob): Uint8Array[] {
  return [job.key, job.id, job.payload, job.operation, job.signature];
}

export function encodeJobs(jobs: readonly VerifyJob[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const job of jobs) for (const f of fields(job)) size += 4 + f.length;
  const out = new Uint8Array(size + jobs.length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const job of jobs) {
    out[at++] = SIGNATURE_KINDS.indexOf(job.kind);
    for (const f of fields(job)) {
      view.setUint32(at, f.length);
      out.set(f, at + 4);
      at += 4 + f.length;
    }
  }
  return out;
}

/** The jobs of an encoded batch, as views into it; throws on a truncated buffer or an unknown kind. */
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
  while (at < bytes.length) {
    const kind = SIGNATURE_KINDS[bytes[at++] as number];
    if (kind === undefined) throw new RangeError('unknown signature kind in verify batch');
    jobs.push({ kind, key: next(), id: next(), payload: next(), operation: next(), signature: next() });
  }
  return jobs;
}
