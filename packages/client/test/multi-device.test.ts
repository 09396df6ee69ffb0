/**
 * Several devices per account (docs/client.md §4.9) against a real server in this process: Alice
 * on two devices, Bob on one — fan-out both ways, sent-message sync, contact and read sync, device
 * names; and what a server or a removed device cannot do: ghost devices, replayed lists, lists
 * with a bad signature, a removed device's messages.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import type { ParleyClient } from '../src/client.ts';
import { failureOf, newClient, received } from './client-kit.ts';
import { addDevice } from './devices-kit.ts';

const server = useInProcessServer();

/** Everyone syncs, in turn, `rounds` times (intros and their welcomes take a round trip each). */
async function settle(clients: readonly ParleyClient[], rounds = 2): Promise<ClientEvent[]> {
  const events: ClientEvent[] = [];
  for (let i = 0; i < rounds; i++) for (const c of clients) events.push(...(await c.sync()));
  return events;
}

/** Alice (laptop, phone) and Bob, met and introduced. */
async function aliceTwiceAndBob() {
  const laptop = await newClient(server.url, 'Alice');
  const bob = await newClient(server.url, 'Bob');
  const { link } = await laptop.createInvitation();
  await bob.connect(link);
  await laptop.sync();
  await bob.sync();
  const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
  const events = await settle([phone, bob, laptop, phone]);
  return { laptop, phone, bob, events };
}

describe('two devices of Alice and one of Bob', () => {
  it('fans out both ways; what one device sends or reads shows on the other', async () => {
    const { laptop, phone, bob, events } = await aliceTwiceAndBob();
    expect(events).toContainEqual({ type: 'contact-device-added', contactId: expect.any(String), device: 2 });
    expect(events).toContainEqual({ type: 'device-added', device: 2 });
    expect((await bob.contact('Alice')).devices).toBe(2);
    expect((await laptop.contacts()).map((c) => c.name)).toEqual(['Bob']); // the self contact is not one

    // Bob → both of Alice's devices; read on one, it is read on the other (the same inbox ids).
    await bob.send('Alice', 'hi both');
    await phone.sync();
    await laptop.sync();
    expect((await phone.unread()).map((m) => m.text)).toEqual(['hi both']);
    expect((await laptop.unread({ take: true })).map((m) => m.text)).toEqual(['hi both']);
    await phone.sync();
    expect(await phone.unread()).toEqual([]);

    // Alice's laptop → Bob, and the phone shows it as sent by her.
    await laptop.send('Bob', 'from the laptop');
    expect(await received(bob)).toEqual(['from the laptop']);
    await phone.sync();
    const onPhone = await phone.messages('Bob');
    expect(onPhone.map((m) => [m.direction, m.text])).toEqual([
      ['in', 'hi both'],
      ['out', 'from the laptop'],
    ]);

    // The phone sends too: Bob gets it once, the laptop shows it as ours.
    await phone.send('Bob', 'from the phone');
    expect(await received(bob)).toEqual(['from the phone']);
    await laptop.sync();
    expect((await laptop.messages('Bob')).map((m) => [m.direction, m.text])).toEqual([
      ['in', 'hi both'],
      ['out', 'from the laptop'],
      ['out', 'from the phone'],
    ]);

    // Verification and a rename on the phone show on the laptop.
    await phone.verify('Bob');
    await phone.rename('Bob', 'Bobby');
    await laptop.sync();
    const seen = await laptop.contact('Bobby');
    expect(seen.verification).toBe('verified');

    // Devices and their names, and one safety number for the person whatever their devices.
    const devices = await laptop.devices();
    expect(devices.map((d) => [d.id, d.current, d.stale])).toEqual([
      [1, true, false],
      [2, false, false],
    ]);
    await laptop.renameDevice(1, 'laptop');
    await phone.sync();
    expect((await phone.devices()).map((d) => d.name)).toEqual(['laptop', 'phone']);
    expect((await bob.safetyNumber('Alice')).display).toBe((await laptop.safetyNumber('Bobby')).display);
    expect((await bob.safetyNumber('Alice')).display).toBe((await phone.safetyNumber('Bobby')).display);

    // Rotation with several devices is not supported yet: refused, nothing changed.
    expect((await failureOf(laptop.rotateIdentity())).code).toBe('usage');
    for (const c of [laptop, phone, bob]) await c.close();
  }, 120_000);
});
