/**
 * `parley` end to end: a real server process and real CLI homes, every command a child process.
 * The tests run in order and share Alice's and Bob's homes (each command costs a process start
 * and a passphrase derivation, so the conversation carries on from test to test).
 */
import { openProfile } from '@parley/client/node';
import { Home, PASSPHRASE, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { describe, expect, it } from 'vitest';

const server = useTestServer();
const { alice, bob, homes } = useTestHomes(server);

describe('parley end to end', () => {
  it('meets by invitation, then messages flow both ways', async () => {
    const { invitation } = await alice.json('invite');
    expect(invitation.link).toMatch(/^parley:\/\/invite\//);
    const { contact } = await bob.json('connect', invitation.link, '--name', 'Alice');
    expect(contact).toMatchObject({ name: 'Alice', state: 'pending', keySource: 'invitation' });

    // Alice's receive takes Bob's hello (human output names the new contact).
    const a = await alice.run('receive');
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Bob is now connected');
    const b = await bob.json('receive');
    expect(b.events.map((e: { type: string }) => e.type)).toContain('contact-connected');
    expect(b.contacts.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([['Alice', 'connected']]);

    const [sent] = await Promise.all([
      bob.json('send', 'alice', 'hello', 'Alice'), // names are case-insensitive; the words are joined
      alice.runWith({ input: 'hello Bob\nsecond line\n' }, 'send', 'Bob', '-'),
    ]);
    expect(sent.message).toMatchObject({ text: 'hello Alice', status: 'sent', direction: 'out' });
    expect(texts(await alice.json('receive'))).toEqual(['hello Alice']);
    expect(texts(await bob.json('receive'))).toEqual(['hello Bob\nsecond line']);

    // history only reads: it runs alongside other commands on the same profile.
    const [{ messages }, human] = await Promise.all([bob.json('history', 'Alice'), bob.run('history', 'Alice')]);
    // The two were sent at once: history lists texts in their senders' order (by the time each
    // was written, docs/client.md §4.6), which between two senders is whichever wrote first.
    const rows = messages.map((m: { direction: string; text: string; status: string }) => [m.direction, m.text]);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['out', 'hello Alice'],
        ['in', 'hello Bob\nsecond line'],
      ]),
    );
    const out = messages.find((m: { direction: string }) => m.direction === 'out');
    // Alice's receipts came with her message: delivered, and read (her receive showed it).
    expect(out.status).toBe('read');
    expect(human.stdout).toMatch(/\d\d:\d\d {2}You: hello Alice {2}✓✓/);
    expect(human.stdout).toMatch(/\d\d:\d\d {2}Alice: hello Bob\n {14}second line/);
  }, 90_000);

  it('meets by contact address: requests are listed, accepted or rejected', async () => {
    const [carol, dave] = await Promise.all([Home.create(server.url, 'Carol'), Home.create(server.url, 'Dave')]);
    homes.push(carol, dave);
    const { address } = await alice.json('address', 'create');
    expect(address.link).toMatch(/^parley:\/\/address\//);

    await Promise.all([
      carol.json('request', address.link, '--message', "hi, it's Carol from the meetup", '--name', 'Alice'),
      dave.json('request', address.link, '--message', 'buy my stuff'),
    ]);
    const r = await alice.run('receive');
    expect(r.stdout).toContain('Contact request from Carol: "hi, it\'s Carol from the meetup"');
    expect(r.stdout).toContain('Contact request from Dave');
    const { requests } = await alice.json('requests');
    // Sent at the same time: either may have arrived first.
    const byName = (q: { name: string; message: string }[]) =>
      q.map((x) => [x.name, x.message]).sort((x, y) => (x[0] as string).localeCompare(y[0] as string));
    expect(byName(requests)).toEqual([
      ['Carol', "hi, it's Carol from the meetup"],
      ['Dave', 'buy my stuff'],
    ]);
    const fromCarol = requests.find((q: { name: string }) => q.name === 'Carol');
    const accepted = await alice.json('requests', 'accept', fromCarol.id);
    expect(accepted.contact).toMatchObject({ name: 'Carol', state: 'connected', keySource: 'address' });
    const [, carolSees] = await Promise.all([
      alice.json('requests', 'reject', 'dave'), // by name, when it is unambiguous
      carol.json('receive'),
    ]);
    expect(carolSees.contacts.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['Alice', 'connected'],
    ]);
    const [left, , refused] = await Promise.all([
      alice.json('requests'),
      carol.json('send', 'Alice', 'thanks for accepting'),
      dave.run('send', 'contact', 'hello?', '--json'),
    ]);
    expect(left.requests).toEqual([]);
    expect(texts(await alice.json('receive'))).toEqual(['thanks for accepting']);
    expect(refused.code).toBe(6);
    expect(refused.json.error.code).toBe('not-connected');
  }, 90_000);

  it('delivers messages sent while the other side is offline, in order, both ways', async () => {
    // Neither side receives while the other writes.
    await Promise.all([
      (async () => {
        for (const t of ['offline 1', 'offline 2', 'offline 3']) await alice.json('send', 'Bob', t);
      })(),
      bob.json('send', 'Alice', 'while you were away'),
    ]);
    const [b, a] = await Promise.all([bob.json('receive'), alice.json('receive')]);
    expect(texts(b)).toEqual(['offline 1', 'offline 2', 'offline 3']);
    expect(texts(a)).toEqual(['while you were away']);
    expect(texts(await bob.json('receive'))).toEqual([]); // once only
  }, 90_000);

  it('receive --wait prints messages as they arrive; Ctrl-C (SIGINT) closes the profile and exits 130', async () => {
    const waiting = bob.start(['receive', '--wait', '30']);
    await alice.json('send', 'Bob', 'live message');
    await waiting.waitForOutput((out) => /\d\d:\d\d {2}Alice: live message/.test(out));
    expect(waiting.child.exitCode).toBeNull(); // printed during the wait, not at the end
    waiting.child.kill('SIGINT');
    const ended = await waiting.done;
    expect(ended.code).toBe(130);
    expect(texts(await bob.json('receive'))).toEqual([]); // it was handed out once
  }, 90_000);

  it('Ctrl-C at any moment of start-up and catch-up exits 130, with no error of its own making', async () => {
    // A signal that closes the profile while the command is still catching up made the command
    // fail on its closed store, and that failure's exit (2, "store is closed") won the race.
    // The window is a few hundred ms wide, so the signal is sent at spread-out moments.
    for (let i = 0; i < 10; i++) {
      const waiting = bob.start(['receive', '--wait', '30']);
      await new Promise((r) => setTimeout(r, 300 + i * 120));
      waiting.child.kill('SIGINT');
      const ended = await waiting.done;
      // Before the CLI has loaded, Node's own SIGINT handling ends it (no code, nothing opened).
      const outcome = ended.signal === 'SIGINT' ? 'killed before start' : ended.code;
      expect({ outcome, stderr: ended.stderr }).toMatchObject({ stderr: '' });
      expect([130, 'killed before start']).toContain(outcome);
    }
  }, 120_000);

  it('both sides compute the same safety number', async () => {
    const [a, b, human] = await Promise.all([
      alice.json('verify', 'Bob'),
      bob.json('verify', 'Alice'),
      alice.run('verify', 'Bob'),
    ]);
    expect(a.safetyNumber.display).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(a.safetyNumber.display).toBe(b.safetyNumber.display);
    expect(a.contact.verification).toBe('unverified');
    const groups = a.safetyNumber.display.split(' ');
    expect(human.stdout).toContain(groups.slice(0, 4).join(' '));
    expect(human.stdout).toContain('▄'); // the QR code
    const confirmed = await alice.json('verify', 'Bob', '--confirm');
    expect(confirmed.contact.verification).toBe('verified');
  }, 90_000);

  it('loses nothing when the server restarts mid-conversation, or is down while sending', async () => {
    await alice.json('send', 'Bob', 'before restart');
    await server.restart();
    expect(texts(await bob.json('receive'))).toEqual(['before restart']);
    await bob.json('send', 'Alice', 'after restart');
    await server.restart();
    expect(texts(await alice.json('receive'))).toEqual(['after restart']);

    await server.pause();
    const queued = await alice.run('send', 'Bob', 'while the server was down', '--json');
    expect(queued.code).toBe(0);
    expect(queued.json.message.status).toBe('queued');
    const down = await bob.run('receive', '--json');
    expect(down.code).toBe(4);
    expect(down.json.error.code).toBe('server-unreachable');
    await server.resume();
    await alice.json('receive'); // sends what is queued
    expect(texts(await bob.json('receive'))).toEqual(['while the server was down']);
  }, 90_000);

  it('kill -9 of a client in the middle of receiving loses and duplicates nothing', async () => {
    const N = 40;
    // Bob sends a burst through the SDK in this process (40 CLI processes would take a minute).
    const sender = await openProfile({ home: bob.dir, passphrase: PASSPHRASE });
    try {
      for (let i = 1; i <= N; i++) await sender.send('Alice', `burst ${i}`);
    } finally {
      await sender.close();
    }
    const run = alice.start(['receive', '--wait', '20']);
    await run.waitForOutput((out) => out.includes('burst 1'));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const printedBefore = [...killed.stdout.matchAll(/burst (\d+)/g)].map((m) => Number(m[1]));
    expect(printedBefore.length).toBeLessThan(N); // killed in the middle of the burst

    const after = await alice.json('receive');
    const printedAfter = texts(after).map((t) => Number(t.replace('burst ', '')));
    // Nothing lost to the user: every message was printed by one run or the other, in order.
    const all = [...new Set([...printedBefore, ...printedAfter])].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(printedAfter).toEqual([...printedAfter].sort((x, y) => x - y));
    // Stored once each, in order: nothing decrypted twice.
    const { messages } = await alice.json('history', 'Bob', '--limit', '1000');
    const burst = messages
      .filter((m: { direction: string; text: string }) => m.direction === 'in' && m.text.startsWith('burst '))
      .map((m: { text: string }) => m.text);
    expect(burst).toEqual(Array.from({ length: N }, (_, i) => `burst ${i + 1}`));
    expect(texts(await alice.json('receive'))).toEqual([]);
  }, 90_000);

  it('a reinstall (identity rotate) warns loudly and blocks sending to a verified contact until accepted', async () => {
    const [verified, rotated] = await Promise.all([
      alice.json('verify', 'Bob'),
      bob.json('identity', 'rotate', '--yes'),
    ]);
    const before = verified.safetyNumber.display;
    expect(rotated.contactsNotified).toBe(1);

    const warned = await alice.run('receive');
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('SAFETY NUMBER CHANGED');
    expect(warned.stderr).toContain("Bob's identity key has changed");
    const blocked = await alice.run('send', 'Bob', 'are you still you?', '--json');
    expect(blocked.code).toBe(6);
    expect(blocked.json.error.code).toBe('identity-changed');
    expect(blocked.stdout).not.toContain('are you still you');

    const accepted = await alice.json('verify', 'Bob', '--accept-change');
    expect(accepted.contact).toMatchObject({ identityChanged: false, verification: 'unverified' });
    expect(accepted.safetyNumber.display).not.toBe(before);
    await alice.json('send', 'Bob', 'welcome back');
    expect(texts(await bob.json('receive'))).toEqual(['welcome back']);
    expect((await bob.json('verify', 'Alice')).safetyNumber.display).toBe(accepted.safetyNumber.display);
  }, 90_000);
});
