#!/usr/bin/env node
// Runs the CLI from one esbuild bundle of its TypeScript sources and the workspace packages they
// import, rebuilt whenever one of the files that went into it changed. Loading one file instead
// of some two hundred modules through a TypeScript loader halves start-up (`npm run
// bench:client`). The bundle lives in dist/ (git-ignored). If it cannot be built, the sources
// run through tsx, as before; PARLEY_CLI_FROM_SOURCE=1 asks for that.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', 'src', 'main.ts');
const dist = join(here, '..', 'dist');
const bundle = join(dist, 'parley.mjs');
const manifest = join(dist, 'parley.inputs.json');

// Parley runs on the Node.js pinned in the repository's package.json (devDependencies.node;
// engines: >=24.7), which npm puts first on PATH for `npx parley` and every npm script. Started
// by an older `node` (this file run straight from a shell), say so instead of failing later.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 24 || (major === 24 && minor < 7)) {
  process.stderr.write(
    `parley: needs Node.js >= 24.7 (this is ${process.version}); from the repository, run \`npx parley\`, or \`npm run install-commands\` once to put \`parley\` on your PATH with the pinned Node.\n`,
  );
  process.exit(1);
}

if (process.env.PARLEY_DEBUG === '1') process.setSourceMapsEnabled(true);

/** True when the bundle was built from exactly the files (by path and mtime) there now. */
function fresh() {
  try {
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    if (m.node !== process.version || typeof m.inputs !== 'object') return false;
    for (const [file, mtimeMs] of Object.entries(m.inputs)) {
      if (statSync(file).mtimeMs !== mtimeMs) return false;
    }
    statSync(bundle);
    return true;
  } catch {
    return false;
  }
}

/** Writes `data` to `path` whole or not at all: two processes may build at once. */
function writeWhole(path, data) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

async function build() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // The native SQLite binding loads its .node file relative to itself.
    external: ['better-sqlite3'],
    banner: {
      js: "import { createRequire as __parleyRequire } from 'node:module'; const require = __parleyRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const cwd = process.cwd();
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const path = resolve(cwd, file);
    inputs[path] = statSync(path).mtimeMs;
  }
  mkdirSync(dist, { recursive: true });
  for (const out of result.outputFiles) writeWhole(out.path, out.contents);
  writeWhole(manifest, JSON.stringify({ node: process.version, inputs }));
}

let fromSource = process.env.PARLEY_CLI_FROM_SOURCE === '1';
if (!fromSource && !fresh()) {
  try {
    await build();
  } catch (e) {
    if (process.env.PARLEY_DEBUG === '1') process.stderr.write(`parley: running from source (${e})\n`);
    fromSource = true;
  }
}
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
} else {
  await import(pathToFileURL(bundle).href);
}
