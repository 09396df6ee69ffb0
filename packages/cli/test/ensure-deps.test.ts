/**
 * scripts/ensure-deps.mjs on a fresh clone (the first `npm start`): it says what it does, step by
 * step with the elapsed time, and lets npm's own output through. Run on a copy of the script in
 * a scratch "repository" with a stand-in `npm` first on PATH, so nothing is installed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', '..', 'scripts', 'ensure-deps.mjs');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A scratch repository whose `npm install` is a script that records its arguments and makes a pinned `node`. */
function scratchRepo(): { root: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'parley-ensure-deps-'));
  dirs.push(root);
  mkdirSync(join(root, 'scripts'));
  copyFileSync(script, join(root, 'scripts', 'ensure-deps.mjs'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ devDependencies: { node: '24.21.0' } }));
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  const bin = join(root, 'fake-bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'npm'),
    [
      '#!/bin/sh',
      'echo "npm $*" >> "$PWD/npm-calls"',
      'echo "fake npm: added 321 packages"',
      'mkdir -p node_modules/.bin',
      "printf '#!/bin/sh\\necho v24.21.0\\n' > node_modules/.bin/node",
      'chmod +x node_modules/.bin/node',
    ].join('\n'),
  );
  chmodSync(join(bin, 'npm'), 0o755);
  return { root, bin };
}

describe('ensure-deps on a fresh clone', () => {
  it('prints each step with the elapsed time, passes npm output through, and records the install', () => {
    const { root, bin } = scratchRepo();
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-deps.mjs')], {
      cwd: root,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(r.stderr).toMatch(/parley: step 1\/3: installing dependencies and Node\.js 24\.21\.0 .* \[\d+ s\]/);
    expect(r.stderr).toMatch(/parley: step 2\/3: .*\[\d+ s\]/);
    expect(r.stderr).toMatch(/parley: step 3\/3: .*\[\d+ s\]/);
    expect(r.stderr).toMatch(/parley: dependencies ready \[\d+ s\]/);
    expect(out).toContain('fake npm: added 321 packages'); // npm's own output is shown
    // Install scripts run in the foreground, so the Node.js download shows its progress.
    expect(readFileSync(join(root, 'npm-calls'), 'utf8')).toContain('--foreground-scripts');

    // Up to date: the second run says nothing and installs nothing.
    const again = spawnSync(process.execPath, [join(root, 'scripts', 'ensure-deps.mjs')], {
      cwd: root,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });
    expect(again.status).toBe(0);
    expect(again.stderr).toBe('');
    expect(readFileSync(join(root, 'npm-calls'), 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
