/**
 * Runs one benchmark script the way `npm run bench:…` does (through tsx, in a process of its
 * own) for the tests that check it keeps working: its exit status, what it wrote to stderr, and
 * its summary — the JSON object on its last line of stdout — if it exited cleanly.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** tsx's command line, found through the package as `npm run` finds it. */
const TSX = createRequire(import.meta.url).resolve('tsx/cli');

export interface BenchRun {
  readonly status: number | null;
  readonly stderr: string;
  /** The last stdout line, parsed; undefined unless the script exited with 0. */
  // biome-ignore lint/suspicious/noExplicitAny: each benchmark's summary has a shape of its own.
  readonly summary: any;
}

/** `script` is a file name in packages/bench/src; it is killed after `timeoutMs`. */
export function runBench(script: string, args: readonly string[], timeoutMs = 120_000): BenchRun {
  const path = new URL(`../src/${script}`, import.meta.url).pathname;
  const r = spawnSync(process.execPath, [TSX, path, ...args], { encoding: 'utf8', timeout: timeoutMs });
  const last = r.stdout.trim().split('\n').at(-1);
  return { status: r.status, stderr: r.stderr, summary: r.status === 0 && last ? JSON.parse(last) : undefined };
}
