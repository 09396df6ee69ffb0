/**
 * Groups across servers (docs/client.md §4.12): the log lives on the creator's server; a member
 * whose home is another server gets the key packages fetched from its own server, learns where
 * the log is from the Welcome, and reads and posts there.
 */
import { useInProcessServer } from '@parley/testkit';
import { expect, it } from 'vitest';
import { meet, newClient, received } from './client-kit.ts';

const home = useInProcessServer();
const other = useInProcessServer();

it('a member on another server joins, reads and posts to the log on the creator’s server', async () => {
  const alice = await newClient(home.url, 'Alice');
  const bob = await newClient(other.url, 'Bob');
  await meet(alice, bob);
  await alice.createGroup({ name: 'Across' });
  expect(await alice.addToGroup('Across', ['Bob'])).toMatchObject({ members: 2, epoch: 1 });
  await bob.sync();
  await alice.send('Across', 'from home');
  expect(await received(bob)).toEqual(['from home']);
  await bob.send('Across', 'from the other server');
  expect(await received(alice)).toEqual(['from the other server']);
  await Promise.all([alice.close(), bob.close()]);
}, 60_000);
