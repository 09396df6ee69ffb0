/**
 * One delivery into a mailbox, the same for HTTP and WebSocket sends: check the size and the
 * sender's right to write (protocol §3.6) — a delivery signature, or a sending proof given
 * earlier on the same WebSocket connection — then store the envelope durably and idempotently
 * and wake the subscribers. It resolves only once the message is committed, so an
 * acknowledgement to the sender always means "on disk".
 */
import { MAX_ENVELOPE_BYTES } from '@parley/protocol';
import type { ApiDeps } from '../api-deps.ts';
import { DomainError } from '../domain-error.ts';
import type { Transport } from '../metrics.ts';
import { type EnqueueResult, StorageError } from '../storage/index.ts';
import { verifierOf } from '../verifier/delivery-verifier.ts';

/** The largest envelope a mailbox accepts (the wire contract's limit, re-exported). */
export { MAX_ENVELOPE_BYTES };
/** Unacknowledged messages are deleted after this long (21 days). */
export const MESSAGE_TTL_MS = 21 * 24 * 60 * 60 * 1000;
/** The most unacknowledged messages one mailbox holds. */
export const MAX_MAILBOX_MESSAGES = 10_000;

/** One answer for an unknown mailbox and a signature that is not its sender key's (see below). */
const NO_SUCH_MAILBOX = 'no such mailbox';

function noSuchMailbox(): never {
  throw new DomainError('no-such-mailbox', NO_SUCH_MAILBOX);
}

/** A delivery carrying its own sender-key signature (HTTP, or a WebSocket `send` with `signature`). */
export async function deliver(
  deps: ApiDeps,
  transport: Transport,
  id: Uint8Array,
  envelope: Uint8Array,
  signature: Uint8Array,
): Promise<{ seq: number; duplicate: boolean }> {
  const arrived = performance.now();
  const tooLarge = sizeError(envelope);
  if (tooLarge !== undefined) throw tooLarge;
  const mailbox = (await deps.mailboxes.getMailbox(id)) ?? noSuchMailbox();
  // A bad signature gets the unknown mailbox's answer, code and words alike (docs/server.md): a
  // sender without the sender key cannot tell whether the mailbox exists, as a reader without
  // the recipient key cannot (every failed proof is the same 401).
  if (!(await verifierOf(deps).check('delivery', mailbox.senderKey, id, envelope, signature))) {
    throw new DomainError('bad-signature', NO_SUCH_MAILBOX);
  }
  return store(deps, transport, arrived, id, envelope);
}

/**
 * A delivery over a WebSocket connection on which the sender already proved the mailbox's sender
 * key (a sending proof, protocol §3.6): the caller has checked that; nothing is verified here.
 * Not an async function, as the rest of this hot path (websocket/connection.ts): each async
 * frame is kept alive, and copied by every scavenge, for as long as the group commit takes.
 */
export function deliverAuthorized(
  deps: ApiDeps,
  id: Uint8Array,
  envelope: Uint8Array,
): Promise<{ seq: number; duplicate: boolean }> {
  const arrived = performance.now();
  const tooLarge = sizeError(envelope);
  if (tooLarge !== undefined) return Promise.reject(tooLarge);
  return store(deps, 'websocket', arrived, id, envelope);
}

function sizeError(envelope: Uint8Array): DomainError | undefined {
  if (envelope.length > MAX_ENVELOPE_BYTES) return new DomainError('envelope-too-large', 'envelope larger than 64 KiB');
  return undefined;
}

function store(
  deps: ApiDeps,
  transport: Transport,
  arrived: number,
  id: Uint8Array,
  envelope: Uint8Array,
): Promise<{ seq: number; duplicate: boolean }> {
  let enqueued: Promise<EnqueueResult>;
  try {
    enqueued = deps.mailboxes.enqueue(id, envelope, { ttlMs: MESSAGE_TTL_MS, maxMessages: MAX_MAILBOX_MESSAGES });
  } catch (e) {
    // A store that refuses synchronously gets the same answers as one that rejects.
    enqueued = Promise.reject(e);
  }
  return enqueued.then(
    (result) => {
      if (!result.duplicate) deps.events.notify(id, { seq: result.seq, envelope, receivedAt: result.receivedAt });
      deps.metrics?.deliveries.inc({ transport, result: result.duplicate ? 'duplicate' : 'stored' });
      deps.metrics?.deliverySeconds.observe({ transport }, (performance.now() - arrived) / 1000);
      return result;
    },
    (e: unknown) => {
      if (StorageError.is(e, 'not-found')) noSuchMailbox();
      if (StorageError.is(e, 'mailbox-full')) throw new DomainError('mailbox-full', 'the mailbox is full; retry later');
      throw e;
    },
  );
}
