/**
 * The `parley` process: runs one command, then closes every profile it opened (each client closes
 * its store) before exiting — also on SIGINT, SIGTERM and SIGHUP (exit 130, 143, 129).
 */
import { run } from './cli.ts';
import type { Context } from './context.ts';
import { EXIT } from './errors.ts';

/** How long closing may take on a signal before the process exits anyway. */
const CLOSE_GRACE_MS = 5000;

let context: Context | null = null;
/** The exit code of the exit in progress: the first reason to exit decides it. */
let exiting: number | null = null;

async function closeAndExit(code: number): Promise<never> {
  // A command that ends because a signal closed its profile under it must not exit with its
  // own (usage) error while the signal's exit is closing: that exit decides.
  if (exiting !== null) return new Promise<never>(() => undefined);
  exiting = code;
  const timer = setTimeout(() => process.exit(code), CLOSE_GRACE_MS);
  try {
    await context?.closeAll();
  } catch (e) {
    if (process.env.PARLEY_DEBUG === '1') process.stderr.write(`${(e as Error).stack}\n`);
  }
  clearTimeout(timer);
  await context?.flush();
  process.exit(code);
}

const SIGNALS = [
  ['SIGINT', EXIT.sigint],
  ['SIGTERM', EXIT.sigterm],
  ['SIGHUP', EXIT.sighup],
] as const;
for (const [signal, code] of SIGNALS) {
  process.on(signal, () => {
    if (exiting !== null) process.exit(exiting); // a second signal: stop waiting for the close
    void closeAndExit(code);
  });
}

const code = await run(process.argv.slice(2), (ctx) => {
  context = ctx;
});
await closeAndExit(code);
