/**
 * A real terminal for CLI tests: `parley ARGS…` in a detached tmux session of a tmux server of
 * the test process's own, typed into with send-keys and read with capture-pane.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN as BIN, type Home, PASSPHRASE } from '@parley/testkit';

/** A tmux server of our own, so the tests never touch the user's sessions. */
/** Per test file (each imports its own copy), so that files running at once never share sessions. */
const TAG = `${process.pid}-${randomBytes(4).toString('hex')}`;
export const SOCKET = `parley-test-${TAG}`;
export const TMUX_TIMEOUT_MS = 5000;

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V'], { timeout: TMUX_TIMEOUT_MS }).status === 0;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { timeout: TMUX_TIMEOUT_MS, encoding: 'utf8' });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `parley ARGS…` running in a detached 120×40 tmux session (by default with PARLEY_PASSPHRASE set). */
export class Terminal {
  private static count = 0;
  readonly name = `chat-${TAG}-${++Terminal.count}`;
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
export const promptLine = (screen: string) =>
  screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l === '>' || l.startsWith('> '))
    .pop();

/** Kills the test process's tmux server (afterAll). */
export function killTmux(): void {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { timeout: TMUX_TIMEOUT_MS });
}
