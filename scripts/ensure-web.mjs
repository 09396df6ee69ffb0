// Builds the web app (packages/web → packages/web/dist, with Vite) when it is missing or was built
// from other sources, so that `npm start` serves the app on a fresh clone and after a pull with no
// other step. Run by `npm start` after ensure-deps.mjs, so the pinned Node is first on PATH.
//
// "Other sources" is decided by content, not by dates: a SHA-256 over the files the build reads —
// packages/web (but dist), the src/ and package.json of every workspace package it depends on,
// transitively (the SDK and the protocol core are bundled into the app), and package-lock.json —
// is kept in dist/.parley-build after a successful build and compared at each start. Dates would
// rebuild after every `git checkout` of an unchanged tree and miss a source restored with an old
// date; hashing the ~150 files takes a few milliseconds.
//
// A failed build stops `npm start` (exit 1) instead of serving an app older than its sources, or
// none: the error is Vite's, above. `npx parley-server --no-web` runs the server without the app.
// PARLEY_NO_WEB=1 skips this script as it makes the server skip the app.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'packages', 'web');
const dist = join(web, 'dist');
const stamp = join(dist, '.parley-build');

const say = (text) => process.stderr.write(`parley: ${text}\n`);

if (process.env.PARLEY_NO_WEB === '1') process.exit(0);

/** The workspace packages by name (`@parley/client` → its directory). */
function workspacePackages() {
  const found = new Map();
  for (const name of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', name, 'package.json');
    if (existsSync(manifest)) found.set(JSON.parse(readFileSync(manifest, 'utf8')).name, join(root, 'packages', name));
  }
  return found;
}

/** The directories of `@parley/web` and every workspace package it depends on, transitively. */
function buildPackages() {
  const packages = workspacePackages();
  const seen = new Map();
  const visit = (name) => {
    const dir = packages.get(name);
    if (dir === undefined || seen.has(name)) return;
    seen.set(name, dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) visit(dep);
  };
  visit('@parley/web');
  return [...seen.entries()];
}

/** Files under `dir`, sorted, without node_modules, dist, tests and dotfiles. */
function files(dir, skip) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path, skip));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** The hash of everything the build reads. */
function sourcesHash() {
  const inputs = [join(root, 'package-lock.json')];
  for (const [name, dir] of buildPackages()) {
    // The app's own package: all of it (index.html, vite config, public/, src/); the others:
    // what gets bundled (src/) and how it resolves (package.json: exports, conditions).
    if (name === '@parley/web') inputs.push(...files(dir, new Set(['node_modules', 'dist', 'test'])));
    else {
      inputs.push(join(dir, 'package.json'));
      if (existsSync(join(dir, 'src'))) inputs.push(...files(join(dir, 'src'), new Set(['node_modules'])));
    }
  }
  const hash = createHash('sha256');
  for (const path of inputs.filter((p) => existsSync(p))) {
    hash.update(`${relative(root, path)}\0${statSync(path).size}\0`);
    hash.update(readFileSync(path));
  }
  return hash.digest('hex');
}

const wanted = sourcesHash();
const built = existsSync(join(dist, 'index.html'));
const have = built && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (have === wanted) process.exit(0);

say(
  built
    ? 'the web app was built from other sources: rebuilding it (npm run build -w @parley/web) ...'
    : 'the web app is not built: building it (npm run build -w @parley/web) ...',
);
const started = performance.now();
// Vite builds for production unless NODE_ENV says otherwise; a test runner sets it to `test`
// (vitest does), which would build the libraries' development code into the app.
const env = { ...process.env };
delete env.NODE_ENV;
const status = await new Promise((resolve) => {
  const child = spawn('npm', ['run', 'build', '--workspace', '@parley/web'], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('error', () => resolve(127));
  child.on('close', (code) => resolve(code ?? 1));
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (status !== 0 || !existsSync(join(dist, 'index.html'))) {
  say(
    `the web app did not build (${status !== 0 ? `exit status ${status}` : 'no dist/index.html'}, after ${seconds} s); Vite's errors are above.`,
  );
  say('not starting the server without a current web app; to run the API alone: npx parley-server --no-web');
  process.exit(1);
}
writeFileSync(stamp, `${wanted}\n`);
say(`web app built in ${seconds} s (packages/web/dist)`);
