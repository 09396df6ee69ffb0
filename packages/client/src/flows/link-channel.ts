/**
 * The two link mailboxes as a channel of link frames (docs/client.md §4.10, protocol §14.2): the
 * frame counters both sides keep, polling a mailbox for what came after the last envelope
 * processed, and telling a user's answer from a frame of the other device while waiting for either.
 */
import { type LinkFrameKind, openLinkFrame, type ProtocolEnv, ProtocolError, sealLinkFrame } from '@parley/protocol';
import { decodeLinkBody, encodeLinkBody, tampered } from '../engine/link-wire.ts';
import { ClientError } from '../errors.ts';
import type { OwnedMailbox, ServerApiLike, StoredEnvelope } from '../net/server-api-types.ts';
import { refused } from './context.ts';

/** How often a waiting device looks at its link mailbox (default). */
export const LINK_POLL_MS = 500;

export const linkUsed = () =>
  new ClientError(
    'link-used',
    'This device link was already used (or its linking has ended). Show a new link on your other device.',
  );

export const linkExpired = () =>
  new ClientError('link-expired', 'This device link has expired (links last 10 minutes). Show a new one.');

export const linkAborted = (why: 'rejected' | 'interrupted' | 'cancelled' | 'failed') =>
  new ClientError(
    'link-aborted',
    why === 'rejected'
      ? 'The linking was declined on one of the devices: nothing was linked.'
      : why === 'interrupted'
        ? 'An earlier linking was interrupted before anything was linked: it was cancelled. Start again.'
        : why === 'cancelled'
          ? 'The linking was cancelled: nothing was linked.'
          : 'The other device ended the linking: nothing was linked. Start again.',
  );

export const codeMismatch = () =>
  new ClientError(
    'link-code-mismatch',
    'The codes on the two devices differ: someone may be intercepting the linking. Nothing was linked; do not retry on this network until you know why.',
  );

/** Envelopes after `afterSeq` in `mailbox`; a mailbox gone on the server is `link-used`. */
export async function readAfter(
  api: ServerApiLike,
  mailbox: OwnedMailbox,
  afterSeq: number,
): Promise<StoredEnvelope[]> {
  try {
    return await api.readMailbox(mailbox, afterSeq);
  } catch (e) {
    if (refused(e, 'gone', 'not-owner')) throw linkUsed();
    throw e;
  }
}

/** Delivers into the other side's link mailbox; a mailbox gone on the server is `link-used`. */
export async function deliverLink(
  api: ServerApiLike,
  to: { readonly id: Uint8Array; readonly senderPrivateKey: Uint8Array },
  envelope: Uint8Array,
): Promise<void> {
  try {
    await api.deliver(to.id, to.senderPrivateKey, envelope);
  } catch (e) {
    if (refused(e, 'gone', 'not-owner')) throw linkUsed();
    throw e;
  }
}

export function sealFrame<K extends LinkFrameKind>(
  env: ProtocolEnv,
  key: Uint8Array,
  kind: K,
  index: number,
  body: Parameters<typeof encodeLinkBody<K>>[1],
): Uint8Array {
  return sealLinkFrame(env, key, kind, index, encodeLinkBody(kind, body));
}

/** A frame opened with `key`: `link-tampered` if it does not authenticate. */
export function openFrame(env: ProtocolEnv, key: Uint8Array, bytes: Uint8Array) {
  try {
    return openLinkFrame(env, key, bytes);
  } catch (e) {
    if (e instanceof ProtocolError) throw tampered();
    throw e;
  }
}

export { decodeLinkBody };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise settled from outside (the user's answer). */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
  readonly settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  let settled = false;
  const promise = new Promise<T>((res, rej) => {
    resolve = (v) => {
      settled = true;
      res(v);
    };
    reject = (e) => {
      settled = true;
      rej(e);
    };
  });
  promise.catch(() => undefined);
  return {
    promise,
    resolve: (v) => resolve(v),
    reject: (e) => reject(e),
    get settled() {
      return settled;
    },
  };
}
