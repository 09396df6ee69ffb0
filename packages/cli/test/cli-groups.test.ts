/**
 * `parley group …` end to end: a real server process and three CLI homes, every command a child
 * process — a group created, people added, texts sent and received by name, history, members,
 * a removal, leaving.
 */
import { Home, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { expect, it } from 'vitest';

const server = useTestServer();
const { alice, bob, homes } = useTestHomes(server);

async function meet(a: Home, b: Home, name: string): Promise<void> {
  const { invitation } = await a.json('invite');
  await b.json('connect', invitation.link, '--name', name);
  await a.json('receive');
  await b.json('receive');
}

it('a group chat from the command line: create, add, talk, members, remove, leave', async () => {
  const carol = await Home.create(server.url, 'Carol');
  homes.push(carol);
  await meet(alice, bob, 'Alice');
  await meet(alice, carol, 'Alice');

  const { group } = await alice.json('group', 'create', 'Hikers', '--description', 'Sundays');
  expect(group).toMatchObject({ name: 'Hikers', members: 1 });
  const added = await alice.run('group', 'add', 'Hikers', 'Bob', 'Carol');
  expect(added.code).toBe(0);
  expect(added.stdout).toContain('Hikers has 3 member devices now.');

  expect((await bob.run('receive')).stdout).toContain('You were added to Hikers');
  const { groups } = await bob.json('groups');
  expect(groups.map((g: { name: string; members: number }) => [g.name, g.members])).toEqual([['Hikers', 3]]);
  expect((await bob.run('send', 'hikers', 'hello', 'hikers')).stdout).toContain('Sent to Hikers.');
  const a = await alice.run('receive');
  expect(a.stdout).toMatch(/Bob in Hikers: hello hikers/);
  expect(texts(await carol.json('receive'))).toEqual(['hello hikers']);

  const history = await carol.run('history', 'Hikers');
  expect(history.stdout).toContain('a group member (not a contact): hello hikers');
  const { members } = await bob.json('group', 'members', 'Hikers');
  expect(members).toHaveLength(3);

  await alice.json('group', 'remove', 'Hikers', 'Carol');
  await alice.json('send', 'Hikers', 'after carol');
  expect(texts(await carol.json('receive'))).toEqual([]);
  const refused = await carol.run('send', 'Hikers', 'still here?');
  expect(refused.code).toBe(6);
  expect(refused.stderr).toContain('no longer in that group');
  expect(texts(await bob.json('receive'))).toEqual(['after carol']);

  expect((await bob.run('group', 'leave', 'Hikers')).code).toBe(0);
  await alice.json('receive');
  const after = await alice.json('groups');
  expect(after.groups[0]).toMatchObject({ name: 'Hikers', members: 1 });
}, 180_000);
