/**
 * The processes a benchmark starts beside its own: the Parley server, started by the shared
 * launcher (@parley/testkit/server-process) as `npm start` starts it — with the node flags of its
 * launcher's `#!` line — on a port of its own and a fresh data directory; any other helper
 * process (the bare relay); and the CPU a process has used, from /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { launcherFlags, SERVER_BIN, type ServerProcess, startServer } from '@parley/testkit/server-process';

/**
 * Stops `child` when this process exits however it exits (the time limit, an error, a signal):
 * a benchmark that fails must not leave a helper process holding its port. The launcher does the
 * same for the server.
 */
function stopOnExit(child: ChildProcess): void {
  const stop = () => child.kill('SIGKILL');
  process.once('exit', stop);
  child.once('exit', () => process.off('exit', stop));
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

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

/**
 * Starts the server with `nodeArgs` after the launcher's flags and PARLEY_BENCH_NODE_ARGS, which
 * passes flags to the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p", and `env` over the
 * testkit's (whose per-source limits are off: every client here comes from 127.0.0.1), and the
 * server's own flags `args` (`--database-url`, `--bus`, …). stop() ends it and
 * removes its data directory; its stderr goes to this process's.
 */
export async function startBenchServer(
  nodeArgs: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
  args: readonly string[] = [],
): Promise<ServerProcess> {
  const server = await startServer(args, {
    env,
    nodeArgs: [
      ...launcherFlags(SERVER_BIN),
      ...(process.env.PARLEY_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ...nodeArgs,
    ],
  });
  // What the server says on stderr (warnings, a crash) shows in the benchmark's own.
  server.process.stderr?.pipe(process.stderr, { end: false });
  return server;
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

/** The pids of every process whose command name is `name` (postgres, nats-server), from /proc. */
export function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** CPU ms used so far by the processes named `name` (those that exited meanwhile are not counted). */
export function cpuMsNamed(name: string): number {
  let total = 0;
  for (const pid of pidsNamed(name)) {
    try {
      total += cpuMsOf(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}
