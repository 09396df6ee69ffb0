// Installs the workspace's npm dependencies when they are missing or out of date, so that
// `npm start` and `npm test` work on a fresh clone with no other step. It compares a hash of
// package-lock.json with the one recorded by the last successful install.
//
// With `--test` it also installs the Debian packages the test suite drives (tmux, for the
// interactive chat test) when they are missing and apt-get can be run (as root).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.parley-deps');
const wanted = existsSync(lock) ? createHash('sha256').update(readFileSync(lock)).digest('hex') : 'no-lock';
const have = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';

if (have !== wanted) {
  // `npm install`, not `npm ci`: it installs the locked versions too, but tolerates optional
  // platform packages (e.g. Biome's macOS/Windows binaries) that a mirror may not serve and
  // that are therefore missing from the lock file.
  const args = ['install', '--no-audit', '--no-fund'];
  process.stderr.write('parley: installing dependencies (npm install) ...\n');
  const r = spawnSync('npm', args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write('parley: dependency installation failed; see the npm output above.\n');
    process.exit(r.status ?? 1);
  }
  writeFileSync(marker, `${wanted}\n`);
}

/** Debian packages the tests need, by the command each provides. */
const TEST_PACKAGES = { tmux: 'tmux' };

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
