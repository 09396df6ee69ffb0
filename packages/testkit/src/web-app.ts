/**
 * The built web app for browser tests and `bench:web`: `ensureWebApp()` builds packages/web into
 * packages/web/dist when it is missing or stale — the same script `npm start` runs
 * (scripts/ensure-web.mjs), so tests and benchmarks load what a user gets — and returns the
 * directory to give `parley-server --web-dir`. Imports nothing from vitest.
 *
 * @example
 * ```ts
 * beforeAll(() => ensureWebApp(), BUILD_TIMEOUT_MS);
 * const server = useTestServer(['--web-dir', WEB_DIST]);
 * ```
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { SERVER_BIN } from './server-process.ts';

/** The repository: three levels above the server's launcher (packages/server/bin). */
export const REPO_ROOT = join(dirname(SERVER_BIN), '..', '..', '..');
export const WEB_DIST = join(REPO_ROOT, 'packages', 'web', 'dist');
/** A cold Vite build on a busy 2-core machine. */
export const BUILD_TIMEOUT_MS = 180_000;

/** Builds the app if needed (a no-op taking milliseconds when it is current); throws with the build's output. */
export function ensureWebApp(): string {
  const env = { ...process.env };
  delete env.PARLEY_NO_WEB;
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'ensure-web.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env,
    timeout: BUILD_TIMEOUT_MS,
  });
  if (r.status !== 0) throw new Error(`the web app did not build:\n${r.stdout}\n${r.stderr}`);
  return WEB_DIST;
}
