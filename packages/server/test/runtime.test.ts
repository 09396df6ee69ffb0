/**
 * Parley runs on the Node.js pinned in the root package.json (devDependencies.node), which npm
 * installs and puts first on PATH (scripts/ensure-deps.mjs). These tests fail when a command
 * silently runs on another Node — the system's, say, which may be older (Node 20 on CI).
 *
 * A probe module, preloaded into every Node process through NODE_OPTIONS, prints the version of
 * the process that runs a Parley launcher (matched by its path) and ends it before the launcher
 * starts; npm's own processes are not matched and run as usual.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../..', import.meta.url).pathname;
const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: { node: string };
};
const PINNED = `v${root.devDependencies.node}`;

const dir = mkdtempSync(join(tmpdir(), 'parley-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const probe = join(dir, 'probe.mjs');
writeFileSync(
  probe,
  `if (/parley(-server)?(\\.mjs)?$/.test(process.argv[1] ?? '')) {
  console.log('runtime ' + process.version);
  process.exit(0);
}
`,
);

/**
 * Runs `command` from the repository root as a person would in a shell: PATH without the
 * node_modules/.bin entries that the npm running this test suite put first, so that npm itself
 * must put them back.
 */
function runtimeOf(command: string, args: string[]): string {
  const bin = `${sep}node_modules${sep}.bin`;
  const PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((p) => !p.endsWith(bin))
    .join(delimiter);
  const r = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PATH, NODE_OPTIONS: `--import=${probe}` },
  });
  return `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`;
}

describe('the pinned Node.js runtime', () => {
  it('pins one exact version that the engines field accepts', () => {
    expect(root.devDependencies.node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(root.engines.node).toBe('>=24.7');
    const [major = 0, minor = 0] = root.devDependencies.node.split('.').map(Number);
    expect(major > 24 || (major === 24 && minor >= 7)).toBe(true);
  });

  it('runs this test suite', () => {
    expect(process.version).toBe(PINNED);
  });

  it('runs `npx parley-server`', () => {
    expect(runtimeOf('npx', ['--offline', 'parley-server', '--help'])).toContain(`runtime ${PINNED}`);
  });

  it('runs `npm start`', () => {
    expect(runtimeOf('npm', ['start', '--', '--help'])).toContain(`runtime ${PINNED}`);
  });
});
