/**
 * `parley chat` as a person uses it: in a real terminal (tmux), typing with send-keys and reading
 * the screen with capture-pane, while the other side uses the scriptable commands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN as BIN, Home, meet, PASSPHRASE, texts, useTestHomes, useTestServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A tmux server of our own, so the tests never touch the user's sessions. */
const SOCKET = `parley-test-${process.pid}`;
const TMUX_TIMEOUT_MS = 5000;

function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { timeout: TMUX_TIMEOUT_MS }).status === 0;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { timeout: TMUX_TIMEOUT_MS, encoding: 'utf8' });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `parley ARGS…` running in a detached 120×40 tmux session (by default with PARLEY_PASSPHRASE set). */
class Terminal {
  private static count = 0;
  readonly name = `chat-${process.pid}-${++Terminal.count}`;
  readonly codeFile: string;
  readonly errFile: string;

  constructor(home: Home, args: readonly string[], options: { passphrase?: boolean; stderr?: boolean } = {}) {
    this.codeFile = join(home.dir, `${this.name}.code`);
    this.errFile = join(home.dir, `${this.name}.err`);
    const env =
      options.passphrase === false ? 'env -u PARLEY_PASSPHRASE' : `env PARLEY_PASSPHRASE=${quote(PASSPHRASE)}`;
    const command = [
      `${env} ${quote(process.execPath)} ${quote(BIN)} --home ${quote(home.dir)} ${args.map(quote).join(' ')}`,
      options.stderr ? ';' : `2>${quote(this.errFile)};`,
      `echo $? > ${quote(this.codeFile)}`,
    ].join(' ');
    // The pane stays, dead, once the command exits, so that what it printed last can still be
    // read: a command that prints and exits between two polls would otherwise leave no screen.
    // Set in the same invocation, before the server runs the command's exit.
    tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      '120',
      '-y',
      '40',
      command,
      ';',
      'set-option',
      '-t',
      this.name,
      'remain-on-exit',
      'on',
    );
  }

  /** What the pane shows; once the command has exited, all it printed (tmux may scroll it away). */
  screen(): string {
    try {
      if (!this.alive()) return tmux('capture-pane', '-p', '-S', '-', '-t', this.name);
      return tmux('capture-pane', '-p', '-t', this.name);
    } catch {
      return '';
    }
  }

  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Polls the screen until `predicate` holds; fails with the screen and stderr after `ms`. */
  async waitFor(predicate: (screen: string) => boolean, what: string, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = this.screen();
      if (predicate(s)) return s;
      if (Date.now() > deadline) {
        const err = existsSync(this.errFile) ? readFileSync(this.errFile, 'utf8') : '';
        throw new Error(`the screen never showed ${what}:\n${s}\nstderr: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Whether the command still runs (its pane is kept once it exits, see the constructor). */
  alive(): boolean {
    const r = spawnSync('tmux', ['-L', SOCKET, 'display-message', '-p', '-t', this.name, '#{pane_dead}'], {
      timeout: TMUX_TIMEOUT_MS,
      encoding: 'utf8',
    });
    return r.status === 0 && r.stdout.trim() === '0';
  }

  /** Waits for the session to end; resolves with the chat's exit code. */
  async ended(ms = 15_000): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.alive()) {
      if (Date.now() > deadline) throw new Error(`the chat did not end:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return Number(readFileSync(this.codeFile, 'utf8').trim());
  }
}

/** The last line with the prompt on it (capture-pane drops trailing spaces: an empty prompt is `>`). */
const promptLine = (screen: string) =>
  screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l === '>' || l.startsWith('> '))
    .pop();

const server = useTestServer();
const { alice, bob } = useTestHomes(server);

beforeAll(async () => {
  await meet(alice, bob);
}, 60_000);

afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { timeout: TMUX_TIMEOUT_MS });
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
