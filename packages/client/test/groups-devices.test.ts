/**
 * Groups and several devices (docs/client.md §4.12): every device is a member in its own right.
 * A contact with two devices is added on both (one commit); our own other device comes in when we
 * create a group; a text from one of our devices shows on the other as ours; removing the contact
 * removes both leaves.
 */
import { useInProcessServer } from '@parley/testkit';
import { expect, it } from 'vitest';
import { meet, newClient, received } from './client-kit.ts';
import { addDevice } from './devices-kit.ts';

const server = useInProcessServer();

it('a person with two devices: both are added, both read, both are removed', async () => {
  const laptop = await newClient(server.url, 'Alice');
  const bob = await newClient(server.url, 'Bob');
  await meet(laptop, bob);
  const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
  for (let i = 0; i < 2; i++) for (const c of [phone, bob, laptop, phone]) await c.sync();
  expect((await bob.contact('Alice')).devices).toBe(2);

  // Bob creates and adds Alice: her laptop and her phone, in one commit.
  await bob.createGroup({ name: 'Both' });
  const g = await bob.addToGroup('Both', ['Alice']);
  expect(g).toMatchObject({ members: 3, epoch: 1 });
  await laptop.sync();
  await phone.sync();
  await bob.send('Both', 'to every device');
  expect(await received(laptop)).toEqual(['to every device']);
  expect(await received(phone)).toEqual(['to every device']);

  // The phone writes: Bob reads it from Alice; the laptop shows it as its own.
  await phone.send('Both', 'from the phone');
  expect(await received(bob)).toEqual(['from the phone']);
  await laptop.sync();
  expect((await laptop.messages('Both')).map((m) => [m.direction, m.text])).toEqual([
    ['in', 'to every device'],
    ['out', 'from the phone'],
  ]);
  const members = await bob.groupMembers('Both');
  expect(
    members
      .filter((m) => m.name === 'Alice')
      .map((m) => m.device)
      .sort(),
  ).toEqual([1, 2]);

  // Removing Alice removes both of her leaves, in one commit.
  expect(await bob.removeFromGroup('Both', 'Alice')).toMatchObject({ members: 1, epoch: 2 });
  await laptop.sync();
  await phone.sync();
  expect((await laptop.groups())[0]?.status).toBe('removed');
  expect((await phone.groups())[0]?.status).toBe('removed');
  await Promise.all([laptop.close(), phone.close(), bob.close()]);
}, 90_000);

it('our other device joins the groups we create', async () => {
  const laptop = await newClient(server.url, 'Alice');
  const { client: phone } = await addDevice(laptop, 2, { name: 'phone' });
  for (let i = 0; i < 2; i++) for (const c of [phone, laptop]) await c.sync();
  expect(await laptop.createGroup({ name: 'Mine' })).toMatchObject({ members: 2, epoch: 1 });
  await phone.sync();
  expect((await phone.groups()).map((x) => x.name)).toEqual(['Mine']);
  await Promise.all([laptop.close(), phone.close()]);
}, 60_000);
