/**
 * Issue 15, findings 1–4 and the delivery guarantees: a real client and a real server with a
 * hostile transport between them (hostile-kit.ts). Server positions are hints; messages read out
 * of order, late or again are each shown once, in the sender's order; an altered copy does not
 * cost the intact one; a replay is not a loss; a text without a receipt is resent, then failed.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it, vi } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { ParleyClient } from '../src/client.ts';
import type { ClientOptions } from '../src/client-options.ts';
import type { StoredEnvelope } from '../src/net/server-api-types.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore, meet, newClient } from './client-kit.ts';
import { flipped, hostile, type Interceptors } from './hostile-kit.ts';

const server = useInProcessServer();
// Two clients, a server and several round trips each: more than the 5 s default on a busy machine.
vi.setConfig({ testTimeout: 30_000 });

/** A client whose transport follows `faults.now` (none until a test sets it). */
async function exposed(name: string, delivery?: ClientOptions['delivery']) {
  const faults: { now: Interceptors } = { now: {} };
  const options = {
    ...hostile(nodeClientOptions(name.toLowerCase()), () => faults.now),
    ...(delivery && { delivery }),
  };
  const client = await ParleyClient.create(new KeptStore(), options, { server: server.url, displayName: name });
  const events: ClientEvent[] = [];
  client.on((e) => events.push(e));
  return { client, faults, events };
}

const texts = async (c: ParleyClient, name: string) =>
  (await c.messages(name, { limit: 1000 })).filter((m) => m.direction === 'in').map((m) => m.text);

describe('server positions are hints (finding 1)', () => {
  it('a read whose first position was raised by 2^31 skips nothing, now or later', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await exposed('Bob');
    await meet(alice, bob.client);
    for (const t of ['one', 'two', 'three']) await alice.send('Bob', t);
    let tampered = false;
    bob.faults.now = {
      read: (items) =>
        items.map((it, i) => {
          if (i > 0 || tampered || items.length < 2) return it;
          tampered = true;
          return { ...it, seq: it.seq + 2 ** 31 };
        }),
    };
    await bob.client.sync();
    expect(tampered).toBe(true);
    bob.faults.now = {};
    for (const t of ['four', 'five']) await alice.send('Bob', t);
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual(['one', 'two', 'three', 'four', 'five']);
  });

  it('a pushed message renumbered by 2^31 does not silence the conversation', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await exposed('Bob');
    await meet(alice, bob.client);
    let tampered = false;
    bob.faults.now = {
      push: (m, handle) => {
        if (tampered) return handle(m);
        tampered = true;
        return handle({ ...m, seq: m.seq + 2 ** 31 });
      },
    };
    await bob.client.start();
    await alice.send('Bob', 'one');
    await vi.waitFor(() => expect(tampered).toBe(true), { timeout: 10_000, interval: 20 });
    await alice.send('Bob', 'two');
    await alice.send('Bob', 'three');
    await vi.waitFor(async () => expect(await texts(bob.client, 'Alice')).toEqual(['one', 'two', 'three']), {
      timeout: 10_000,
      interval: 50,
    });
    await bob.client.stop();
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual(['one', 'two', 'three']);
  });
});

describe('any order, any time (finding 2)', () => {
  it('15 lines read shuffled within windows of 5, half of them only later, all arrive once in the sender order', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await exposed('Bob');
    await meet(alice, bob.client);
    const lines = Array.from({ length: 15 }, (_, i) => `line ${i + 1}`);
    for (const t of lines) await alice.send('Bob', t);
    let round = 0;
    bob.faults.now = {
      read: (items) => {
        round++;
        const out: StoredEnvelope[] = [];
        for (let i = 0; i < items.length; i += 5) out.push(...items.slice(i, i + 5).reverse());
        // The first read loses every other message on the way; they come with the next read.
        return round === 1 ? out.filter((_, i) => i % 2 === 0) : out;
      },
    };
    await bob.client.sync();
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual(lines);
    const unread = await bob.client.unread({ take: true });
    expect(unread.map((m) => m.text).sort()).toEqual([...lines].sort());
    await alice.sync();
    const sent = await alice.messages('Bob', { limit: 100 });
    // Taken is read: the read receipts came after the delivery receipts.
    expect(sent.map((m) => m.status)).toEqual(lines.map(() => 'read'));
  });

  it('the same messages read twice are shown once (no event the second time)', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await exposed('Bob');
    await meet(alice, bob.client);
    await alice.send('Bob', 'once');
    bob.faults.now = { read: (items) => [...items, ...items] };
    await bob.client.sync();
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual(['once']);
    expect(bob.events.filter((e) => e.type === 'message')).toHaveLength(1);
  });
});

describe('an undecryptable copy is not the last word (findings 3, 4)', () => {
  it('a copy altered on the way is read again from the server: the intact copy is shown, no warning', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await exposed('Bob');
    await meet(alice, bob.client);
    await alice.send('Bob', 'intact');
    // Only the catch-up read is altered; the re-read of one position gets the stored copy.
    bob.faults.now = {
      read: (items, _after, limit) =>
        limit === 1 ? items : items.map((it) => ({ ...it, envelope: flipped(it.envelope, 200) })),
    };
    await bob.client.sync();
    bob.faults.now = {};
    expect(await texts(bob.client, 'Alice')).toEqual(['intact']);
    expect(bob.events.filter((e) => e.type === 'undecryptable')).toEqual([]);
  });

  it('a stored copy that is itself damaged is given up on with a warning, and the conversation goes on', async () => {
    const alice = await exposed('Alice');
    const bob = await exposed('Bob');
    await meet(alice.client, bob.client);
    alice.faults.now = { deliver: (e, deliver) => deliver(flipped(e, 300)) };
    await alice.client.send('Bob', 'damaged');
    alice.faults.now = {};
    await bob.client.sync();
    expect(bob.events.filter((e) => e.type === 'undecryptable')).toHaveLength(1);
    await alice.client.sync();
    await alice.client.send('Bob', 'after');
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toContain('after');
  });

  it('a replayed old delivery, from a chain long gone, is a duplicate: no warning, no restart', async () => {
    const alice = await exposed('Alice');
    const bob = await exposed('Bob');
    await meet(alice.client, bob.client);
    let first: Uint8Array | undefined;
    alice.faults.now = {
      deliver: (e, deliver) => {
        first ??= e;
        return deliver(e);
      },
    };
    await alice.client.send('Bob', 'first');
    alice.faults.now = {};
    expect(first).toBeDefined();
    // Ratchet steps both ways, so the first message's chain and keys are gone on Bob's side.
    for (let i = 0; i < 3; i++) {
      await bob.client.sync();
      await bob.client.send('Alice', `reply ${i}`);
      await alice.client.sync();
      await alice.client.send('Bob', `more ${i}`);
    }
    await bob.client.sync();
    const before = await bob.client.messages('Alice', { limit: 100 });
    // The server (or anyone who saw the request) stores the old envelope again.
    const replay = first as Uint8Array;
    let replayed = 0;
    bob.faults.now = {
      read: (items, after) => {
        const seq = 1_000_000;
        if (after >= seq) return items;
        replayed++;
        return [...items, { seq, envelope: replay, receivedAt: Date.now() }];
      },
    };
    await bob.client.sync();
    bob.faults.now = {};
    expect(replayed).toBeGreaterThan(0);
    expect(bob.events.filter((e) => e.type === 'undecryptable')).toEqual([]);
    expect(await bob.client.messages('Alice', { limit: 100 })).toEqual(before);
    // No reset went out: Alice's next message still opens with the session Bob has.
    await alice.client.sync();
    expect(alice.events.filter((e) => e.type === 'identity-changed')).toEqual([]);
    await alice.client.send('Bob', 'still here');
    await bob.client.sync();
    expect((await texts(bob.client, 'Alice')).at(-1)).toBe('still here');
  });
});

describe('gaps are visible on both sides', () => {
  it('a text the server drops is resent with the same id and shown once', async () => {
    const alice = await exposed('Alice', { resendAfterMs: 0, maxAttempts: 3 });
    const bob = await exposed('Bob');
    await meet(alice.client, bob.client);
    let dropped = 0;
    alice.faults.now = {
      deliver: async () => {
        dropped++; // accepted, never stored
      },
    };
    await alice.client.send('Bob', 'lost once');
    alice.faults.now = {};
    expect(dropped).toBe(1);
    await bob.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual([]);
    await alice.client.sync(); // no receipt: resent
    await bob.client.sync();
    await alice.client.sync();
    expect(await texts(bob.client, 'Alice')).toEqual(['lost once']);
    const [m] = await alice.client.messages('Bob');
    expect(m?.status).toBe('delivered');
  });

  it('a text that never gets through is marked failed after the attempts, and the sender is told', async () => {
    const alice = await exposed('Alice', { resendAfterMs: 0, maxAttempts: 2 });
    const bob = await exposed('Bob');
    await meet(alice.client, bob.client);
    alice.faults.now = { deliver: async () => undefined };
    await alice.client.send('Bob', 'never');
    for (let i = 0; i < 3; i++) await alice.client.sync();
    const [m] = await alice.client.messages('Bob');
    expect(m?.status).toBe('failed');
    const told = alice.events.filter((e) => e.type === 'not-delivered');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ messageIds: [m?.id] });
  });

  it('the receiver reports messages missing from the counters after the grace period', async () => {
    const alice = await exposed('Alice');
    const bob = await exposed('Bob', { gapGraceMs: 0 });
    await meet(alice.client, bob.client);
    let n = 0;
    alice.faults.now = { deliver: async (e, deliver) => (n++ < 2 ? undefined : deliver(e)) };
    for (const t of ['a', 'b', 'c']) await alice.client.send('Bob', t);
    alice.faults.now = {};
    await bob.client.sync(); // sees the gap
    await bob.client.sync(); // past the grace period: reported
    const missing = bob.events.filter((e) => e.type === 'missing');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ count: 2 });
  });
});
