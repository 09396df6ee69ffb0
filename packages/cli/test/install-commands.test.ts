/**
 * `npm run install-commands` (scripts/install-commands.mjs): `parley` and `parley-server` run from
 * any directory, on the repository's pinned Node.js, with no Node on the PATH at all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', '..', '..', 'scripts', 'install-commands.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'parley-commands-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('install-commands', () => {
  it('writes shims that run parley and parley-server from anywhere', () => {
    const bin = join(scratch, 'bin');
    const r = spawnSync(process.execPath, [script, '--dir', bin], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(bin, 'parley')}`);
    expect(r.stdout).toContain('is not on your PATH'); // and says how to add it
    expect(existsSync(join(bin, 'parley-server'))).toBe(true);

    // Outside the repository, with only the shims and the system tools on PATH (no node).
    const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: scratch };
    const version = spawnSync('parley', ['--version'], { cwd: scratch, env, encoding: 'utf8' });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^parley \d+\.\d+\.\d+/);
    const server = spawnSync('parley-server', ['--help'], { cwd: scratch, env, encoding: 'utf8' });
    expect(server.status, server.stderr).toBe(0);
    expect(server.stdout + server.stderr).toContain('parley-server');
  }, 60_000);
});
