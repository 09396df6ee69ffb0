/**
 * Taking more than 100 unread texts at once on one device (`unread({ take: true })` counts as
 * reading) sends our other devices several `read` sync payloads (at most 100 ids each,
 * engine/payload.ts). They must be sealed one after another, each from the ratchet state the
 * previous one left: sealed from the same state they reused a message key, and the other device
 * could open only the first — the rest stayed unread there, with a session reset.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { meet, newClient } from './client-kit.ts';
import { addDevice } from './devices-kit.ts';

const server = useInProcessServer();

const TEXTS = 250;

describe('read sync of many texts at once', () => {
  it('250 taken on one device are all read on the other, with no undecryptable or missing event', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
    for (let i = 0; i < 2; i++) for (const c of [phone, bob, laptop, phone]) await c.sync();
    expect((await bob.contact('Alice')).devices).toBe(2);

    for (let i = 0; i < TEXTS; i++) await bob.send('Alice', `text ${i}`);
    await laptop.sync();
    const phoneEvents: ClientEvent[] = [];
    const off = phone.on((e) => phoneEvents.push(e));
    phoneEvents.push(...(await phone.sync()));
    const phoneBob = await phone.contact('Bob');
    expect((await phone.conversations()).find((c) => c.id === phoneBob.conversationId)?.unread).toBe(TEXTS);

    // One call takes them all: three `read` payloads (100 + 100 + 50) to the phone.
    expect((await laptop.unread({ take: true })).length).toBe(TEXTS);
    expect(await laptop.unread()).toEqual([]);

    phoneEvents.push(...(await phone.sync()));
    off();
    expect((await phone.conversations()).find((c) => c.id === phoneBob.conversationId)?.unread).toBe(0);
    expect(await phone.unread()).toEqual([]);
    const read = phoneEvents.flatMap((e) => (e.type === 'read-elsewhere' ? e.messageIds : []));
    expect(new Set(read).size).toBe(TEXTS);
    expect(phoneEvents.filter((e) => e.type === 'undecryptable' || e.type === 'missing')).toEqual([]);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 60_000);
});
