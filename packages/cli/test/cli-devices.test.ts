/**
 * `parley devices` on one device (docs/client.md §4.9): the list, a name, and the refusals with
 * their exit codes. Two devices need linking: cli-devices-link.test.ts.
 */
import { Home, meet, useTestServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';

const server = useTestServer();

describe('parley devices', () => {
  it('lists this device, names it, and refuses removing it or an unknown one', async () => {
    const home = await Home.create(server.url, 'Alice');
    const listed = await home.json('devices');
    expect(listed.devices).toEqual([
      {
        id: 1,
        name: null,
        linkedAt: null,
        lastActiveAt: expect.any(Number),
        stale: false,
        dropped: false,
        current: true,
      },
    ]);
    const renamed = await home.json('devices', 'rename', '1', 'laptop');
    expect(renamed.devices.map((d: { name: string }) => d.name)).toEqual(['laptop']);
    const table = await home.run('devices');
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('laptop');
    expect(table.stdout).toContain('this device');

    const self = await home.run('devices', 'remove', '1');
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('remove it from another device');
    const unknown = await home.run('devices', 'remove', '9');
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toContain('no other device by that id');
    const bad = await home.run('devices', 'rename', 'two', 'x');
    expect(bad.code).toBe(6);
    home.remove();
  }, 60_000);

  it('contacts shows how many devices of each contact get your messages', async () => {
    const alice = await Home.create(server.url, 'Alice');
    const bob = await Home.create(server.url, 'Bob');
    await meet(alice, bob);
    const { contacts } = await alice.json('contacts');
    expect(contacts.map((c: { name: string; devices: number }) => [c.name, c.devices])).toEqual([['Bob', 1]]);
    const table = await alice.run('contacts');
    expect(table.stdout).toMatch(/DEVICES/);
    expect(table.stdout).toMatch(/Bob\s.*\s1\s/);
    alice.remove();
    bob.remove();
  }, 60_000);
});
