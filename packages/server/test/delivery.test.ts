/**
 * Delivery, the code HTTP and the WebSocket share, without either: its refusals are domain
 * errors (not HTTP ones), each mapped to the one wire code both transports answer with.
 */
import { defaultEnv as env, MAX_ENVELOPE_BYTES } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../src/api-deps.ts';
import { DomainError, type DomainErrorCode, wireCodeOf } from '../src/domain-error.ts';
import { deliver, deliverAuthorized } from '../src/mailboxes/delivery.ts';
import { MailboxEvents } from '../src/mailboxes/mailbox-events.ts';
import { type MailboxRecord, type MailboxStore, mailboxFull, StorageError } from '../src/storage/index.ts';
import type { SignatureVerifier } from '../src/verifier/delivery-verifier.ts';

const ID = new Uint8Array(16).fill(7);
const RECORD: MailboxRecord = {
  mailboxId: ID,
  recipientKey: new Uint8Array(32),
  senderKey: new Uint8Array(32).fill(1),
  createdAt: 0,
};

/** A mailbox store of one mailbox whose enqueue answers `enqueue`; nothing else is called. */
function depsWith(enqueue: () => Promise<never> | ReturnType<MailboxStore['enqueue']>, signatureOk = true): ApiDeps {
  const mailboxes = {
    getMailbox: async (id: Uint8Array) => (id.every((b, i) => b === ID[i]) ? RECORD : null),
    enqueue,
  } as unknown as MailboxStore;
  const verifier: SignatureVerifier = { check: async () => signatureOk, close: async () => {} };
  return { env, mailboxes, verifier, events: new MailboxEvents() } as unknown as ApiDeps;
}

const stored = () => Promise.resolve({ seq: 1, duplicate: false, receivedAt: 5 });
const SIG = new Uint8Array(64);

async function refusal(p: Promise<unknown>): Promise<{ code: DomainErrorCode; wire: string; message: string }> {
  const e = await p.then(
    () => expect.unreachable('the delivery was accepted'),
    (e: unknown) => e,
  );
  if (!DomainError.is(e)) throw e;
  return { code: e.code, wire: wireCodeOf(e), message: e.message };
}

describe('delivery', () => {
  it('stores a signed envelope and tells the subscribers', async () => {
    const deps = depsWith(stored);
    const pushed: number[] = [];
    deps.events.subscribe(ID, (m) => pushed.push(m.seq));
    expect(await deliver(deps, 'http', ID, new Uint8Array([1]), SIG)).toEqual({
      seq: 1,
      duplicate: false,
      receivedAt: 5,
    });
    expect(pushed).toEqual([1]);
  });

  it('refuses with domain errors that map to the wire codes HTTP and WebSocket answer', async () => {
    const big = new Uint8Array(MAX_ENVELOPE_BYTES + 1);
    expect(await refusal(deliver(depsWith(stored), 'http', ID, big, SIG))).toEqual({
      code: 'envelope-too-large',
      wire: 'too-large',
      message: 'envelope larger than 64 KiB',
    });
    expect(await refusal(deliverAuthorized(depsWith(stored), ID, big))).toMatchObject({ wire: 'too-large' });
    expect(await refusal(deliver(depsWith(stored), 'http', new Uint8Array(16), new Uint8Array([1]), SIG))).toEqual({
      code: 'no-such-mailbox',
      wire: 'not-found',
      message: 'no such mailbox',
    });
    expect(await refusal(deliver(depsWith(stored, false), 'websocket', ID, new Uint8Array([1]), SIG))).toEqual({
      code: 'bad-signature',
      wire: 'not-found',
      message: 'no such mailbox',
    });
    const full = () => Promise.reject(mailboxFull());
    expect(await refusal(deliverAuthorized(depsWith(full), ID, new Uint8Array([1])))).toEqual({
      code: 'mailbox-full',
      wire: 'rate-limited',
      message: 'the mailbox is full; retry later',
    });
    const gone = () => Promise.reject(new StorageError('not-found', 'mailbox not found'));
    expect(await refusal(deliverAuthorized(depsWith(gone), ID, new Uint8Array([1])))).toMatchObject({
      code: 'no-such-mailbox',
    });
  });

  it('passes other failures through untouched (they are internal errors)', async () => {
    const broken = new StorageError('dependency', 'database failed');
    await expect(
      deliverAuthorized(
        depsWith(() => Promise.reject(broken)),
        ID,
        new Uint8Array([1]),
      ),
    ).rejects.toBe(broken);
  });
});
