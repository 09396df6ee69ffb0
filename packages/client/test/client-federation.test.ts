/**
 * Federation: contacts on different servers, with no trust or link between the servers. Each
 * client reads only its own server and delivers to the contact's; a contact's server that is
 * down holds back only what goes to it.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import { meet, newClient, received } from './client-kit.ts';
import { addDevice } from './devices-kit.ts';

/** Two servers of their own, with nothing shared between them. */
const home = useInProcessServer();
const other = useInProcessServer();

describe('contacts on two servers', () => {
  it('a second device introduces itself across servers; a removal reaches the other server', async () => {
    const laptop = await newClient(home.url, 'Alice');
    const bob = await newClient(other.url, 'Bob');
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    // Alice's new list reaches Bob from her laptop; the phone's intro goes to Bob's server, his welcome back.
    for (let i = 0; i < 2; i++) for (const c of [phone, bob, laptop]) await c.sync();
    expect((await bob.contact('Alice')).devices).toBe(2);
    await bob.send('Alice', 'to both, from the other server');
    await phone.sync();
    expect((await phone.messages('Bob')).map((m) => m.text)).toEqual(['to both, from the other server']);
    await laptop.removeDevice(2);
    const events = await bob.sync();
    expect(events).toContainEqual({ type: 'contact-device-removed', contactId: expect.any(String), device: 2 });
    expect((await bob.contact('Alice')).devices).toBe(1);
    for (const c of [laptop, phone, bob]) await c.close();
  }, 90_000);

  it('meet by invitation and by address, and talk both ways', async () => {
    const alice = await newClient(home.url, 'Alice');
    const bob = await newClient(other.url, 'Bob');
    const carol = await newClient(home.url, 'Carol');

    await meet(alice, bob); // Alice's invitation lives on her server; Bob answers from his
    expect((await alice.contact('Bob')).state).toBe('connected');
    expect((await bob.contact('Alice')).state).toBe('connected');
    await bob.send('Alice', 'hi from the other server');
    await alice.send('Bob', 'hi back');
    expect(await received(alice)).toEqual(['hi from the other server']);
    expect(await received(bob)).toEqual(['hi back']);
    expect((await alice.safetyNumber('Bob')).display).toBe((await bob.safetyNumber('Alice')).display);

    const { link } = await bob.createAddress(); // on Bob's server
    await carol.sendRequest(link, { message: 'Carol here, from the home server', name: 'Bob' });
    await bob.sync();
    const [request] = await bob.requests();
    expect(request?.message).toBe('Carol here, from the home server');
    await bob.acceptRequest(request?.id as string);
    await carol.sync();
    await carol.send('Bob', 'thanks');
    expect(await received(bob)).toEqual(['thanks']);

    for (const c of [alice, bob, carol]) await c.close();
  }, 90_000);

  it('a contact server that is down queues what goes to it and holds back nothing else', async () => {
    const alice = await newClient(home.url, 'Alice');
    const bob = await newClient(other.url, 'Bob');
    const carol = await newClient(home.url, 'Carol');
    await meet(alice, bob);
    await meet(alice, carol);

    await other.pause(); // Bob's server goes away
    try {
      const queued = await alice.send('Bob', 'for when your server is back');
      expect(queued.status).toBe('queued');
      // Carol's message is behind Bob's in the outbox, on a server that is up: it goes now.
      const sent = await alice.send('Carol', 'you are on my server');
      expect(sent.status).toBe('sent');
      expect(await received(carol)).toEqual(['you are on my server']);
      // Alice can still catch up from her own server while Bob's is down.
      await carol.send('Alice', 'got it');
      expect(await received(alice)).toEqual(['got it']);
      expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['queued']);
    } finally {
      await other.resume();
    }

    await alice.sync(); // retried once Bob's server answers
    expect((await alice.messages('Bob')).map((m) => m.status)).toEqual(['sent']);
    expect(await received(bob)).toEqual(['for when your server is back']);
    for (const c of [alice, bob, carol]) await c.close();
  }, 90_000);

  it('accepting a request while the requester’s server is down succeeds, and the answer follows', async () => {
    const alice = await newClient(home.url, 'Alice');
    const bob = await newClient(other.url, 'Bob');
    const { link } = await alice.createAddress();
    await bob.sendRequest(link, { message: 'Bob, from the other server' });
    await alice.sync();
    const [request] = await alice.requests();

    await other.pause();
    try {
      const contact = await alice.acceptRequest(request?.id as string);
      expect(contact.state).toBe('connected'); // accepted here; the answer waits in the outbox
      expect(await alice.requests()).toEqual([]);
    } finally {
      await other.resume();
    }
    await alice.sync();
    await bob.sync();
    expect((await bob.contact('Alice')).state).toBe('connected');
    for (const c of [alice, bob]) await c.close();
  }, 90_000);

  it('a new identity reaches a contact whose server was down once it is back', async () => {
    const alice = await newClient(home.url, 'Alice');
    const bob = await newClient(other.url, 'Bob');
    const carol = await newClient(home.url, 'Carol');
    await meet(alice, bob);
    await meet(alice, carol);

    await other.pause();
    try {
      await alice.rotateIdentity(); // Bob's bundle cannot be fetched now: his reset waits
      const carolSaw = await carol.sync();
      expect(carolSaw.map((e) => e.type)).toContain('identity-changed');
    } finally {
      await other.resume();
    }
    await alice.sync(); // finishes the rotation: Bob's reset
    const bobSaw = await bob.sync();
    expect(bobSaw.map((e) => e.type)).toContain('identity-changed');
    await bob.send('Alice', 'talking to the new you');
    expect(await received(alice)).toEqual(['talking to the new you']);
    expect((await alice.safetyNumber('Bob')).display).toBe((await bob.safetyNumber('Alice')).display);
    for (const c of [alice, bob, carol]) await c.close();
  }, 90_000);
});
