// Puts `parley` and `parley-server` on the PATH: writes two small shell scripts ("shims") into a
// directory on it (default ~/.local/bin; --dir DIR for another) that run this repository's CLI
// and server on the Node.js pinned in package.json (node_modules/.bin/node), from any directory.
// No global npm install and no `npm link`: nothing outside the directory changes, the shims
// follow the repository as it is updated, and removing them is deleting two files. Run it after
// the dependencies are installed (`npm run install-commands` does both).
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const node = join(root, 'node_modules', '.bin', 'node');
const COMMANDS = {
  parley: join(root, 'packages', 'cli', 'bin', 'parley.mjs'),
  'parley-server': join(root, 'packages', 'server', 'bin', 'parley-server.mjs'),
};

const i = process.argv.indexOf('--dir');
const dir = resolve(i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : join(homedir(), '.local', 'bin'));

/** A word for a POSIX shell, in single quotes. */
const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

if (!existsSync(node)) {
  process.stderr.write('parley: the pinned Node.js is not installed yet: run `npm install` (or `npm start`) first.\n');
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
for (const [name, entry] of Object.entries(COMMANDS)) {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\n# ${name}: written by ${join(root, 'scripts', 'install-commands.mjs')}; runs ${root} on its pinned Node.js.\nexec ${quote(node)} ${quote(entry)} "$@"\n`,
  );
  chmodSync(path, 0o755);
  process.stdout.write(`parley: wrote ${path}\n`);
}
const onPath = (process.env.PATH ?? '').split(delimiter).map((p) => resolve(p));
if (!onPath.includes(dir)) {
  process.stdout.write(`parley: ${dir} is not on your PATH; add it, e.g. in ~/.profile: export PATH="${dir}:$PATH"\n`);
}
