/**
 * What `parley devices link` and `parley join` share: asking the user whether both screens show
 * the same code, and the history progress bar.
 *
 * The answer is a line on stdin — `y`/`yes`, `n`/`no`, or the six digits read on the other
 * screen (compared here) — so a script can answer through a pipe as a person does at the
 * terminal. `--yes` answers yes without asking; `--confirm-code DIGITS` gives the digits up front.
 */
import { createInterface } from 'node:readline';
import type { Args } from './args.ts';
import type { Context } from './context.ts';
import { usageError } from './errors.ts';

export const CONFIRM_OPTIONS = {
  yes: { type: 'boolean', help: 'confirm the code without asking (only after comparing it yourself)' },
  'confirm-code': {
    type: 'string',
    placeholder: 'DIGITS',
    help: 'the 6 digits the other device shows: confirmed if they match, refused if not',
  },
} as const;

/** The code as people read it: 123 456. */
export const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

export interface CodeSession {
  confirm(same: boolean): void;
  confirmCode(digits: string): void;
  cancel(): void;
  readonly done: Promise<unknown>;
}

/** Reads the user's answer for `code` (or takes it from the options) and hands it to `session`. */
export async function answerCode(ctx: Context, args: Args, command: string, code: string, session: CodeSession) {
  const given = args.string('confirm-code');
  if (given !== undefined) {
    session.confirmCode(given.replace(/\s+/g, ''));
    return;
  }
  if (args.flag('yes')) {
    session.confirm(true);
    return;
  }
  ctx.note(`Does the other device show ${spaced(code)}? Type y (or the digits it shows) to confirm, n to refuse:`);
  const line = await readLine();
  if (line === null) {
    session.cancel();
    await session.done.catch(() => undefined); // the other device is told; nothing stays half-made
    throw usageError('no answer on stdin: pass --yes or --confirm-code DIGITS', command);
  }
  const a = line.trim().toLowerCase().replace(/\s+/g, '');
  if (a === 'y' || a === 'yes') session.confirm(true);
  else if (/^[0-9]{6}$/.test(a)) session.confirmCode(a);
  else session.confirm(false);
}

function readLine(): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let done = false;
    rl.once('line', (l) => {
      done = true;
      rl.close();
      resolve(l);
    });
    rl.once('close', () => {
      if (!done) resolve(null);
    });
  });
}

export function checkConfirmOptions(args: Args, command: string): void {
  const code = args.string('confirm-code');
  if (code !== undefined && !/^[0-9]{3} ?[0-9]{3}$/.test(code.trim())) {
    throw usageError('--confirm-code takes the 6 digits the other device shows', command);
  }
  if (code !== undefined && args.flag('yes')) throw usageError('--yes and --confirm-code exclude each other', command);
}

/** A progress bar on stderr at a terminal; a line every 10% elsewhere; nothing in JSON mode. */
export function progressBar(ctx: Context, label: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (ctx.json || total === 0) return;
    const share = Math.min(1, done / total);
    if (process.stderr.isTTY) {
      const width = 30;
      const full = Math.round(share * width);
      process.stderr.write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${total}`);
      if (done >= total) process.stderr.write('\n');
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      ctx.note(`${label}: ${done}/${total}`);
    }
  };
}

/** One JSON document per line while a linking goes on (link, code, result). */
export function jsonLine(ctx: Context, doc: unknown): void {
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(doc)}\n`);
}
