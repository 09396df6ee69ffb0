import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedMailboxStore } from '../src/mailboxes/mailbox-cache.ts';
import { SqlMailboxStore, StorageError } from '../src/storage/index.ts';
import { type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
beforeAll(async () => {
  server = await testServer();
});
afterAll(() => server.close());

const keys = () => ({ recipientKey: new Uint8Array(32).fill(1), senderKey: new Uint8Array(32).fill(2) });

describe('CachedMailboxStore', () => {
  it('returns the same key arrays for a mailbox (so parsed keys stay cached) until it is deleted', async () => {
    const store = new CachedMailboxStore(new SqlMailboxStore(server.database), 2);
    const { mailboxId } = await store.createMailbox(keys());
    const first = await store.getMailbox(mailboxId);
    const second = await store.getMailbox(mailboxId);
    expect(second?.senderKey).toBe(first?.senderKey);
    expect(await store.deleteMailbox(mailboxId)).toBe(true);
    expect(await store.getMailbox(mailboxId)).toBeNull();
  });

  it('keeps at most maxRecords, reading evicted ones again from the store', async () => {
    const store = new CachedMailboxStore(new SqlMailboxStore(server.database), 2);
    const ids = await Promise.all([1, 2, 3].map(async () => (await store.createMailbox(keys())).mailboxId));
    const first = await store.getMailbox(ids[0] as Uint8Array);
    await store.getMailbox(ids[1] as Uint8Array);
    await store.getMailbox(ids[2] as Uint8Array); // evicts the first
    const again = await store.getMailbox(ids[0] as Uint8Array);
    expect(again?.senderKey).not.toBe(first?.senderKey);
    expect(again?.senderKey).toEqual(first?.senderKey);
  });

  it('refuses a mailbox it saw refused as full from memory, until an ack, a deletion or the hold ends', async () => {
    const inner = new SqlMailboxStore(server.database);
    let clock = 1_000_000;
    const store = new CachedMailboxStore(inner, 10, { fullHoldMs: 1000, now: () => clock });
    let reached = 0;
    const enqueue = inner.enqueue.bind(inner);
    inner.enqueue = (...args) => {
      reached++;
      return enqueue(...args);
    };
    const { mailboxId } = await store.createMailbox(keys());
    const bound = { ttlMs: 86_400_000, maxMessages: 2 };
    const first = await store.enqueue(mailboxId, new Uint8Array([1]), bound);
    await store.enqueue(mailboxId, new Uint8Array([2]), bound);
    let n = 10; // a new envelope each time: one already stored would be a duplicate, not refused
    const refuse = async () => {
      const error = await store.enqueue(mailboxId, new Uint8Array([n++]), bound).catch((e: unknown) => e);
      expect(StorageError.is(error, 'mailbox-full')).toBe(true);
    };
    await refuse(); // the store counted and refused
    expect(reached).toBe(3);
    await refuse(); // from memory
    await refuse();
    expect(reached).toBe(3);
    // Another mailbox is not held back.
    const other = await store.createMailbox(keys());
    await store.enqueue(other.mailboxId, new Uint8Array([1]), bound);
    expect(reached).toBe(4);
    // An ack frees it at once.
    expect(await store.ack(mailboxId, [first.seq])).toBe(1);
    await store.enqueue(mailboxId, new Uint8Array([3]), bound);
    expect(reached).toBe(5);
    // Full again: held for fullHoldMs, then asked again.
    await refuse();
    expect(reached).toBe(6);
    clock += 999;
    await refuse();
    expect(reached).toBe(6);
    clock += 1;
    await refuse();
    expect(reached).toBe(7);
    // A deleted mailbox is forgotten with its record.
    expect(await store.deleteMailbox(mailboxId)).toBe(true);
    const gone = await store.enqueue(mailboxId, new Uint8Array([4]), bound).catch((e: unknown) => e);
    expect(StorageError.is(gone, 'not-found')).toBe(true);
    expect(reached).toBe(8);
  });
});
