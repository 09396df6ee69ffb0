/**
 * `parley` end to end through a hostile network (issue 15): real CLI processes and a real server
 * with a seeded fault-injecting proxy between them (@parley/testkit fault-proxy.ts) that shuffles,
 * thins, doubles, renumbers and alters what mailbox reads return and stores deliveries twice.
 * Every line sent is shown once, in the order it was sent, and no false warning is printed.
 */
import { Home, startFaultProxy, useTestServer } from '@parley/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const server = useTestServer();
const homes: Home[] = [];
afterAll(() => {
  for (const h of homes) h.remove();
});

describe('parley through a hostile proxy', () => {
  it('shows every line once, in the sender order, with no false warning', async () => {
    const proxy = await startFaultProxy(server.url, Number(process.env.PARLEY_HOSTILE_SEED ?? 1515), {
      drop: 0.2,
      duplicate: 0.2,
      reorder: 0.3,
      renumber: 0.1,
      alter: 0.1,
    });
    try {
      const [alice, bob] = await Promise.all([Home.create(proxy.url, 'Alice'), Home.create(proxy.url, 'Bob')]);
      homes.push(alice, bob);
      const { invitation } = await alice.json('invite');
      await bob.json('connect', invitation.link, '--name', 'Alice');
      await alice.json('receive');
      await bob.json('receive');

      proxy.faults = true;
      const lines = Array.from({ length: 6 }, (_, i) => `line ${i + 1}`);
      for (const line of lines) await alice.json('send', 'Bob', line);
      const outputs: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await bob.run('receive');
        outputs.push(r.stdout, r.stderr);
      }
      proxy.faults = false;
      const last = await bob.run('receive');
      outputs.push(last.stdout, last.stderr);

      const injected = Object.values(proxy.injected).reduce((a, b) => a + b, 0);
      expect(injected).toBeGreaterThan(0);
      const { messages } = await bob.json('history', 'Alice');
      const shown = (messages as { direction: string; text: string }[])
        .filter((m) => m.direction === 'in')
        .map((m) => m.text);
      expect(shown).toEqual(lines);
      expect(outputs.join('\n')).not.toMatch(/could not be (read|decrypted)|lost/);
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
