/**
 * Introductions between devices under stress (docs/client.md §4.9, issue 18): a flood of intros
 * from devices not on a person's list costs one device-list fetch, not one per envelope; and
 * devices linked one right after another all end up knowing each other.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { type ClientOptions, ParleyClient } from '../src/client.ts';
import { canSendTo, DEFAULT_DEVICE_TIMES } from '../src/engine/fan-out.ts';
import { put, SELF_CONTACT } from '../src/engine/records.ts';
import { introduceDevices } from '../src/flows/device-intro.ts';
import { devicesOf } from '../src/flows/peers.ts';
import type { ServerApiLike } from '../src/net/server-api-types.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore, meet, newClient } from './client-kit.ts';
import { addDevice, contextOf } from './devices-kit.ts';

const server = useInProcessServer();
const POLL = 20;

/** Client options that count the device-list fetches their server API makes. */
function countingLists(profile: string): { options: ClientOptions; fetches: () => number } {
  const base = nodeClientOptions(profile);
  let n = 0;
  return {
    options: {
      ...base,
      api: (url) =>
        new Proxy(base.api(url), {
          get(target, key, receiver) {
            if (key === 'getDeviceList') {
              return (...a: Parameters<ServerApiLike['getDeviceList']>) => {
                n++;
                return target.getDeviceList(...a);
              };
            }
            const v = Reflect.get(target, key, receiver);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        }) as ServerApiLike,
    },
    fetches: () => n,
  };
}

/**
 * A ghost of Alice's (on the server, not on her signed list) introduces itself to Bob `n` times,
 * each a new session: the intro envelopes a flood would send.
 */
async function flood(laptop: ParleyClient, bob: ParleyClient, n: number): Promise<ParleyClient> {
  const { client: ghost } = await addDevice(laptop, 7, { listed: false });
  const g = contextOf(ghost);
  const bobId = (await laptop.contact('Bob')).id;
  const [pending] = await devicesOf(g, bobId);
  if (pending?.needsIntro !== true) throw new Error('the ghost has no intro pending');
  for (let i = 0; i < n; i++) {
    await g.serial(() => g.commit([put('device', pending.id, pending)]));
    await introduceDevices(g);
  }
  expect(bob).toBeDefined();
  return ghost;
}

describe('a flood of intros from unlisted devices', () => {
  it('read in one page: one device-list fetch, every intro refused', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const counting = countingLists('bob');
    const bob = await ParleyClient.create(new KeptStore(), counting.options, {
      server: server.url,
      displayName: 'Bob',
    });
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    for (const c of [phone, bob, laptop, phone, bob]) await c.sync();
    const aliceId = (await bob.contact('Alice')).id;
    const ghost = await flood(laptop, bob, 5);

    const before = counting.fetches();
    const events = await bob.sync();
    expect(counting.fetches() - before).toBe(1);
    const refused = events.filter((e) => e.type === 'unknown-device');
    expect(refused).toHaveLength(5);
    expect(refused[0]).toEqual({ type: 'unknown-device', contactId: aliceId, device: 7 });
    expect((await devicesOf(contextOf(bob), aliceId)).map((d) => d.device)).toEqual([1, 2]);
    // Nothing left for later: the next read fetches nothing.
    await bob.sync();
    expect(counting.fetches() - before).toBe(1);
    for (const c of [laptop, phone, bob, ghost]) await c.close();
  }, 120_000);

  it('pushed to a running client: left on the server and read again, at most one fetch per period', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const counting = countingLists('bob');
    const bob = await ParleyClient.create(new KeptStore(), counting.options, {
      server: server.url,
      displayName: 'Bob',
    });
    await meet(laptop, bob);
    const { client: phone } = await addDevice(laptop, 2);
    for (const c of [phone, bob, laptop, phone, bob]) await c.sync();
    const refused: ClientEvent[] = [];
    bob.on((e) => {
      if (e.type === 'unknown-device') refused.push(e);
    });
    const online = new Promise<void>((resolve) => {
      const off = bob.on((e) => {
        if (e.type === 'connection' && e.state === 'online') {
          off();
          resolve();
        }
      });
    });
    await bob.start();
    await online;
    const before = counting.fetches();
    const ghost = await flood(laptop, bob, 6);
    // Each intro is refused once; the burst is read again at most once per 5 s period after the
    // first fetch: however many intros come within it, two fetches at most (it was one each).
    for (let i = 0; i < 800 && refused.length < 6; i++) await new Promise((r) => setTimeout(r, 25));
    expect(refused).toHaveLength(6);
    const fetched = counting.fetches() - before;
    expect(fetched).toBeGreaterThanOrEqual(1);
    expect(fetched).toBeLessThanOrEqual(2);
    // Nothing is left on the server for later.
    await bob.sync();
    expect(refused).toHaveLength(6);
    for (const c of [laptop, phone, bob, ghost]) await c.close();
  }, 120_000);
});

/** Links a new device to `existing` through the real handshake; resolves with its client. */
async function link(existing: ParleyClient, name: string): Promise<ParleyClient> {
  const session = await existing.linkDevice({ pollMs: POLL });
  const join = await ParleyClient.join(new KeptStore(), nodeClientOptions(name), {
    link: session.link,
    deviceName: name,
    history: { kind: 'all' },
    pollMs: POLL,
  });
  await Promise.all([session.code(), join.code()]);
  session.confirm(true);
  join.confirm(true);
  const [, client] = await Promise.all([session.done, join.done]);
  return client;
}

/** The own devices `c` can send to (a session and a mailbox each), by id. */
async function reachableOwn(c: ParleyClient): Promise<number[]> {
  const now = Date.now();
  return (await devicesOf(contextOf(c), SELF_CONTACT))
    .filter((d) => canSendTo(d, now, DEFAULT_DEVICE_TIMES))
    .map((d) => d.device)
    .sort((a, b) => a - b);
}

describe('devices linked back to back', () => {
  it('devices linked one right after another all end up knowing each other', async () => {
    const laptop = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(laptop, bob);
    // The phone is linked, then the tablet and the desktop at once: the laptop has read none of
    // their intros in between, so none of them was in the next one's grant.
    const phone = await link(laptop, 'phone');
    const tablet = await link(laptop, 'tablet');
    const desktop = await link(laptop, 'desktop');
    const all = [laptop, phone, tablet, desktop];
    const ids = all.map((c) => contextOf(c).profile.device);
    for (let round = 0; round < 4; round++) for (const c of [...all, bob]) await c.sync();
    for (const [i, c] of all.entries()) {
      expect(await reachableOwn(c)).toEqual(ids.filter((_, j) => j !== i).sort((a, b) => a - b));
    }
    // A text from the tablet shows on every other device as sent by us; Bob's reaches all four.
    await tablet.send('Bob', 'from the tablet');
    for (const c of [laptop, phone, desktop]) {
      await c.sync();
      expect((await c.messages('Bob')).map((m) => [m.direction, m.text])).toContainEqual(['out', 'from the tablet']);
    }
    expect((await bob.contact('Alice')).devices).toBe(4);
    await bob.send('Alice', 'to all four');
    for (const c of all) {
      await c.sync();
      expect((await c.messages('Bob')).map((m) => m.text)).toContain('to all four');
    }
    for (const c of [...all, bob]) await c.close();
  }, 120_000);
});
