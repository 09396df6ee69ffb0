/**
 * The `parley` command runs on the Node.js pinned in the root package.json, not on whatever
 * `node` a shell finds first (see packages/server/test/runtime.test.ts for the method).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../..', import.meta.url).pathname;
const PINNED = `v${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies.node}`;

const dir = mkdtempSync(join(tmpdir(), 'parley-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const probe = join(dir, 'probe.mjs');
writeFileSync(
  probe,
  `if (/parley(\\.mjs)?$/.test(process.argv[1] ?? '')) {
  console.log('runtime ' + process.version);
  process.exit(0);
}
`,
);

describe('the pinned Node.js runtime', () => {
  it('runs `npx parley` from a shell whose PATH has no node_modules/.bin', () => {
    const bin = `${sep}node_modules${sep}.bin`;
    const PATH = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((p) => !p.endsWith(bin))
      .join(delimiter);
    const r = spawnSync('npx', ['--offline', 'parley', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PATH, NODE_OPTIONS: `--import=${probe}` },
    });
    expect(`${r.stdout}${r.stderr}${r.error ?? ''}`).toContain(`runtime ${PINNED}`);
  });
});
