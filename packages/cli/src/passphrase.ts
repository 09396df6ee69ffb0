/**
 * The profile passphrase: `PARLEY_PASSPHRASE`, else typed on the terminal with echo off (the
 * prompt goes to stderr; the keys are read from stdin when it is a terminal, else from /dev/tty,
 * so `echo text | parley send Bob -` still asks on the terminal).
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { CliError } from './errors.ts';

const NO_TTY =
  'No passphrase: set PARLEY_PASSPHRASE in the environment (there is no terminal to ask on), e.g. PARLEY_PASSPHRASE=… parley …';

export function passphraseFromEnv(): string | undefined {
  const p = process.env.PARLEY_PASSPHRASE;
  return p === undefined || p === '' ? undefined : p;
}

function openTerminal(): { input: ReadStream; own: boolean } {
  if (process.stdin.isTTY) return { input: process.stdin as ReadStream, own: false };
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r');
  } catch {
    throw new CliError('no-passphrase', NO_TTY);
  }
  return { input: new ReadStream(fd), own: true };
}

/** Asks once on the terminal, echo off. Ctrl-C or Ctrl-D on an empty line cancels (exit 130). */
export async function promptPassphrase(prompt: string): Promise<string> {
  const { input, own } = openTerminal();
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise<string>((resolve, reject) => {
    let value = '';
    let inEscape = false;
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      if (own) input.destroy();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (inEscape) {
          // Skip an escape sequence (arrow keys…): ESC [ … final letter.
          if (/[A-Za-z~]/.test(ch)) inEscape = false;
          continue;
        }
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
          finish();
          reject(new CliError('interrupted', 'Cancelled.'));
          return;
        }
        if (ch === '\u001b') inEscape = true;
        else if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The passphrase of an existing profile. */
export async function askPassphrase(profile: string): Promise<string> {
  const fromEnv = passphraseFromEnv();
  if (fromEnv !== undefined) return fromEnv;
  for (;;) {
    const p = await promptPassphrase(`Passphrase for profile ${profile}: `);
    if (p !== '') return p;
  }
}

/**
 * The shortest passphrase a new profile accepts, in characters. The passphrase is the only thing
 * between a stolen device (or backup) and the profile's keys and messages; the store's scrypt KDF
 * (docs/client.md) slows each guess, but a 3-character passphrase falls to a search of a few
 * million guesses all the same. Eight is a floor against the trivial, not a strength meter:
 * a few random words are better (the prompt says so).
 */
export const MIN_PASSPHRASE = 8;

/** Why `p` is not acceptable as a new passphrase, or undefined. */
export function passphraseProblem(p: string): string | undefined {
  if (p === '') return 'The passphrase must not be empty.';
  const length = [...p].length;
  if (length < MIN_PASSPHRASE) {
    return `The passphrase must be at least ${MIN_PASSPHRASE} characters long (this one has ${length}); a few random words make a good one.`;
  }
  return undefined;
}

/** A new profile's passphrase: typed twice, compared; at least {@link MIN_PASSPHRASE} characters. */
export async function askNewPassphrase(profile: string): Promise<string> {
  const fromEnv = passphraseFromEnv();
  if (fromEnv !== undefined) {
    const problem = passphraseProblem(fromEnv);
    if (problem !== undefined) throw new CliError('usage', `PARLEY_PASSPHRASE: ${problem}`);
    return fromEnv;
  }
  process.stderr.write(
    `Choose a passphrase for profile ${profile} (at least ${MIN_PASSPHRASE} characters; a few random words are best).\nIt encrypts your keys and messages on this device; it cannot be recovered if you forget it.\n`,
  );
  for (let attempt = 0; attempt < 3; attempt++) {
    const first = await promptPassphrase('New passphrase: ');
    const problem = passphraseProblem(first);
    if (problem !== undefined) {
      process.stderr.write(`${problem}\n`);
      continue;
    }
    const second = await promptPassphrase('Repeat it: ');
    if (first === second) return first;
    process.stderr.write('The two passphrases differ. Try again.\n');
  }
  throw new CliError('passphrase-mismatch', 'The passphrases did not match. Run the command again.');
}
