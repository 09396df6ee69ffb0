/**
 * `parley chat` as a person uses it: in a real terminal (tmux), typing with send-keys and reading
 * the screen with capture-pane, while the other side uses the scriptable commands.
 */
import { Home, meet, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killTmux, promptLine, Terminal, tmuxAvailable } from './terminal.ts';

const server = useTestServer();
const { alice, bob } = useTestHomes(server);

beforeAll(async () => {
  await meet(alice, bob);
}, 60_000);

afterAll(() => {
  killTmux();
});

describe('parley chat in a terminal', () => {
  it('shows history, sends on Enter, shows incoming messages as they arrive, redraws the prompt, quits', async () => {
    if (!tmuxAvailable()) {
      throw new Error(
        'tmux is not installed: this test drives `parley chat` in tmux. Install tmux (apt-get install tmux).',
      );
    }
    await bob.json('send', 'Alice', 'sent before the chat');
    const term = new Terminal(alice, ['chat', 'Bob']);
    let screen = await term.waitFor((s) => promptLine(s) === '>', 'the prompt');
    expect(screen).toContain('Chat with Bob');
    expect(screen).toMatch(/\d\d:\d\d {2}Bob: sent before the chat/);

    term.keys('hello from chat', 'Enter');
    screen = await term.waitFor((s) => /You: hello from chat {2}✓/.test(s), 'the sent message');
    expect(screen).not.toContain('> hello from chat'); // the typed line became the message line
    expect(texts(await bob.json('receive'))).toEqual(['hello from chat']);
    await term.waitFor((s) => s.includes('✓✓ delivered'), 'the delivery receipt');

    await bob.json('send', 'Alice', 'reply from Bob');
    await term.waitFor((s) => /\d\d:\d\d {2}Bob: reply from Bob/.test(s), "Bob's reply");

    // A message arriving while Alice types: printed above, her unfinished line redrawn intact.
    term.keys('half typed');
    await term.waitFor((s) => promptLine(s) === '> half typed', 'the typed text');
    await bob.json('send', 'Alice', 'interrupting you');
    screen = await term.waitFor((s) => s.includes('Bob: interrupting you'), 'the interrupting message');
    expect(promptLine(screen)).toBe('> half typed');
    const lines = screen.split('\n').filter((l) => l.trim() !== '');
    expect(lines[lines.length - 1]).toBe('> half typed');
    term.keys('C-u');

    term.keys('/verify', 'Enter');
    const sn = (await bob.json('verify', 'Alice')).safetyNumber.display.split(' ');
    await term.waitFor((s) => s.includes(sn.slice(0, 4).join(' ')), 'the safety number');

    term.keys('/quit', 'Enter');
    expect(await term.ended()).toBe(0);
    // What the chat showed is not handed out again by receive.
    expect(texts(await alice.json('receive'))).toEqual([]);
  }, 120_000);

  it('warns on entry when the contact’s identity changed, and Ctrl-D leaves', async () => {
    if (!tmuxAvailable()) throw new Error('tmux is not installed: this test drives `parley chat` in tmux.');
    await alice.json('verify', 'Bob', '--confirm');
    await bob.json('identity', 'rotate', '--yes');
    await alice.run('receive'); // flags Bob's identity change
    const term = new Terminal(alice, ['chat', 'Bob']);
    const screen = await term.waitFor((s) => promptLine(s) === '>', 'the prompt');
    expect(screen).toContain('SAFETY NUMBER CHANGED');
    expect(screen).toContain('sending is blocked');
    term.keys('are you still you?', 'Enter');
    await term.waitFor((s) => s.includes('✗ not sent') && s.includes('compare the new safety number'), 'the refusal');
    term.keys('C-d');
    expect(await term.ended()).toBe(0);
  }, 120_000);

  it('asks for the passphrase on the terminal with echo off (twice on init)', async () => {
    if (!tmuxAvailable()) throw new Error('tmux is not installed: this test drives `parley` in tmux.');
    const carol = Home.empty('Carol');
    try {
      const init = new Terminal(carol, ['init', '--server', server.url, '--name', 'Carol'], {
        passphrase: false,
        stderr: true,
      });
      await init.waitFor((s) => s.includes('New passphrase:'), 'the first prompt');
      init.keys('typed secret', 'Enter');
      await init.waitFor((s) => s.includes('Repeat it:'), 'the second prompt');
      init.keys('typed secret', 'Enter');
      expect(await init.ended()).toBe(0);
      const open = new Terminal(carol, ['invite', '--no-qr'], { passphrase: false, stderr: true });
      await open.waitFor((s) => s.includes('Passphrase for profile default:'), 'the prompt');
      open.keys('typed secret', 'Enter');
      const screen = await open.waitFor((s) => s.includes('parley://invite/'), 'the invitation');
      expect(screen).not.toContain('typed secret');
      expect(await open.ended()).toBe(0);
    } finally {
      carol.remove();
    }
  }, 60_000);
});
