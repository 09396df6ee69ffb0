/**
 * scripts/ensure-web.mjs (run by `npm start` before the server): it builds the web app when
 * packages/web/dist is missing or was built from other sources — a change in packages/web, in the
 * src/ of a workspace package the app depends on, or in the lockfile — says so and how long it
 * took, and builds nothing otherwise; a failed build stops `npm start` with a way out. Run on a
 * copy of the script in a scratch "repository" with a stand-in `npm` first on PATH, whose
 * `run build` writes dist/index.html (or fails when told to), so no Vite runs here.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', '..', 'scripts', 'ensure-web.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const manifest = (name: string, dependencies: Record<string, string> = {}) =>
  `${JSON.stringify({ name, version: '0.1.0', dependencies })}\n`;

/** A repository with packages/web depending on packages/client, and one unrelated package. */
function scratchRepo(): { root: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'parley-ensure-web-'));
  dirs.push(root);
  mkdirSync(join(root, 'scripts'));
  copyFileSync(script, join(root, 'scripts', 'ensure-web.mjs'));
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  for (const [dir, name, deps] of [
    ['web', '@parley/web', { '@parley/client': '0.1.0', preact: '^11' }],
    ['client', '@parley/client', {}],
    ['server', '@parley/server', {}],
  ] as const) {
    mkdirSync(join(root, 'packages', dir, 'src'), { recursive: true });
    writeFileSync(join(root, 'packages', dir, 'package.json'), manifest(name, deps));
    writeFileSync(join(root, 'packages', dir, 'src', 'index.ts'), `export const name = '${name}';\n`);
  }
  const bin = join(root, 'fake-bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'npm'),
    [
      '#!/bin/sh',
      'echo "npm $* NODE_ENV=$NODE_ENV" >> "$PWD/npm-calls"',
      'if [ -e "$PWD/fail-build" ]; then echo "fake vite: error during build" >&2; exit 1; fi',
      'mkdir -p packages/web/dist/assets',
      'echo "<!doctype html>" > packages/web/dist/index.html',
      'echo "fake vite: built"',
    ].join('\n'),
  );
  chmodSync(join(bin, 'npm'), 0o755);
  return { root, bin };
}

function ensureWeb(root: string, bin: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-web.mjs')], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, PARLEY_NO_WEB: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

const builds = (root: string) =>
  existsSync(join(root, 'npm-calls')) ? readFileSync(join(root, 'npm-calls'), 'utf8').trim().split('\n') : [];

describe('ensure-web', () => {
  it('builds a missing app, saying so and how long it took, then builds nothing while nothing changed', () => {
    const { root, bin } = scratchRepo();
    const first = ensureWeb(root, bin, { NODE_ENV: 'test' });
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain('parley: the web app is not built: building it (npm run build -w @parley/web)');
    expect(first.out).toContain('fake vite: built');
    expect(first.out).toMatch(/parley: web app built in \d+\.\d s \(packages\/web\/dist\)/);
    // The build gets no NODE_ENV of the caller's: Vite builds for production.
    expect(builds(root)).toEqual(['npm run build --workspace @parley/web NODE_ENV=']);
    expect(existsSync(join(root, 'packages', 'web', 'dist', '.parley-build'))).toBe(true);

    const again = ensureWeb(root, bin);
    expect(again).toEqual({ status: 0, out: '' });
    expect(builds(root)).toHaveLength(1);
  });

  it('rebuilds after a change in the app, in a package it bundles or in the lockfile; not after one elsewhere', () => {
    const { root, bin } = scratchRepo();
    ensureWeb(root, bin);
    const changes: [string, boolean][] = [
      ['packages/server/src/index.ts', false],
      ['packages/web/src/index.ts', true],
      ['packages/client/src/index.ts', true],
      ['packages/client/package.json', true],
      ['package-lock.json', true],
      ['packages/web/test/journey.test.ts', false],
    ];
    for (const [file, rebuilds] of changes) {
      const before = builds(root).length;
      mkdirSync(join(root, file, '..'), { recursive: true });
      if (file.endsWith('package.json')) {
        const m = JSON.parse(readFileSync(join(root, file), 'utf8'));
        writeFileSync(join(root, file), JSON.stringify({ ...m, exports: { '.': './src/index.ts' } }));
      } else appendFileSync(join(root, file), '\n// changed\n');
      const r = ensureWeb(root, bin);
      expect(r.status, r.out).toBe(0);
      expect(builds(root).length - before, file).toBe(rebuilds ? 1 : 0);
      if (rebuilds) expect(r.out).toContain('the web app was built from other sources: rebuilding it');
    }
  });

  it('stops with a message and a way out when the build fails, and builds again next time', () => {
    const { root, bin } = scratchRepo();
    writeFileSync(join(root, 'fail-build'), '');
    const failed = ensureWeb(root, bin);
    expect(failed.status).toBe(1);
    expect(failed.out).toContain('fake vite: error during build');
    expect(failed.out).toMatch(/parley: the web app did not build \(exit status 1, after \d+\.\d s\)/);
    expect(failed.out).toContain('npx parley-server --no-web');
    rmSync(join(root, 'fail-build'));
    expect(ensureWeb(root, bin).status).toBe(0);
    expect(builds(root)).toHaveLength(2);
  });

  it('does nothing with PARLEY_NO_WEB=1', () => {
    const { root, bin } = scratchRepo();
    expect(ensureWeb(root, bin, { PARLEY_NO_WEB: '1' })).toEqual({ status: 0, out: '' });
    expect(builds(root)).toEqual([]);
  });
});
