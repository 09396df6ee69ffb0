/**
 * A home server for the tests of a file, built inside the test process with `createServer` — the
 * wiring the `parley-server` binary uses (see @parley/server's create-server.ts and main.ts): SQLite
 * in a fresh temporary data directory, with its checkpoint and writer threads, served on a real
 * loopback socket, so the client's HTTP and WebSocket transports reach it unchanged. No process
 * is spawned, so a file starts in milliseconds rather than a cold Node start.
 *
 * Use it for client flows; keep useTestServer() (a real process) where the test is about the
 * process: a crash or signal (`kill`, `process`), durability across a restart of the binary, the
 * CLI, or what the binary prints. pause() and resume() here close the server gracefully (as
 * SIGTERM does: sockets told "going away", requests in flight finished, database closed) and
 * build it again on the same port and data, which is what a client sees of a server that goes
 * away and comes back.
 *
 * Differences from the binary: signatures are checked on the calling thread (the binary's worker
 * thread verifier is not exported), and logs (warn and above, as the process launcher sets) are
 * kept in memory and printed to stderr only for a test that fails.
 *
 * The handle is returned at once, before the server runs, as with useTestServer(); each call is a
 * server of its own. afterAll closes the sockets, the threads and the database, and removes the
 * data directory.
 *
 * @example
 * ```ts
 * const server = useInProcessServer();
 * it('registers', async () => {
 *   const api = new ServerApi(server.url);
 * });
 * ```
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, createMetrics, createServer, openDatabase, serverApi } from '@parley/server';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** Output kept for a failing test's report (the process launcher keeps as much). */
const MAX_OUTPUT = 64 * 1024;
/** Opening the database starts two threads, each loading tsx: slow on a busy machine. */
const START_TIMEOUT_MS = 60_000;
/** How often expired rows are purged: as the binary does. */
const PURGE_EVERY_MS = 60_000;

/** The version the binary reports: its package's. */
const VERSION = (
  JSON.parse(
    readFileSync(join(dirname(createRequire(import.meta.url).resolve('@parley/server')), '..', 'package.json'), 'utf8'),
  ) as { version: string }
).version;

export interface InProcessServerOptions {
  /** When set, registration requires this key (a private server, `--registration-key`). */
  readonly registrationKey?: string;
}

export interface InProcessServer {
  /** `http://127.0.0.1:<port>`; the same after resume(). */
  readonly url: string;
  readonly port: number;
  /** What the server logged (warn and above) during the current test, at most 64 KiB. */
  output(): string;
  /** Closes it for good (afterAll does too) and removes its data directory. */
  stop(): Promise<void>;
  /** Closes it gracefully, keeping its data: connections to its port are refused until resume(). */
  pause(): Promise<void>;
  /** Serves again on the same port and data directory, with a freshly opened database. */
  resume(): Promise<void>;
}

interface Running {
  close(): Promise<void>;
}

/** Opens the database under `dataDir` and serves it on 127.0.0.1:`port` (0: a free port). */
async function serve(
  dataDir: string,
  port: number,
  options: InProcessServerOptions,
  log: Writable,
): Promise<Running & { port: number }> {
  const database = await openDatabase(
    { sqlitePath: join(dataDir, 'parley.sqlite') },
    { checkpointThread: true, writerThread: true },
  );
  const metrics = createMetrics();
  const server = createServer({
    version: VERSION,
    metrics,
    log: createLogger({ level: 'warn', destination: log }),
    database,
    api: serverApi(database, { metrics, registrationKey: options.registrationKey ?? null }),
    purgeEveryMs: PURGE_EVERY_MS,
  });
  const close = async () => {
    await server.close();
    await database.close();
  };
  try {
    const info = await server.listen({ port, host: '127.0.0.1' });
    return { port: info.port, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Registers the hooks that start and stop an in-process server for the current file (or
 * `describe`) and returns its handle.
 */
export function useInProcessServer(options: InProcessServerOptions = {}): InProcessServer {
  let output = '';
  const log = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      output = (output + chunk.toString()).slice(-MAX_OUTPUT);
      done();
    },
  });
  let dataDir: string | undefined;
  let port: number | undefined;
  let running: Running | null = null;
  let ended = false;
  const removeDir = () => {
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  };

  const pause = async () => {
    const closing = running;
    running = null;
    await closing?.close();
  };
  const resume = async () => {
    if (ended || dataDir === undefined || port === undefined) throw new Error('the server was stopped for good');
    if (running !== null) return;
    running = await serve(dataDir, port, options, log);
  };
  const stop = async () => {
    ended = true;
    await pause();
    process.off('exit', removeDir);
    removeDir();
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-in-process-'));
    process.once('exit', removeDir);
    try {
      const started = await serve(dataDir, 0, options, log);
      running = started;
      port = started.port;
    } catch (e) {
      await stop();
      throw e;
    }
  }, START_TIMEOUT_MS);
  beforeEach((context) => {
    output = '';
    context.onTestFailed(() => {
      if (output !== '') process.stderr.write(`in-process parley-server logged:\n${output}`);
    });
  });
  afterAll(stop);

  const current = (): number => {
    if (port === undefined) throw new Error('the test server runs only inside tests and the hooks after its own');
    return port;
  };
  return {
    get url() {
      return `http://127.0.0.1:${current()}`;
    },
    get port() {
      return current();
    },
    output: () => output,
    stop,
    pause,
    resume,
  };
}
