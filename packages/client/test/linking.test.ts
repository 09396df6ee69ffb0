/**
 * Linking a second device, SDK level against an in-process server (docs/client.md §4.10): the
 * happy path with a history of 1,000 messages, then every way it must end with nothing linked.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';
import { ParleyClient } from '../src/client.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { failureOf, KeptStore, meet, newClient } from './client-kit.ts';

const server = useInProcessServer();
const POLL = 20;

async function phoneJoin(link: string, store = new KeptStore(), history = { kind: 'all' } as const) {
  return ParleyClient.join(store, nodeClientOptions('phone'), { link, deviceName: 'phone', history, pollMs: POLL });
}

describe('linking a device', () => {
  it('links, and the new device gets the identity, the contacts and 1,000 messages in order', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice, bob);
    const texts: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = `message ${i}`;
      texts.push(t);
      if (i % 2 === 0) await alice.send('Bob', t);
      else await bob.send('Alice', t);
      if (i % 100 === 99) {
        await alice.sync();
        await bob.sync();
      }
    }
    await alice.sync();
    const progress: number[] = [];
    const session = await alice.linkDevice({ pollMs: POLL, onProgress: (p) => progress.push(p.sent) });
    expect(session.link.startsWith('parley://link/')).toBe(true);
    const phoneStore = new KeptStore();
    const join = await phoneJoin(session.link, phoneStore);
    const [codeE, codeN] = await Promise.all([session.code(), join.code()]);
    expect(codeE).toMatch(/^[0-9]{6}$/);
    expect(codeN).toBe(codeE);
    session.confirm(true);
    join.confirm(true);
    const [result, phone] = await Promise.all([session.done, join.done]);
    expect(result.deviceName).toBe('phone');
    expect(phone.profile.accountId).toBe(alice.profile.accountId);
    expect((await phone.contacts()).map((c) => c.name)).toEqual(['Bob']);
    const history = await phone.messages('Bob', { limit: 2000 });
    expect(history.map((m) => m.text)).toEqual(texts);
    expect(history.filter((m) => m.direction === 'out').length).toBe(500);
    expect(progress.at(-1)).toBe(result.items);
    expect(await phoneStore.get('linking', 'self')).toBeUndefined();
    await phone.close();
    await alice.close();
    await bob.close();
  }, 120_000);
});
