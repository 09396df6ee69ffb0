/**
 * One real `parley-server` process for the tests of a file, so each file does not repeat the same
 * beforeAll/afterAll hooks. useTestServer() registers the hooks: beforeAll starts the server
 * (server-process.ts: a free port, a fresh temporary data directory) and pins it to 127.0.0.1, so
 * it is never reachable from outside the machine whatever PARLEY_HOST says; afterAll stops it and
 * removes its data directory.
 *
 * The handle is returned at once, before the server runs, so a file can keep `server.url`,
 * `server.restart()`… as plain references; reading it outside a test or a later hook throws.
 * Each call is a server of its own (two calls: two servers, as federation needs).
 *
 * @example
 * ```ts
 * const server = useTestServer();
 * it('registers', async () => {
 *   const api = new ServerApi(server.url);
 * });
 * ```
 */
import { afterAll, beforeAll } from 'vitest';
import { type ServerProcess, type ServerProcessOptions, startServer } from './server-process.ts';

/** A cold start on a busy machine (2 cores, benchmarks alongside) can take a while. */
const START_TIMEOUT_MS = 60_000;

/**
 * Registers the hooks that start and stop a server for the current file (or `describe`) and
 * returns its handle. `args` and `options` go to startServer(), except that --host is always
 * 127.0.0.1 (so `args` must not carry --host, --port or --data).
 */
export function useTestServer(args: readonly string[] = [], options: ServerProcessOptions = {}): ServerProcess {
  let running: ServerProcess | undefined;
  beforeAll(async () => {
    running = await startServer(['--host', '127.0.0.1', ...args], options);
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): ServerProcess => {
    if (running === undefined) throw new Error('the test server runs only inside tests and the hooks after its own');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get port() {
      return current().port;
    },
    get dataDir() {
      return current().dataDir;
    },
    get process() {
      return current().process;
    },
    output: () => current().output(),
    stop: () => current().stop(),
    kill: () => current().kill(),
    restart: () => current().restart(),
    pause: () => current().pause(),
    resume: () => current().resume(),
  };
}
