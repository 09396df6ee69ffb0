/**
 * A real `parley-server` process for tests and benchmarks: started on a free loopback port with a
 * fresh data directory (or one you give), stopped with SIGTERM or killed, and restartable on the
 * same port and data — for tests that need the server to go away and come back. If the process
 * that started it exits first (a failed test or benchmark, a time limit), the server is killed and
 * the data directory it created removed, so nothing is left holding a port.
 *
 * @example
 * ```ts
 * const server = await startServer(['--registration-key', 'k']);
 * const api = new ServerApi(server.url);
 * await server.restart(); // same URL, same data
 * await server.stop();    // also removes the data directory it created
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The server's launcher, as `npm start` and `npx parley-server` run it: the `bin` of
 * @parley/server, found through the package (its entry point is src/index.ts).
 */
export const SERVER_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@parley/server')),
  '..',
  'bin',
  'parley-server.mjs',
);

/** The node flags of a launcher's `#!/usr/bin/env -S node …` line (none without one). */
export function launcherFlags(path: string): string[] {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node((?: +--\S+)*) *$/.exec(first);
  return m?.[1] ? m[1].trim().split(/ +/) : [];
}

const START_TIMEOUT_MS = 30_000;
/** Output kept per process, for failure messages. */
const MAX_OUTPUT = 64 * 1024;

export interface ServerProcessOptions {
  /** Data directory; default: a fresh temporary one, removed by stop() and kill(). */
  readonly dataDir?: string;
  /** Extra environment (PARLEY_LOG_LEVEL defaults to warn). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Node flags for the server's process, before the launcher (default: none). The benchmarks pass
   * `launcherFlags(SERVER_BIN)` first, to run the server as `npm start` does.
   */
  readonly nodeArgs?: readonly string[];
}

export interface ServerProcess {
  /** `http://127.0.0.1:<port>`; the same across restarts. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The current server process: a new one after restart() or resume(); none after stop() or kill(). */
  readonly process: ChildProcess;
  /** What the current process printed (the last 64 KiB). */
  output(): string;
  /** SIGTERM, then waits for the exit (graceful); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Stops with SIGTERM and starts again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops (SIGTERM) without removing anything, for a later start(). */
  pause(): Promise<void>;
  /** Starts again after pause() on the same port and data directory. */
  resume(): Promise<void>;
}

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  output: string;
}

/**
 * Every client of a test comes from 127.0.0.1, one source to the server's quotas: they are off
 * (0) unless a test sets them in `env` (docs/server.md "Limits and quotas").
 */
const UNLIMITED = {
  PARLEY_REGISTRATIONS_PER_HOUR: '0',
  PARLEY_CHALLENGES_PER_MINUTE: '0',
  PARLEY_REQUESTS_PER_MINUTE: '0',
  PARLEY_MAILBOXES_PER_DAY: '0',
  PARLEY_CONNECTIONS_PER_SOURCE: '0',
  PARLEY_CONTROL_FRAMES_PER_SECOND: '0',
};

function spawnServer(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  nodeArgs: readonly string[],
): Promise<Child> {
  const child = spawn(process.execPath, [...nodeArgs, SERVER_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...UNLIMITED, ...env },
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    let output = '';
    let started: Child | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley-server did not start:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      output = (output + d.toString()).slice(-MAX_OUTPUT);
      if (started !== null) {
        started.output = output;
        return;
      }
      const m = /listening on (\S+)/.exec(output);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        started = { process: child, url: m[1], exited, output };
        resolve(started);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      if (started === null) reject(new Error(`parley-server exited with ${code}:\n${output}`));
    });
  });
}

async function signal(child: Child, sig: NodeJS.Signals): Promise<number | null> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill(sig);
  return child.exited;
}

/**
 * Starts `parley-server --port 0 --data <dir> ...args` and resolves once it listens. `args` may
 * carry any other flag (`--registration-key K`, …) but not --port or --data.
 */
export async function startServer(
  args: readonly string[] = [],
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-client-test-'));
  const env = options.env ?? {};
  const nodeArgs = options.nodeArgs ?? [];
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (ownDir) process.once('exit', removeDir);
  let child: Child;
  try {
    child = await spawnServer(['--port', '0', '--data', dataDir, ...args], env, nodeArgs);
  } catch (e) {
    if (ownDir) {
      process.off('exit', removeDir);
      removeDir();
    }
    throw e;
  }
  const url = child.url;
  const port = Number(new URL(url).port);
  let running: Child | null = child;
  let ended = false;
  const cleanUp = () => {
    ended = true;
    if (ownDir) {
      process.off('exit', removeDir);
      removeDir();
    }
  };
  const pause = async () => {
    if (running !== null) await signal(running, 'SIGTERM');
  };
  const resume = async () => {
    if (ended) throw new Error('the server was stopped for good');
    if (running !== null && running.process.exitCode === null && running.process.signalCode === null) return;
    running = await spawnServer(['--port', String(port), '--data', dataDir, ...args], env, nodeArgs);
  };
  return {
    url,
    port,
    dataDir,
    get process() {
      if (running === null) throw new Error('the server is not running');
      return running.process;
    },
    output: () => running?.output ?? '',
    stop: async () => {
      const code = running === null ? null : await signal(running, 'SIGTERM');
      running = null;
      cleanUp();
      return code;
    },
    kill: async () => {
      if (running !== null) await signal(running, 'SIGKILL');
      running = null;
      cleanUp();
    },
    restart: async () => {
      await pause();
      await resume();
    },
    pause,
    resume,
  };
}
