/**
 * `parley devices link` and `parley join` end to end: a real server and real CLI homes, each
 * command a child process; the code is compared by this test as a person would, and typed into
 * both processes' stdin.
 */
import { Home, meet, type Running, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';

const server = useTestServer();
const { alice, bob, homes } = useTestHomes(server);

/** The first `key` a process prints in its JSON documents. */
const field = (r: Running, key: string): Promise<unknown> => r.waitForField(key, 60_000);

describe('linking a second CLI home', () => {
  it('links the phone with the code confirmed on both; the phone has the history; Bob reaches both', async () => {
    await meet(alice, bob);
    await alice.json('send', 'Bob', 'before linking 1');
    await bob.json('send', 'Alice', 'before linking 2');
    await alice.json('receive');
    await bob.json('receive');

    const phone = Home.empty('Phone');
    homes.push(phone);
    const laptop = alice.start(['devices', 'link', '--json'], { openStdin: true, timeoutMs: 120_000 });
    const link = (await field(laptop, 'link')) as string;
    expect(link).toMatch(/^parley:\/\/link\//);
    const joining = phone.start(['join', link, '--name', 'phone', '--history', 'all', '--json'], {
      openStdin: true,
      timeoutMs: 120_000,
    });
    const [codeE, codeN] = await Promise.all([field(laptop, 'code'), field(joining, 'code')]);
    expect(codeN).toBe(codeE);
    joining.child.stdin?.end(`${codeE}\n`); // the digits the laptop shows, typed on the phone
    laptop.child.stdin?.end('y\n');
    const [e, n] = await Promise.all([laptop.done, joining.done]);
    expect(e.code, e.stderr).toBe(0);
    expect(n.code, n.stderr).toBe(0);
    expect(laptop.documents().find((d) => 'linked' in d)?.linked).toMatchObject({ deviceName: 'phone' });

    const history = await phone.json('history', 'Bob');
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['before linking 1', 'before linking 2']);

    // Needs C1's intro and fan-out: the phone introduces itself to Bob at its next sync.
    await phone.json('receive');
    await bob.json('receive');
    await bob.json('send', 'Alice', 'to both of you');
    // The phone first: a message read on one device is read on the others (C1's read sync).
    expect(texts(await phone.json('receive'))).toEqual(['to both of you']);
    expect(texts(await alice.json('receive'))).toEqual(['to both of you']);
  }, 240_000);

  it('a code typed wrong on the new device refuses the linking on both, nothing linked', async () => {
    const tablet = Home.empty('Tablet');
    homes.push(tablet);
    const laptop = alice.start(['devices', 'link', '--json'], { openStdin: true, timeoutMs: 120_000 });
    const link = (await field(laptop, 'link')) as string;
    const joining = tablet.start(['join', link, '--json'], { openStdin: true, timeoutMs: 120_000 });
    const code = (await field(joining, 'code')) as string;
    await field(laptop, 'code');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    joining.child.stdin?.end(`${wrong}\n`);
    laptop.child.stdin?.end('y\n');
    const [e, n] = await Promise.all([laptop.done, joining.done]);
    expect(n.code).toBe(5);
    expect(n.stdout).toContain('link-code-mismatch');
    expect(e.code).toBe(5);
    expect((await tablet.run('profiles', '--json')).json.profiles).toEqual([]);
  }, 180_000);

  it('no answer on the new device (stdin closed) cancels the linking on both, and leaves no profile', async () => {
    const watch = Home.empty('Watch');
    homes.push(watch);
    const laptop = alice.start(['devices', 'link', '--json'], { openStdin: true, timeoutMs: 120_000 });
    const link = (await field(laptop, 'link')) as string;
    const n = await watch.run('join', link, '--json'); // stdin is /dev/null
    expect(n.code).toBe(2);
    laptop.child.stdin?.end('y\n');
    const e = await laptop.done;
    expect(e.code).toBe(5);
    expect(e.stdout).toContain('link-aborted');
    expect((await watch.run('profiles', '--json')).json.profiles).toEqual([]);
  }, 120_000);
});
