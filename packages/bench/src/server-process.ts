/**
 * The Parley server as a child process of a benchmark, started as `npm start` starts it (its
 * launcher and the node flags of the launcher's `#!` line), on a port of its own and a fresh data
 * directory; and the CPU a process has used, from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dir: string;
}

/**
 * Stops `child` when this process exits however it exits (the time limit, an error, a signal):
 * a benchmark that fails must not leave a server holding its port and 2,000 connections' memory.
 */
function stopOnExit(child: ChildProcess): void {
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  child.once('exit', () => process.off('exit', stop));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

/** The server's launcher, as `npm start` and `npx parley-server` run it. */
export const SERVER_BIN = new URL('../../server/bin/parley-server.mjs', import.meta.url).pathname;

/** The node flags of a launcher's `#!/usr/bin/env -S node …` line (none without one). */
export function launcherFlags(path: string): string[] {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node((?: +--\S+)*) *$/.exec(first);
  return m?.[1] ? m[1].trim().split(/ +/) : [];
}

/**
 * Spawns `node args…` (`name` in errors; stopped when this process exits) and resolves with the first match of
 * `ready` on its stdout; rejects if it exits first.
 */
export function spawnUntil(
  name: string,
  args: string[],
  ready: RegExp,
  env?: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; match: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], ...(env ? { env } : {}) });
  stopOnExit(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m?.[1]) resolve({ child, match: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

/** Starts the server, with `nodeArgs` after the launcher's flags (and PARLEY_BENCH_NODE_ARGS). */
export async function startServer(nodeArgs: readonly string[] = []): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // PARLEY_BENCH_NODE_ARGS passes flags to the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p",
  // after the flags the server's launcher gives it (its #! line), as `npm start` runs it.
  const flags = [
    ...launcherFlags(SERVER_BIN),
    ...(process.env.PARLEY_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    ...nodeArgs,
  ];
  const { child, match } = await spawnUntil(
    'server',
    [...flags, SERVER_BIN, '--port', '0', '--data', dir],
    /listening on (\S+)/,
    { ...process.env, PARLEY_LOG_LEVEL: 'warn' },
  );
  return { child, url: match, dir };
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms); with
 * `mainThread`, only its main thread's (whose thread id is the process id).
 */
export function cpuMsOf(pid: number, mainThread = false): number {
  // Fields after the command name (which is in parentheses and may contain spaces): utime is the
  // 12th and stime the 13th of them.
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  const fields = stat.split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
