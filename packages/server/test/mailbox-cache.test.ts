import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedMailboxStore } from '../src/mailbox-cache.ts';
import { SqlMailboxStore } from '../src/storage/index.ts';
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
});
