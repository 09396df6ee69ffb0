/**
 * Read receipts and typing in `parley chat` (docs/client.md §4.11): two chats in real terminals
 * (tmux) — what one types shows "typing…" on the other's prompt, what one reads shows "✓✓ read" on
 * the other — and `parley settings`, read receipts from `receive`, the UNREAD column of `contacts`
 * (its counts are the SDK's, tested in packages/client/test/read-typing.test.ts).
 */
import { meet, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killTmux, Terminal, tmuxAvailable } from './terminal.ts';

const server = useTestServer();
const { alice, bob } = useTestHomes(server);

beforeAll(async () => {
  await meet(alice, bob);
}, 60_000);

afterAll(() => {
  killTmux();
});

/** The last line that holds the prompt, with or without a status before it. */
const prompt = (screen: string) =>
  screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => /(^|\) )>( |$)/.test(l))
    .pop();

describe('settings and unread counts', () => {
  it('settings shows and changes both; contacts counts what was not read', async () => {
    expect((await bob.json('settings')).settings).toEqual({ sendReadReceipts: true, sendTyping: true });
    expect((await bob.json('settings', '--read-receipts', 'off', '--typing', 'off')).settings).toEqual({
      sendReadReceipts: false,
      sendTyping: false,
    });
    const table = await bob.run('settings');
    expect(table.stdout).toMatch(/read receipts\s+off/);
    expect(table.stdout).toMatch(/typing indicators\s+off/);
    const bad = await bob.run('settings', '--typing', 'maybe');
    expect(bad.code).toBe(2);
    expect((await bob.json('settings', '--read-receipts', 'on', '--typing', 'on')).settings).toEqual({
      sendReadReceipts: true,
      sendTyping: true,
    });

    await bob.json('send', 'Alice', 'one');
    await bob.json('send', 'Alice', 'two');
    expect(texts(await alice.json('receive'))).toEqual(['one', 'two']);
    const { contacts } = await alice.json('contacts');
    expect(contacts.map((c: { name: string; unread: number }) => [c.name, c.unread])).toEqual([['Bob', 0]]);
    expect((await alice.run('contacts')).stdout).toMatch(/UNREAD/);
    await bob.json('receive');
    // Receiving is reading: Bob's texts show read.
    const history = await bob.json('history', 'Alice');
    expect(history.messages.map((m: { status: string }) => m.status)).toEqual(['read', 'read']);
  }, 90_000);
});

describe('parley chat on both sides', () => {
  it('shows "typing…" while the other types, ends it on send, and marks read what the other saw', async () => {
    if (!tmuxAvailable()) throw new Error('tmux is not installed: this test drives `parley chat` in tmux.');
    const a = new Terminal(alice, ['chat', 'Bob']);
    const b = new Terminal(bob, ['chat', 'Alice']);
    await a.waitFor((s) => prompt(s) === '>', "Alice's prompt");
    await b.waitFor((s) => prompt(s) === '>', "Bob's prompt");
    // Both online: give the push connections a moment by waiting on a message both ways.
    a.keys('ready?', 'Enter');
    await b.waitFor((s) => s.includes('Alice: ready?'), 'the first message');

    b.keys('I am wri');
    await a.waitFor((s) => prompt(s) === '(Bob is typing…) >', 'the typing indicator');
    b.keys('ting', 'Enter');
    const seen = await a.waitFor(
      (s) => s.includes('Bob: I am writing') && prompt(s) === '>',
      'the message, and the indicator gone',
    );
    expect(seen).toContain('Bob: I am writing');
    // Alice's chat showed it: Bob's chat hears it was read.
    await b.waitFor((s) => s.includes('✓✓ read'), 'the read mark');

    // Typing then erasing the line stops the indicator without a message.
    a.keys('never mind');
    await b.waitFor((s) => prompt(s) === '(Alice is typing…) >', "Alice's typing");
    a.keys('C-u');
    await b.waitFor((s) => prompt(s) === '>', 'the indicator gone');

    a.keys('/quit', 'Enter');
    b.keys('/quit', 'Enter');
    expect(await a.ended()).toBe(0);
    expect(await b.ended()).toBe(0);
    // Nothing typed was stored: the histories hold the texts only.
    const history = await alice.json('history', 'Bob');
    expect(history.messages.map((m: { text: string }) => m.text)).toEqual(['one', 'two', 'ready?', 'I am writing']);
  }, 120_000);
});
