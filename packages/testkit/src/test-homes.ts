/**
 * Alice's and Bob's CLI homes for the tests of a file, so each file does not repeat the same
 * beforeAll/afterAll hooks. The directories exist at once (so `alice` and `bob` are plain
 * references); beforeAll runs `parley init` in both against `server`, and afterAll removes every
 * home in `homes`, including the ones tests add for themselves.
 *
 * @example
 * ```ts
 * const server = useTestServer();
 * const { alice, bob, homes } = useTestHomes(server);
 * ```
 */
import { afterAll, beforeAll } from 'vitest';
import { Home } from './cli-kit.ts';

/** Two `parley init` runs (a process start and a passphrase derivation each) on a busy machine. */
const INIT_TIMEOUT_MS = 60_000;

export interface TestHomes {
  readonly alice: Home;
  readonly bob: Home;
  /** Removed after the file's tests; push any other home a test creates. */
  readonly homes: Home[];
}

/** Registers the hooks; call it after useTestServer(), whose server must be running for init. */
export function useTestHomes(server: { readonly url: string }): TestHomes {
  const alice = Home.empty('Alice');
  const bob = Home.empty('Bob');
  const homes = [alice, bob];
  beforeAll(async () => {
    await Promise.all([alice, bob].map((h) => h.json('init', '--server', server.url, '--name', h.label)));
  }, INIT_TIMEOUT_MS);
  afterAll(() => {
    for (const h of homes) h.remove();
  });
  return { alice, bob, homes };
}
