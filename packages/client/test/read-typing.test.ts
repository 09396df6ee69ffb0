/**
 * Read receipts, typing indicators, settings and the conversation list (docs/client.md §4.11)
 * against a real server in this process: what reaches the contact's mailbox (or does not), what
 * the events say, and what stays out of history and the outbox.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { ParleyClient } from '../src/client.ts';
import { ownedMailbox } from '../src/flows/context.ts';
import { devicesOf } from '../src/flows/peers.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore, meet, newClient, received } from './client-kit.ts';
import { addDevice, contextOf } from './devices-kit.ts';

const server = useInProcessServer();

/** The envelopes waiting in the mailbox `owner` reads from contact `name`'s devices (the wire level). */
async function waiting(owner: ParleyClient, name: string): Promise<number> {
  const ctx = contextOf(owner);
  const contact = await owner.contact(name);
  let n = 0;
  for (const d of await devicesOf(ctx, contact.id)) {
    n += (await ctx.api(ctx.profile.server).readMailbox(ownedMailbox(d.myMailbox))).length;
  }
  return n;
}

/** Resolves with the first event of `client` that `match` accepts (the test's timeout bounds the wait). */
function nextEvent<E extends ClientEvent>(client: ParleyClient, match: (e: ClientEvent) => e is E): Promise<E> {
  return new Promise((resolve) => {
    const off = client.on((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** Starts `client` and waits until its push connection is open. */
async function online(client: ParleyClient): Promise<void> {
  const up = nextEvent(client, (e): e is ClientEvent => e.type === 'connection' && e.state === 'online');
  await client.start();
  await up;
}

const isTyping =
  (active: boolean) =>
  (e: ClientEvent): e is Extract<ClientEvent, { type: 'typing' }> =>
    e.type === 'typing' && e.active === active;

async function outboxSize(c: ParleyClient): Promise<number> {
  return (await contextOf(c).store.list('outbox')).length;
}

describe('read receipts', () => {
  it("flip the sender's text to read with an event; markRead clears unread", async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const sent = await alice.send('Bob', 'did you read this?');
    await bob.sync();
    await alice.sync(); // the delivery receipt
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['delivered']);
    expect((await bob.conversations()).map((c) => c.unread)).toEqual([1]);

    await bob.markRead('Alice');
    expect((await bob.conversations()).map((c) => c.unread)).toEqual([0]);
    expect(await bob.unread()).toEqual([]);
    const events = await alice.sync();
    const aliceBob = await alice.contact('Bob');
    expect(events).toContainEqual({
      type: 'read',
      conversationId: aliceBob.conversationId,
      contactId: aliceBob.id,
      messageIds: [sent.id],
    });
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['read']);
    // A late delivery receipt (a resend's) never takes it back to delivered.
    await bob.sync();
    await alice.sync();
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['read']);
    for (const c of [alice, bob]) await c.close();
  }, 60_000);

  it('are not sent when the setting is off: nothing reaches the contact’s mailbox', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    expect(await bob.settings()).toEqual({ sendReadReceipts: true, sendTyping: true });
    expect(await bob.updateSettings({ sendReadReceipts: false })).toEqual({
      sendReadReceipts: false,
      sendTyping: true,
    });
    await alice.send('Bob', 'one');
    await alice.send('Bob', 'two');
    await bob.sync(); // delivery receipts go
    await alice.sync(); // and are taken
    expect(await waiting(alice, 'Bob')).toBe(0);
    await bob.markRead('Alice');
    expect(await outboxSize(bob)).toBe(0);
    expect(await waiting(alice, 'Bob')).toBe(0);
    // Taking messages (the CLI's way of reading) sends none either.
    await alice.send('Bob', 'three');
    await bob.sync();
    await alice.sync();
    expect((await bob.unread({ take: true })).map((m) => m.text)).toEqual(['three']);
    expect(await waiting(alice, 'Bob')).toBe(0);
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered']);
    // On again: the next read sends one, for the texts it reads.
    await bob.updateSettings({ sendReadReceipts: true });
    expect((await bob.settings()).sendReadReceipts).toBe(true);
    await alice.send('Bob', 'four');
    await bob.sync();
    await alice.sync();
    await bob.markRead('Alice');
    expect(await waiting(alice, 'Bob')).toBe(1);
    await alice.sync();
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['delivered', 'delivered', 'delivered', 'read']);
    for (const c of [alice, bob]) await c.close();
  }, 60_000);
});

describe('the conversation list', () => {
  it('has unread counts and the last message, newest activity first; markRead upTo', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(server.url, 'Carol');
    await meet(alice, bob);
    await meet(alice, carol);
    const b = await alice.contact('Bob');
    const c = await alice.contact('Carol');
    const empty = await alice.conversations();
    expect(empty.map((v) => [v.contactId, v.unread, v.last])).toEqual([
      [c.id, 0, null],
      [b.id, 0, null],
    ]);
    await bob.send('Alice', 'b1');
    await bob.send('Alice', 'b2');
    await alice.sync();
    await carol.send('Alice', 'c1');
    await alice.sync();
    let list = await alice.conversations();
    expect(list.map((v) => [v.id, v.unread, v.last?.text])).toEqual([
      [c.conversationId, 1, 'c1'],
      [b.conversationId, 2, 'b2'],
    ]);
    const [first] = await alice.messages('Bob');
    await alice.markRead('Bob', { upTo: first?.id ?? '' });
    list = await alice.conversations();
    expect(list.map((v) => [v.contactId, v.unread])).toEqual([
      [c.id, 1],
      [b.id, 1],
    ]);
    expect((await alice.unread()).map((m) => m.text)).toEqual(['b2', 'c1']);
    await alice.send('Bob', 'a1');
    list = await alice.conversations();
    expect(list.map((v) => [v.contactId, v.unread, v.last?.text, v.last?.direction])).toEqual([
      [b.id, 1, 'a1', 'out'],
      [c.id, 1, 'c1', 'in'],
    ]);
    // The last message's status is its current one.
    await bob.sync();
    await alice.sync();
    expect((await alice.conversations())[0]?.last?.status).toBe('delivered');
    for (const x of [alice, bob, carol]) await x.close();
  }, 90_000);
});

describe('typing indicators', () => {
  it('arrive live, expire without a refresh, and never reach history, inbox or outbox', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await ParleyClient.create(
      new KeptStore(),
      { ...nodeClientOptions('bob'), typingExpiryMs: 300 },
      { server: server.url, displayName: 'Bob' },
    );
    await meet(alice, bob);
    const aliceId = (await bob.contact('Alice')).id;
    await online(alice);
    await online(bob);

    const on = nextEvent(bob, isTyping(true));
    const off = nextEvent(bob, isTyping(false));
    await alice.typing('Bob', true);
    expect(await on).toMatchObject({ contactId: aliceId, active: true });
    // No refresh: Bob's SDK turns it off by itself.
    expect(await off).toMatchObject({ contactId: aliceId, active: false });
    expect(await outboxSize(alice)).toBe(0);
    expect(await bob.messages('Alice')).toEqual([]);
    expect(await bob.unread()).toEqual([]);
    expect((await bob.conversations()).map((c) => [c.unread, c.last])).toEqual([[0, null]]);

    // Alice stops (Bob's indicator is off already: no event); an explicit stop turns it off.
    const seen: ClientEvent[] = [];
    const stop = bob.on((e) => seen.push(e));
    await alice.typing('Bob', false);
    const on1 = nextEvent(bob, isTyping(true));
    await alice.typing('Bob', true);
    await on1;
    const off1 = nextEvent(bob, isTyping(false));
    await alice.typing('Bob', false);
    await off1;

    // A text from the typist ends the indicator at once (message first, then typing off).
    const on2 = nextEvent(bob, isTyping(true));
    await alice.typing('Bob', true); // due again: the last thing sent was a stop
    await on2;
    const off2 = nextEvent(bob, isTyping(false));
    await alice.send('Bob', 'done typing');
    await off2;
    stop();
    expect(seen.map((e) => [e.type, e.type === 'typing' ? e.active : null])).toEqual([
      ['typing', true],
      ['typing', false],
      ['typing', true],
      ['message', null],
      ['typing', false],
    ]);
    // The session went on through the typing messages: both directions still work.
    await bob.send('Alice', 'ok');
    expect(await received(alice)).toEqual(['ok']);
    for (const c of [alice, bob]) await c.close();
  }, 60_000);

  it('is not sent when off, nor while offline; one read from storage later is no event', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    // Alice offline (not started): nothing sent.
    await alice.typing('Bob', true);
    expect(await waiting(bob, 'Alice')).toBe(0);
    // Online but the setting off: nothing sent.
    await online(alice);
    await alice.updateSettings({ sendTyping: false });
    await alice.typing('Bob', true);
    expect(await waiting(bob, 'Alice')).toBe(0);
    // On: it reaches Bob's mailbox; Bob, not running, reads it later: no event, nothing stored.
    await alice.updateSettings({ sendTyping: true });
    await alice.typing('Bob', true);
    expect(await waiting(bob, 'Alice')).toBe(1);
    // Refreshed at once: not sent again (at most every 2 s).
    await alice.typing('Bob', true);
    expect(await waiting(bob, 'Alice')).toBe(1);
    const events = await bob.sync();
    expect(events.filter((e) => e.type === 'typing')).toEqual([]);
    expect(await bob.messages('Alice')).toEqual([]);
    expect(await outboxSize(alice)).toBe(0);
    for (const c of [alice, bob]) await c.close();
  }, 60_000);
});

describe('read state with several devices', () => {
  it('read on one device is read on the other; receipts reach every device of the sender', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
    for (let i = 0; i < 2; i++) for (const c of [phone, bob, laptop, phone]) await c.sync();
    expect((await bob.contact('Alice')).devices).toBe(2);

    await bob.send('Alice', 'for both');
    await laptop.sync();
    await phone.sync();
    expect((await phone.conversations()).map((c) => c.unread)).toEqual([1]);
    await laptop.markRead('Bob');
    const [forBob] = await phone.messages('Bob');
    const phoneBob = await phone.contact('Bob');
    // The phone's app hears of it, to update its list.
    expect(await phone.sync()).toContainEqual({
      type: 'read-elsewhere',
      conversationId: phoneBob.conversationId,
      contactId: phoneBob.id,
      messageIds: [forBob?.id],
    });
    expect((await phone.conversations()).map((c) => c.unread)).toEqual([0]);
    expect(await phone.unread()).toEqual([]);
    await bob.sync();
    expect((await bob.messages('Alice')).map((m) => m.status)).toEqual(['read']);

    // The laptop's text, read by Bob: read on the laptop and on the phone (its copy).
    await laptop.send('Bob', 'from the laptop');
    await phone.sync();
    await bob.sync();
    await bob.markRead('Alice');
    await laptop.sync();
    await phone.sync();
    expect((await laptop.messages('Bob')).map((m) => [m.text, m.status])).toContainEqual(['from the laptop', 'read']);
    expect((await phone.messages('Bob')).map((m) => [m.text, m.status])).toContainEqual(['from the laptop', 'read']);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});
