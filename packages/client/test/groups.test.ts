/**
 * Groups in the SDK (docs/client.md §4.12) against a real server in this process: create, add by
 * key packages with the Welcome over 1:1 sessions, texts both ways as a conversation, removal
 * (the removed member reads nothing newer and cannot post), leaving, and two commits racing.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import type { ParleyClient } from '../src/client.ts';
import { commitToGroup } from '../src/flows/groups/group-commit.ts';
import { groupLock, listGroups } from '../src/flows/groups/group-context.ts';
import { removal } from '../src/flows/groups/membership.ts';
import { failureOf, meet, newClient, received } from './client-kit.ts';
import { contextOf } from './devices-kit.ts';

const server = useInProcessServer();

async function trio(): Promise<[ParleyClient, ParleyClient, ParleyClient]> {
  const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((n) => newClient(server.url, n)));
  if (!alice || !bob || !carol) throw new Error('clients');
  await meet(alice, bob);
  await meet(alice, carol);
  return [alice, bob, carol];
}

describe('groups', { timeout: 60_000 }, () => {
  it('create, add, talk, remove, leave', async () => {
    const [alice, bob, carol] = await trio();
    const g = await alice.createGroup({ name: 'Hikers', description: 'Sundays' });
    expect(g).toMatchObject({ name: 'Hikers', members: 1, epoch: 0, status: 'active' });
    const added = await alice.addToGroup('Hikers', ['Bob', 'Carol']);
    expect(added).toMatchObject({ members: 3, epoch: 1 });

    const joined = await bob.sync();
    expect(joined).toContainEqual({ type: 'group', change: 'joined', groupId: g.id, status: 'active' });
    await carol.sync();
    const [bg] = await bob.groups();
    expect(bg).toMatchObject({ id: g.id, name: 'Hikers', description: 'Sundays', members: 3, epoch: 1 });
    expect((await carol.groups()).map((x) => x.id)).toEqual([g.id]);

    const sent = await bob.send('Hikers', 'hello all');
    expect(sent).toMatchObject({ conversationId: g.id, direction: 'out', text: 'hello all' });
    await alice.sync();
    expect((await alice.groups())[0]).toMatchObject({ unread: 1, last: { text: 'hello all', direction: 'in' } });
    expect(await received(alice)).toEqual(['hello all']);
    expect((await alice.groups())[0]?.unread).toBe(0);
    const [inCarol] = await carol.sync().then(() => carol.unread({ take: true }));
    expect(inCarol).toMatchObject({ conversationId: g.id, direction: 'in', text: 'hello all' });
    await alice.send(g.id, 'hi Bob');
    expect(await received(bob)).toEqual(['hi Bob']);
    expect((await bob.messages('Hikers')).map((m) => [m.direction, m.text])).toEqual([
      ['out', 'hello all'],
      ['in', 'hi Bob'],
    ]);

    // Members: Bob sees Alice as his contact, Carol as a stranger (not his contact), himself current.
    const members = await bob.groupMembers('Hikers');
    expect(members.map((m) => [m.name, m.trust, m.current]).sort()).toEqual(
      [
        ['Alice', 'unverified', false],
        [null, 'self', true],
        [null, 'stranger', false],
      ].sort(),
    );

    // Alice removes Carol: one commit; Carol reads it and is out.
    const after = await alice.removeFromGroup('Hikers', 'Carol');
    expect(after).toMatchObject({ members: 2, epoch: 2 });
    await alice.send('Hikers', 'carol is gone');
    expect(await carol.sync()).toContainEqual({ type: 'group', change: 'changed', groupId: g.id, status: 'removed' });
    expect((await carol.groups())[0]?.status).toBe('removed');
    // What came before her removal, nothing after it.
    expect((await carol.unread()).map((m) => m.text)).toEqual(['hi Bob']);
    expect((await failureOf(carol.send(g.id, 'still here?'))).code).toBe('not-in-group');
    expect(await received(bob)).toEqual(['carol is gone']);

    // Bob leaves: his device stops at once; Alice's next sync removes his leaves.
    await bob.leaveGroup('Hikers');
    expect((await bob.groups())[0]?.status).toBe('left');
    await alice.sync();
    expect((await alice.groups())[0]).toMatchObject({ members: 1, epoch: 3 });
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('two members committing at once: both changes land, one retried on the new epoch', async () => {
    const [alice, bob, carol] = await trio();
    await meet(bob, carol);
    const dave = await newClient(server.url, 'Dave');
    await meet(alice, dave);
    await meet(bob, dave);
    await alice.createGroup({ name: 'Race' });
    await alice.addToGroup('Race', ['Bob']);
    expect(await alice.addGroupAdmin('Race', 'Bob')).toMatchObject({ admin: true });
    await bob.sync();
    expect((await bob.groups())[0]?.admin).toBe(true);
    // Alice adds Carol while Bob adds Dave: one commit per epoch, the other retries.
    const [a, b] = await Promise.all([alice.addToGroup('Race', ['Carol']), bob.addToGroup('Race', ['Dave'])]);
    expect([a.epoch, b.epoch].sort()).toEqual([2, 3]);
    await alice.sync();
    await bob.sync();
    await carol.sync();
    await dave.sync();
    for (const c of [alice, bob, carol, dave]) expect((await c.groups())[0]).toMatchObject({ members: 4, epoch: 3 });
    await dave.send('Race', 'all four');
    for (const c of [alice, bob, carol]) expect(await received(c)).toEqual(['all four']);
    await Promise.all([alice.close(), bob.close(), carol.close(), dave.close()]);
  });

  it('online members get texts and commits pushed, without syncing', async () => {
    const [alice, bob, carol] = await trio();
    await alice.createGroup({ name: 'Live' });
    await alice.addToGroup('Live', ['Bob']);
    await bob.sync();
    await Promise.all([alice.start(), bob.start()]);
    const texts = (c: ParleyClient, n: number) =>
      new Promise<string[]>((resolve) => {
        const got: string[] = [];
        const off = c.on((e: ClientEvent) => {
          if (e.type === 'message') got.push(e.message.text);
          if (got.length === n) {
            off();
            resolve(got);
          }
        });
      });
    const atBob = texts(bob, 2);
    await alice.send('Live', 'one');
    // A commit in between: Bob's socket moves on to the next epoch's key.
    await alice.addToGroup('Live', ['Carol']);
    await alice.send('Live', 'two');
    expect(await atBob).toEqual(['one', 'two']);
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });

  it('admins: a non-admin cannot add or remove, and a removal it forges is refused by every member', async () => {
    const [alice, bob, carol] = await trio();
    await meet(bob, carol);
    await alice.createGroup({ name: 'Admins' });
    await alice.addToGroup('Admins', ['Bob', 'Carol']);
    await bob.sync();
    await carol.sync();
    expect((await bob.groups())[0]?.admin).toBe(false);
    expect((await failureOf(bob.removeFromGroup('Admins', 'Carol'))).code).toBe('not-admin');
    // Bob's client bypassed: his commit removing Carol goes to the log (the server cannot tell).
    const ctx = contextOf(bob);
    const [g] = await listGroups(ctx);
    if (g === undefined) throw new Error('no group');
    const carolAccount = (await carol.groupMembers('Admins')).find((m) => m.current)?.accountId ?? '';
    await groupLock(ctx, () => commitToGroup(ctx, g, async (state) => removal(state, carolAccount)));
    // Alice and Carol refuse it: Carol is still a member in their views, and the group stalls.
    await alice.sync();
    await carol.sync();
    for (const c of [alice, carol]) expect((await c.groups())[0]).toMatchObject({ members: 3, status: 'stalled' });
    expect((await failureOf(alice.send('Admins', 'hello?'))).code).toBe('not-in-group');
    await Promise.all([alice.close(), bob.close(), carol.close()]);
  });
});
